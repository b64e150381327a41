// Latency and throughput of a loaded tf.js model, shared by the Node and browser benchmarks.

/** min/median/max of a list of numbers. */
export function spread(values) {
  const s = [...values].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}

/** Random inputs in 0..1 of the model's input shape with the given batch. */
function inputOf(tf, meta, batch) {
  const shape = [batch, ...meta.input.shape.slice(1)];
  return tf.randomUniform(shape, 0, 1, 'float32', 42);
}

/** Time `runs` predictions (after warm-up), each including the read-back of the outputs. */
async function timePredict(tf, model, x, runs) {
  const times = [];
  for (let i = 0; i < runs + 3; i++) {
    const started = performance.now();
    const y = model.predict(x);
    await y.data();
    const ms = performance.now() - started;
    y.dispose();
    if (i >= 3) times.push(ms); // the first runs compile kernels/shaders
  }
  return spread(times);
}

/** Batch-1 latency (ms) and batch-1000 throughput (examples/s) of a model. */
export async function timeModel(tf, model, meta, smoke = false) {
  const big = smoke ? 50 : 1000;
  const x1 = inputOf(tf, meta, 1);
  const xBig = inputOf(tf, meta, big);
  try {
    const batch1 = await timePredict(tf, model, x1, smoke ? 3 : 200);
    const batchBig = await timePredict(tf, model, xBig, smoke ? 2 : 30);
    return {
      batch1_ms: batch1,
      big_batch: big,
      big_batch_ms: batchBig,
      examples_per_sec: (big * 1000) / batchBig.median,
    };
  } finally {
    x1.dispose();
    xBig.dispose();
  }
}
