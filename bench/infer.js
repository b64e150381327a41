// Inference timing of exported models in tf.js on Node, driven by bench/inference.py so that Python and Node
// measurements alternate in one run. Reads one JSON request per line on stdin, answers one JSON line each:
//   {"load": DIR, "backend": "cpu"|"wasm"|"pool"|"litert-wasm"} → {"load_ms"}
//   {"time": DIR, "backend": ..., "batch": N, "runs": R}   → min/median/max ms of R predictions (+ read-back)
//   {"matmul": N}                                           → {"gflops"}: an N x N float32 matMul on wasm, this thread
//   {"parallel": T}                                         → {"speedup"}: T threads on T equal loops vs one thread
// "pool" is verify/node/pool.js: batches of `threshold` rows or more split between worker_threads (one per core).
// "litert-wasm" is the folder's model.tflite in LiteRT.js (the build it picks in Node: no threads, and relaxed
// SIMD only under node --experimental-wasm-relaxed-simd); a batch without its own signature runs in chunks.
import os from 'node:os';
import readline from 'node:readline';
import { Worker } from 'node:worker_threads';

import { runLiteRt } from '../verify/js/litert.js';
import { litert, loadLiteRtNode } from '../verify/node/litert.js';
import { loadModelDir, readMetadataDir, readTfliteDir } from '../verify/node/load.js';
import { tf, useBackend } from '../verify/node/harness.js';
import { createPool } from '../verify/node/pool.js';
import { runModel } from '../verify/js/parity.js';
import { inputsOf, spread, timePredict } from './timing.js';

const loaded = new Map();

/** Load a model folder for a backend (once); the time it took. */
async function load(dir, backend) {
  const started = performance.now();
  if (backend === 'pool') {
    loaded.set(`${dir} pool`, await createPool(dir));
  } else if (backend === 'litert-wasm') {
    await loadLiteRtNode();
    const meta = await readMetadataDir(dir);
    const compiled = await litert.loadAndCompile(await readTfliteDir(dir, meta), { accelerator: 'wasm' });
    loaded.set(`${dir} ${backend}`, { meta, compiled, close: () => compiled.delete() });
    // Which wasm build LiteRT.js picked: relaxed SIMD where this engine validates it, else its compat build.
    return { load_ms: performance.now() - started, threads: 1, simd: (await litert.supportsFeature('relaxedSimd')) ? 'relaxed' : 'compat' };
  } else {
    await useBackend(backend);
    loaded.set(`${dir} ${backend}`, await loadModelDir(tf, dir));
  }
  return { load_ms: performance.now() - started, threads: backend === 'pool' ? os.availableParallelism() : 1 };
}

/** Random plain inputs ({values, shape}) for a model's metadata at `batch` rows. */
async function plainInputs(meta, batch) {
  // A process that only runs LiteRT.js has started no tf.js backend yet (these inputs are made with tf.js).
  if (!tf.engine().backendName) await useBackend('wasm');
  const xs = inputsOf(tf, meta, batch);
  const plain = await Promise.all(xs.map(async (x) => ({ values: await x.data(), shape: x.shape })));
  tf.dispose(xs);
  return plain;
}

/** Latencies of `runs` calls of predict(plain inputs) after two warm-up calls. */
async function timePlain(predict, inputs, runs) {
  const times = [];
  for (let i = 0; i < runs + 2; i++) {
    const started = performance.now();
    await predict(inputs);
    if (i >= 2) times.push(performance.now() - started);
  }
  return spread(times);
}

/** Latencies of `runs` predictions at `batch` rows, after warm-up, outputs read back each time. */
async function time(dir, backend, batch, runs) {
  if (backend === 'pool') {
    const pool = loaded.get(`${dir} pool`);
    // Plain arrays in and out: the pool copies rows to its workers and back, which is part of its cost.
    return timePlain((inputs) => pool.predict(inputs), await plainInputs(pool.meta, batch), runs);
  }
  if (backend === 'litert-wasm') {
    const { meta, compiled } = loaded.get(`${dir} ${backend}`);
    // Typed arrays in, outputs copied out of the wasm heap: what a caller of LiteRT.js does per prediction.
    return timePlain((inputs) => runLiteRt(litert, compiled, meta, inputs), await plainInputs(meta, batch), runs);
  }
  await useBackend(backend);
  const { model, meta } = loaded.get(`${dir} ${backend}`);
  const xs = inputsOf(tf, meta, batch);
  try {
    return await timePredict(tf, (inputs) => runModel(tf, model, meta, inputs), xs, runs);
  } finally {
    tf.dispose(xs);
  }
}

/** float32 matMul rate of the wasm backend (XNNPACK, one thread in Node) on n x n matrices. */
async function matmul(n) {
  await useBackend('wasm');
  const a = tf.randomUniform([n, n], 0, 1, 'float32', 1);
  const b = tf.randomUniform([n, n], 0, 1, 'float32', 2);
  let best = Infinity;
  for (let i = 0; i < 6; i++) {
    const started = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    best = Math.min(best, performance.now() - started);
    c.dispose();
  }
  tf.dispose([a, b]);
  return { gflops: (2 * n ** 3) / (best * 1e6) };
}

/** A fixed amount of arithmetic, run in this thread and (as source) in workers. */
function spin(n) {
  let x = 0;
  for (let i = 0; i < n; i++) x += Math.sqrt(i);
  return x;
}

/** How many cores this process really gets now: T equal loops on T threads against the same loops on one. */
async function parallel(threads, n = 5e7) {
  const workers = Array.from({ length: threads - 1 }, () => new Worker(
    `const { parentPort } = require('node:worker_threads'); ${spin}; parentPort.on('message', (n) => parentPort.postMessage(spin(n)));`,
    { eval: true }));
  try {
    await Promise.all(workers.map((w) => new Promise((resolve) => { w.once('message', resolve); w.postMessage(1); })));
    let started = performance.now();
    for (let i = 0; i < threads; i++) spin(n);
    const serial = performance.now() - started;
    started = performance.now();
    const done = workers.map((w) => new Promise((resolve) => { w.once('message', resolve); w.postMessage(n); }));
    spin(n);
    await Promise.all(done);
    return { speedup: serial / (performance.now() - started), threads };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

for await (const line of readline.createInterface({ input: process.stdin })) {
  const req = JSON.parse(line);
  let reply;
  try {
    if (req.load) reply = await load(req.load, req.backend);
    else if (req.time) reply = await time(req.time, req.backend, req.batch, req.runs);
    else if (req.matmul) reply = await matmul(req.matmul);
    else if (req.parallel) reply = await parallel(req.parallel);
    else reply = { error: `unknown request ${line}` };
  } catch (err) {
    reply = { error: err.message };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
for (const entry of loaded.values()) await (entry.close ? entry.close() : entry.model.dispose());
