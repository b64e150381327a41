// Inference on every core in Node: tfjs-backend-wasm runs single-threaded there (its threaded build needs a
// blob: worker, which Node rejects), so a large batch is split between the calling thread and size - 1
// worker_threads, each with its own wasm backend and its own copy of the model. Small batches run on the calling
// thread alone: a round trip to a worker costs more than they do (0.1-1.5 ms measured, more on a busy machine).
//
//   const pool = await createPool(dir);                // size = cores, threshold = 128 rows
//   const [probs] = await pool.predict([{ values: Float32Array, shape: [1000, 28, 28] }]);
//   await pool.close();
import os from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import { TFJS_DTYPE, runModel } from '../js/parity.js';
import { loadModelDir } from './load.js';

export const DEFAULT_THRESHOLD = 128;

/** The model folder on this thread's wasm backend, and a function from plain inputs to plain outputs. */
async function loadRunner(dir) {
  if (!(await tf.setBackend('wasm'))) throw new Error("tf.js backend 'wasm' failed to initialise");
  await tf.ready();
  const { model, meta } = await loadModelDir(tf, dir);
  const run = async (inputs) => {
    // On the calling thread, the caller may have switched tf.js to another backend since.
    if (tf.getBackend() !== 'wasm') await tf.setBackend('wasm');
    const xs = inputs.map(({ values, shape }, i) => tf.tensor(values, shape, TFJS_DTYPE[meta.inputs[i].dtype]));
    try {
      const ys = await runModel(tf, model, meta, xs);
      try {
        return await Promise.all(ys.map(async (y) => ({ values: await y.data(), shape: y.shape, dtype: y.dtype })));
      } finally {
        tf.dispose(ys);
      }
    } finally {
      tf.dispose(xs);
    }
  };
  return { model, meta, run };
}

/** Row range [start, end) of each of n parts of a batch of rows, as equal as whole rows allow. */
export function splitRows(rows, n) {
  const parts = Math.max(1, Math.min(n, rows));
  return Array.from({ length: parts }, (_, i) => [Math.floor((i * rows) / parts), Math.floor(((i + 1) * rows) / parts)]);
}

/** Rows [start, end) of every input: a copy (whose memory moves to a worker), or a view for this thread. */
function sliceRows(inputs, [start, end], copy = true) {
  return inputs.map(({ values, shape }) => {
    const row = shape.slice(1).reduce((a, b) => a * b, 1);
    const part = copy ? values.slice(start * row, end * row) : values.subarray(start * row, end * row);
    return { values: part, shape: [end - start, ...shape.slice(1)] };
  });
}

/** Outputs of consecutive row ranges joined back into one batch, output by output. */
function joinRows(parts) {
  return parts[0].map((first, k) => {
    const chunks = parts.map((p) => p[k]);
    const values = new first.values.constructor(chunks.reduce((n, c) => n + c.values.length, 0));
    let at = 0;
    for (const c of chunks) {
      values.set(c.values, at);
      at += c.values.length;
    }
    return { values, shape: [chunks.reduce((n, c) => n + c.shape[0], 0), ...first.shape.slice(1)], dtype: first.dtype };
  });
}

/** n workers, each with the model folder on its own wasm backend, once all have it loaded (none left on failure). */
async function startWorkers(dir, n) {
  const workers = Array.from({ length: n }, () => new Worker(new URL(import.meta.url), { workerData: { tfjsBridgePool: dir } }));
  const started = workers.map((w) => new Promise((resolve, reject) => {
    w.once('message', (msg) => (msg.ready ? resolve() : reject(new Error(msg.error))));
    w.once('error', reject);
  }));
  try {
    await Promise.all(started);
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
  return workers;
}

/**
 * Requests to started workers: send(worker, inputs) resolves to that worker's outputs; failAll(err) rejects every
 * request in flight (a worker's error fails them all: which one it held is unknown).
 */
function connect(workers) {
  const pending = new Map();
  let nextId = 0;
  const failAll = (err) => {
    for (const { reject } of pending.values()) reject(err);
    pending.clear();
  };
  for (const w of workers) {
    w.on('message', ({ id, outputs, error }) => {
      const job = pending.get(id);
      pending.delete(id);
      if (error) job.reject(new Error(error));
      else job.resolve(outputs);
    });
    w.on('error', failAll);
  }
  const send = (worker, inputs) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, inputs }, inputs.map((x) => x.values.buffer));
  });
  return { send, failAll };
}

/**
 * A pool for one model folder over `size` threads (default: the machine's cores): this one and size - 1 workers,
 * each with the model on its own wasm backend. predict(inputs) takes one { values, shape } per metadata.inputs
 * entry (rows first) and resolves to one { values, shape, dtype } per output; batches under `threshold` rows run
 * on this thread alone.
 */
export async function createPool(dir, { size = os.availableParallelism(), threshold = DEFAULT_THRESHOLD } = {}) {
  if (!Number.isInteger(size) || size < 1) throw new Error(`pool size must be a positive integer, got ${size}`);
  const local = await loadRunner(dir);
  let workers;
  try {
    workers = await startWorkers(dir, size - 1);
  } catch (err) {
    local.model.dispose();
    throw err;
  }
  const { send, failAll } = connect(workers);
  return {
    size,
    threshold,
    meta: local.meta,
    async predict(inputs) {
      const rows = inputs[0].shape[0];
      if (rows < threshold || workers.length === 0) return local.run(inputs);
      const [mine, ...theirs] = splitRows(rows, size);
      // Workers first, so they compute while this thread does its own share.
      const remote = theirs.map((range, i) => send(workers[i], sliceRows(inputs, range)));
      const here = await local.run(sliceRows(inputs, mine, false));
      return joinRows([here, ...(await Promise.all(remote))]);
    },
    async close() {
      failAll(new Error('pool closed'));
      await Promise.all(workers.map((w) => w.terminate()));
      local.model.dispose();
    },
  };
}

// Inside a worker: load the model, then answer { id, inputs } with { id, outputs } (or { id, error }).
if (!isMainThread && workerData?.tfjsBridgePool) {
  try {
    const { run } = await loadRunner(workerData.tfjsBridgePool);
    parentPort.on('message', async ({ id, inputs }) => {
      try {
        const outputs = await run(inputs);
        parentPort.postMessage({ id, outputs }, outputs.map((y) => y.values.buffer));
      } catch (err) {
        parentPort.postMessage({ id, error: err.message });
      }
    });
    parentPort.postMessage({ ready: true });
  } catch (err) {
    parentPort.postMessage({ error: err.message });
  }
}
