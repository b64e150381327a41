// A stand-in for a folder's verify worker (verify/node/isolate.js), by folder name: 'abort' throws wasm's
// Aborted() after its first row, 'hang' never returns, any other folder passes on every backend.
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

const { dir, backends } = workerData.tfjsBridgeVerify;
const name = path.basename(dir);
const row = (backend) => ({ model: name, folder: name, backend, pass: true });
parentPort.postMessage({ ready: true });
if (name === 'hang') for (;;);
parentPort.postMessage({ row: row(backends[0]) });
if (name === 'abort') throw new WebAssembly.RuntimeError('Aborted()');
for (const backend of backends.slice(1)) parentPort.postMessage({ row: row(backend) });
parentPort.postMessage({ done: true });
