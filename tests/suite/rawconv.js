// The raw converter's output in tf.js: `node tests/suite/rawconv.js FOLDER...` prints the rows (JSON), one per
// folder and backend. Each FOLDER holds what tensorflowjs_converter wrote (model.json and its shards) beside the
// bridge's metadata.json and goldens.json for the same saved model (tests/suite/rawconv.py puts them there).
// Each folder is checked in its own worker (rawconv_worker.js) under the harness's deadline (verify/node/isolate.js),
// so a wasm abort stays in its own row.
import { BACKENDS, verifyDirs } from '../../verify/node/isolate.js';

const WORKER = new URL('./rawconv_worker.js', import.meta.url);
const rows = await verifyDirs(process.argv.slice(2), BACKENDS, { worker: WORKER });
process.stdout.write(`${JSON.stringify(rows)}\n`);
