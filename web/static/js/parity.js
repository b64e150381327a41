// Parity of a loaded tf.js model against the Python outputs stored in its metadata.json.
// Shared by the Node harness and the browser page: it only needs the `tf` namespace passed in.

// Largest max |Δ| accepted per weight encoding. float32: Python and tf.js run the same float32 graph, but
// kernels sum in different orders; measured max |Δ| is ~3.6e-7 for the MLP's softmax outputs and ~2e-6
// for the linear model's outputs of magnitude ~20 (a few ulps), so 1e-4 leaves margin without hiding
// a wrong weight (those move outputs by 1e-2 and more).
//
// Quantized weights (--quantize) are compared with the float32 model's outputs, so the check bounds the
// quantization error as well as the conversion. Their tolerances are relative: multiplied by
// max(1, largest |expected output|), since rounding a weight moves an output in proportion to its size.
// Measured max |Δ| over graph and layers, Keras 3 and tf_keras, cpu and wasm (tests/test_export_matrix.py's
// 2-epoch MLP, 16x16 CNN and linear model, plus the default 10-epoch MLP from `make models`; the linear
// model's figure is relative to its outputs of ~20.8):
//   float16: MLP 2.65e-4 (2 epochs) / 2.91e-4 (10 epochs), CNN 4.0e-5, linear 2.0e-4  → 1e-3
//   uint16:  MLP 1.02e-4 / 1.02e-4, CNN 3.6e-6, linear 3.1e-6                        → 5e-4
//   uint8:   MLP 4.71e-3 / 1.18e-2, CNN 1.2e-3, linear 8.4e-4                        → 5e-2
// Each is 3-5x the largest measurement. uint8's bound is loose on its own (a wrong weight can hide under
// it), so classifiers must also keep their argmax (ARGMAX_MIN) and the export records the test-accuracy change.
export const TOLERANCES = { float32: 1e-4, float16: 1e-3, uint16: 5e-4, uint8: 5e-2 };
// Classifiers must keep their argmax on the goldens: every row for float32, >= 99% once weights are rounded.
export const ARGMAX_MIN = { float32: 1, float16: 0.99, uint16: 0.99, uint8: 0.99 };

/** The weight encoding a model's metadata declares (float32 when not quantized). */
export function encodingOf(meta) {
  return meta.quantization ?? meta.weights_dtype ?? 'float32';
}

/** The max |Δ| accepted for a model: absolute for float32, scaled by the outputs' size when quantized. */
export function toleranceFor(meta) {
  const key = encodingOf(meta);
  if (!(key in TOLERANCES)) throw new Error(`${meta.name}: no parity tolerance defined for '${key}' weights`);
  if (key === 'float32') return TOLERANCES[key];
  const largest = meta.golden.outputs.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return TOLERANCES[key] * Math.max(1, largest);
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
  const argmaxMin = isClassifier ? ARGMAX_MIN[encodingOf(meta)] : null;
  const pass = shapeOk && maxAbsDiff <= tolerance && (!isClassifier || argmaxAgreement >= argmaxMin) && leakedTensors === 0;
  return {
    model: meta.name, backend: tf.getBackend(), format: meta.format ?? 'graph', quantization: encodingOf(meta),
    bytes: meta.bytes?.on_disk ?? (meta.files ?? []).reduce((n, f) => n + f.bytes, 0), count: golden.count, shape,
    expectedShape: golden.output_shape, maxAbsDiff, tolerance, argmaxAgreement, argmaxMin, leakedTensors, ms, pass,
  };
}
