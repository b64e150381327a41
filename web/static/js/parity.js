// Parity of a loaded tf.js model against the Python outputs stored in its metadata.json.
// Shared by the Node harness and the browser page: it only needs the `tf` namespace passed in.

// Largest max |Δ| accepted per weight encoding. float32: Python and tf.js run the same float32 graph, but
// kernels sum in different orders; measured max |Δ| is ~1e-7 for the MLP's softmax outputs and ~2e-6
// for the linear model's outputs of magnitude ~20 (a few ulps), so 1e-4 leaves margin without hiding
// a wrong weight (those move outputs by 1e-2 and more).
export const TOLERANCES = { float32: 1e-4 };

/** The tolerance that applies to a model, from its metadata's quantization. */
export function toleranceFor(meta) {
  const key = meta.quantization ?? meta.weights_dtype ?? 'float32';
  if (!(key in TOLERANCES)) throw new Error(`${meta.name}: no parity tolerance defined for '${key}' weights`);
  return TOLERANCES[key];
}

/** Index of the largest value in each row of a flat [rows, cols] array. */
export function argmaxRows(values, cols) {
  const out = [];
  for (let r = 0; r * cols < values.length; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (values[r * cols + c] > values[r * cols + best]) best = c;
    out.push(best);
  }
  return out;
}

/** Compare actual against expected values: max |Δ| and, for classifiers, argmax agreement. */
export function compareOutputs(actual, expected, cols, isClassifier) {
  if (actual.length !== expected.length) {
    return { maxAbsDiff: Infinity, argmaxAgreement: isClassifier ? 0 : null };
  }
  let maxAbsDiff = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    // NaN must fail, and Math.max(NaN, x) is NaN, so test explicitly.
    maxAbsDiff = Number.isNaN(d) ? Infinity : Math.max(maxAbsDiff, d);
  }
  let argmaxAgreement = null;
  if (isClassifier) {
    const a = argmaxRows(actual, cols);
    const e = argmaxRows(expected, cols);
    argmaxAgreement = a.filter((v, i) => v === e[i]).length / e.length;
  }
  return { maxAbsDiff, argmaxAgreement };
}

/** Run a model's golden inputs on the current backend and judge the result against Python's outputs. */
export async function checkParity(tf, model, meta) {
  const golden = meta.golden;
  const tolerance = toleranceFor(meta);
  const isClassifier = meta.kind === 'classification';
  const before = tf.memory().numTensors;
  const started = performance.now();
  const x = tf.tensor(golden.inputs, golden.input_shape, 'float32');
  let actual, shape, ms;
  try {
    const y = model.predict(x);
    try {
      actual = await y.data();
      shape = y.shape;
      ms = performance.now() - started;
    } finally {
      y.dispose();
    }
  } finally {
    x.dispose();
  }
  const leakedTensors = tf.memory().numTensors - before;
  const cols = golden.output_shape[golden.output_shape.length - 1];
  const { maxAbsDiff, argmaxAgreement } = compareOutputs(actual, golden.outputs, cols, isClassifier);
  const shapeOk = JSON.stringify(shape) === JSON.stringify(golden.output_shape);
  const pass = shapeOk && maxAbsDiff <= tolerance && (!isClassifier || argmaxAgreement === 1) && leakedTensors === 0;
  return {
    model: meta.name, backend: tf.getBackend(), count: golden.count, shape, expectedShape: golden.output_shape,
    maxAbsDiff, tolerance, argmaxAgreement, leakedTensors, ms, pass,
  };
}
