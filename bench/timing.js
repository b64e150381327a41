// Latency and throughput of a loaded tf.js model, shared by the Node and browser benchmarks. It imports
// nothing: bench/browser.js injects it into the page as it is, so the served app does not carry it.

/** min/median/max of a list of numbers. */
export function spread(values) {
  const s = [...values].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}

/** Random inputs for every entry of metadata.inputs with the given batch (free dimensions set to 1). */
export function inputsOf(tf, meta, batch) {
  return meta.inputs.map(({ name, shape, dtype }) => {
    const dims = [batch, ...shape.slice(1).map((d) => d ?? 1)];
    if (dtype.startsWith('float')) return tf.randomUniform(dims, 0, 1, 'float32', 42);
    if (['int32', 'int64', 'uint8'].includes(dtype)) return tf.randomUniform(dims, 0, 10, 'int32', 42);
    throw new Error(`input ${name}: the benchmark makes no random ${dtype} inputs`);
  });
}

/** Time `runs` predictions (after warm-up), each including the read-back of every output. */
export async function timePredict(tf, predict, xs, runs) {
  const times = [];
  for (let i = 0; i < runs + 3; i++) {
    const started = performance.now();
    const ys = await predict(xs);
    await Promise.all(ys.map((y) => y.data()));
    const ms = performance.now() - started;
    tf.dispose(ys);
    if (i >= 3) times.push(ms); // the first runs compile kernels/shaders
  }
  return spread(times);
}

/**
 * Batch-1 latency (ms) and large-batch throughput (examples/s) of a model.
 * predict(inputs) → Promise<output tensors>: parity.js's runModel bound to the model and its metadata.
 * plan: the large batch's rows, and how many calls to time at batch 1 and at the large batch.
 */
export async function timeModel(tf, predict, meta, { big, runs1, runsBig }) {
  const x1 = inputsOf(tf, meta, 1);
  const xBig = inputsOf(tf, meta, big);
  try {
    const batch1 = await timePredict(tf, predict, x1, runs1);
    const batchBig = await timePredict(tf, predict, xBig, runsBig);
    return {
      batch1_ms: batch1,
      big_batch: big,
      big_batch_ms: batchBig,
      examples_per_sec: (big * 1000) / batchBig.median,
    };
  } finally {
    tf.dispose([...x1, ...xBig]);
  }
}
