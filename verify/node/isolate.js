// Each model folder verified in its own worker_thread, under a deadline: a wasm abort, a crash or a hang in one
// folder cannot change another's verdict (one process once carried a folder's `Aborted()` into the next
// folder's rows). The worker checks the folder on every backend in turn and posts each row as it is made, so
// a folder that dies or runs out of time keeps the rows it finished; the rest become failed rows saying why.
// tf.js is imported only inside the workers: the calling thread never pays for it.
import os from 'node:os';
import path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

import { LITERT_BACKENDS, describeLiteRtFailure } from '../js/litert.js';
import { describeFailure } from '../js/parity.js';
import { readMetadataDir } from './load.js';

// tf.js's backends in Node; ALL_BACKENDS adds LiteRT.js's (its wasm build: WebGPU only in a browser).
export const BACKENDS = ['cpu', 'wasm'];
export const ALL_BACKENDS = [...BACKENDS, 'litert-wasm'];
export const DEFAULT_TIMEOUT_S = 300;
// The most a worker may take to load tf.js before its folder's budget starts.
export const STARTUP_S = 120;
const WORKER = new URL(import.meta.url);
// Folders checked at once, each in its own worker: starting one (importing tf.js, starting wasm) takes 1-3 s of
// CPU, which a second worker overlaps on another core; more than 4 would only make the rows' ms figures noisier.
export const CONCURRENCY = Math.max(1, Math.min(4, os.availableParallelism()));

/** A failed row for a folder and backend, from an error (classified: tf.js limitations are UNSUPPORTED). */
export function failedRow(dir, backend, err) {
  const folder = path.basename(dir);
  if (backend in LITERT_BACKENDS) return { model: folder, folder, backend, runtime: 'litert', format: 'tflite', pass: false, ...describeLiteRtFailure(err) };
  return { model: folder, folder, backend, pass: false, ...describeFailure(err, backend) };
}

/**
 * Every backend's row for one folder, checked in this thread; a folder that fails to load becomes failed rows.
 * onReady() is called once tf.js is loaded, onRow(row) as each row is made.
 */
export async function verifyHere(dir, backends, { onReady = () => {}, onRow = () => {} } = {}) {
  const { verifyBackend } = await import('./check.js');
  onReady();
  const rows = [];
  for (const backend of backends) {
    let row;
    try {
      row = await verifyBackend(dir, backend);
    } catch (err) {
      row = failedRow(dir, backend, err);
    }
    rows.push(row);
    onRow(row);
  }
  return rows;
}

/**
 * Every backend's row for one folder, checked in a fresh worker (the `worker` script, this module unless a test
 * gives another) that is stopped at the deadline: timeoutS seconds from the moment it has tf.js loaded (loading
 * takes 1-3 s of CPU, more on a busy machine, and is no part of the folder's budget; STARTUP_S bounds it).
 * A folder whose metadata.json is refused (plain JSON and schema checks, no tf.js) fails here without a worker.
 * LiteRT.js rows are left out for folders exported without --runtime litert, unless explicit (the user named them).
 */
export async function verifyIsolated(dir, backends, { timeoutS = DEFAULT_TIMEOUT_S, worker: script = WORKER, explicit = false } = {}) {
  let meta;
  try {
    meta = await readMetadataDir(dir);
  } catch (err) {
    return backends.map((backend) => failedRow(dir, backend, err));
  }
  if (!explicit && !meta.litert) backends = backends.filter((b) => !(b in LITERT_BACKENDS));
  return new Promise((resolve) => {
    const rows = [];
    const worker = new Worker(script, { workerData: { tfjsBridgeVerify: { dir, backends } } });
    let settled = false;
    let timer;
    const finish = (why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const backend of backends.slice(rows.length)) rows.push(failedRow(dir, backend, why));
      worker.terminate().finally(() => resolve(rows));
    };
    const deadline = (seconds, why) => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(why), seconds * 1000);
    };
    deadline(STARTUP_S, `tf.js did not start within ${STARTUP_S} s`);
    let crash;
    worker.on('message', (msg) => {
      if (settled) return;
      if (msg.ready) deadline(timeoutS, `timed out after ${timeoutS} s (--timeout)`);
      else if (msg.row) rows.push(msg.row);
      else finish('the worker stopped early');
    });
    // 'error' can arrive before rows the worker posted ahead of its crash; 'exit' comes after Node has delivered
    // every message, so the crash is only recorded here and the rows are closed at exit.
    worker.on('error', (err) => { crash ??= `the folder's worker crashed: ${err?.message ?? err}`; });
    worker.on('exit', (code) => finish(crash ?? `the folder's worker exited with code ${code}`));
  });
}

/**
 * Verify model folders on every backend, each folder in its own worker under a deadline of timeoutS seconds,
 * up to `concurrency` folders at once; rows come back in the folders' order.
 */
export async function verifyDirs(dirs, backends = ALL_BACKENDS, { timeoutS = DEFAULT_TIMEOUT_S, concurrency = CONCURRENCY, worker = WORKER, explicit = false } = {}) {
  const results = new Array(dirs.length);
  let next = 0;
  const lane = async () => {
    while (next < dirs.length) {
      const i = next++;
      results[i] = await verifyIsolated(dirs[i], backends, { timeoutS, worker, explicit });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, dirs.length) }, lane));
  return results.flat();
}

// Inside a folder's worker: check it on each backend, post every row, then say it is done.
if (!isMainThread && workerData?.tfjsBridgeVerify) {
  const { dir, backends } = workerData.tfjsBridgeVerify;
  await verifyHere(dir, backends, { onReady: () => parentPort.postMessage({ ready: true }), onRow: (row) => parentPort.postMessage({ row }) });
  parentPort.postMessage({ done: true });
}
