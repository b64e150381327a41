// Parity of a loaded tf.js model against the Python outputs stored in its goldens.json.
// Shared by the Node harness and the browser page: it only needs the `tf` namespace passed in.
import { signatureKey } from './model.js';

// Largest max |Δ| accepted per weight encoding. float32: Python and tf.js run the same float32 graph, but
// kernels sum in different orders; measured max |Δ| is ~3.6e-7 for the MLP's softmax outputs and ~2e-6
// for the linear model's outputs of magnitude ~20 (a few ulps), so 1e-4 leaves margin without hiding
// a wrong weight (those move outputs by 1e-2 and more).
//
// Quantized weights (--quantize) are compared with the float32 model's outputs, so the check bounds the
// quantization error as well as the conversion. Their tolerances are relative: multiplied by
// max(1, largest |expected output|), since rounding a weight moves an output in proportion to its size;
// each output of a model is scaled by its own values, so a large output does not loosen a small one's bound.
// Measured max |Δ| over graph and layers, Keras 3 and tf_keras, cpu and wasm (tests/e2e/test_export_matrix.py's
// 2-epoch MLP, 16x16 CNN and linear model, plus the default 10-epoch MLP from `make models`; the linear
// model's figure is relative to its outputs of ~20.8):
//   float16: MLP 2.65e-4 (2 epochs) / 2.91e-4 (10 epochs), CNN 4.0e-5, linear 2.0e-4  → 1e-3
//   uint16:  MLP 1.02e-4 / 1.02e-4, CNN 3.6e-6, linear 3.1e-6                        → 5e-4
//   uint8:   MLP 4.71e-3 / 1.18e-2, CNN 1.2e-3, linear 8.4e-4                        → 5e-2
// The default MLP trained by today's loop (fused Adam, seed 0) measured float16 4.40e-4, uint16 4.87e-5,
// uint8 1.58e-2 (`make models`, then --quantize; 2.3x, 10x and 3.2x under the bounds).
// Each bound was set at 3-5x the largest measurement of its time. The model suite's quantized CNNs (tests/suite: MobileNetV2, a ResNet,
// an EfficientNet-style net) measured at most 1.5e-4 (float16) and 1.8e-3 (uint8), well inside these bounds.
// uint8's bound is loose on its own (a wrong weight can hide under it), so the export also records the
// classifier's test-accuracy change with the exported weights.
export const TOLERANCES = { float32: 1e-4, float16: 1e-3, uint16: 5e-4, uint8: 5e-2 };

// Classifiers' argmax on the goldens. float32: every golden keeps its class. Quantized weights: a golden may
// change class only where Python's top two scores are closer than twice the encoding's tolerance, i.e. where
// the output error the tolerance admits could swap them (a near tie); a flip anywhere else fails, however many
// goldens there are. (The old rule, >= 99% agreement, allowed no flip at all below 100 goldens, and one flip in
// 100 on a golden of any margin above.)
export function allowedFlip(expectedRow, actualTop, tolerance) {
  let top = 0;
  for (let c = 1; c < expectedRow.length; c++) if (expectedRow[c] > expectedRow[top]) top = c;
  return expectedRow[top] - expectedRow[actualTop] < 2 * tolerance;
}

/** The weight encoding a model's metadata declares (float32 when not quantized). */
export function encodingOf(meta) {
  return meta.quantization?.dtype ?? 'float32';
}

/**
 * The max |Δ| accepted for one output's expected values: absolute for float32, scaled by their size when quantized.
 * key and tolerances default to the tf.js model's encoding and bounds (LiteRT.js's model.tflite has its own).
 */
export function toleranceFor(meta, expected, key = encodingOf(meta), tolerances = TOLERANCES) {
  if (!(key in tolerances)) throw new Error(`${meta.name}: no parity tolerance defined for '${key}' weights`);
  if (key === 'float32') return tolerances[key];
  const largest = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return tolerances[key] * Math.max(1, largest);
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

/** |a - e| for one element: numbers and booleans by value, strings equal or not at all. */
function elementDiff(a, e) {
  if (typeof e === 'string') return a === e ? 0 : Infinity;
  const d = Math.abs(Number(a) - Number(e));
  // NaN must fail, and Math.max(NaN, x) is NaN, so map it to Infinity here.
  return Number.isNaN(d) ? Infinity : d;
}

/**
 * Compare actual against expected values: max |Δ| and, for classifiers, argmax agreement and the flips the
 * margin rule does not allow (flipTolerance: 0 for float32, where no flip is allowed; the tolerance otherwise).
 */
export function compareOutputs(actual, expected, cols, isClassifier, flipTolerance = 0) {
  if (actual.length !== expected.length) {
    return { maxAbsDiff: Infinity, argmaxAgreement: isClassifier ? 0 : null, badFlips: isClassifier ? 1 : 0 };
  }
  let maxAbsDiff = 0;
  for (let i = 0; i < actual.length; i++) maxAbsDiff = Math.max(maxAbsDiff, elementDiff(actual[i], expected[i]));
  let argmaxAgreement = null;
  let badFlips = 0;
  if (isClassifier) {
    const a = argmaxRows(actual, cols);
    const e = argmaxRows(expected, cols);
    argmaxAgreement = a.filter((v, i) => v === e[i]).length / e.length;
    a.forEach((top, r) => {
      if (top !== e[r] && !(flipTolerance > 0 && allowedFlip(expected.slice(r * cols, (r + 1) * cols), top, flipTolerance))) badFlips++;
    });
  }
  return { maxAbsDiff, argmaxAgreement, badFlips };
}

// tf.js errors that say a backend cannot run the model at all (no kernel, an op or a form of it unsupported, a
// known tf.js bug): reported as a tf.js limitation, not as a parity failure. Each names what tf.js lacks.
const UNSUPPORTED = [
  [/Kernel '(\w+)' not registered for backend '(\w+)'/, (m) => `tf.js has no '${m[1]}' kernel on ${m[2]}`],
  [/(\w+) only supports ([\w -]+)/, (m, backend) => `tf.js ${backend}: ${m[1]} only supports ${m[2]}`],
  [/Tensorflow Op is not supported: (\w+)/, (m) => `tf.js has no '${m[1]}' op`],
  [/'(\w+)' is not yet (?:supported|implemented)/i, (m, backend) => `tf.js ${backend} does not support '${m[1]}' yet`],
  // tf.einsum's own refusals (cpu, webgl): repeated letters, more than two operands, '...' where no rule spelt it out.
  [/(?:Support for |The )([\w ]+?)(?: \("\.\.\."\))? is not (?:supported|implemented) yet/,
    (m, backend) => `tf.js ${backend} einsum: no ${m[1].replace(/ in input$/, '')}`],
  // TF's remapper fuses activations into convolutions (hard-swish into _FusedConv2D) that no tf.js backend runs.
  [/Activation (\w+) has not been implemented for the (\w+) backend/, (m) => `tf.js ${m[2]} has no fused '${m[1]}' activation`],
  [/Unknown (?:layer|activation|initializer|regularizer|constraint): (\w+)/, (m) => `tfjs-layers has no '${m[1]}'`],
  // Keras layers whose options tfjs-layers 4.22 ignores (GlobalAveragePooling2D keepdims=True) feed the next
  // layer a tensor of another rank.
  [/Input \d+ is incompatible with layer (\S+): expected ndim=(\d+), found ndim=(\d+)/,
    (m) => `tfjs-layers gives layer '${m[1]}' a rank-${m[3]} input where Keras gives rank ${m[2]} (a layer option tfjs-layers ignores)`],
  // tf.js 4.22 bugs seen in While loops over TensorLists (graph GRU/LSTM, masked bidirectional RNNs).
  [/Cannot read properties of undefined \(reading 'backend'\)/, (m, backend) => `tf.js ${backend} bug: a tensor is read after it was disposed (While loops over TensorLists)`],
  [/divi(?:de|sion) by zero/i, (m, backend) => `tf.js ${backend} bug: divide by zero inside a kernel (masked While loops)`],
  [/\bAborted\(/, (m, backend) => `tf.js ${backend} aborted inside WebAssembly (out of its memory, or an internal error)`],
  // tfjs-backend-wasm 4.22's GatherV2 reads outside its memory where batch_dims is the last axis (take_along_axis:
  // DeBERTa's relative attention); measured, not read from its source.
  [/memory access out of bounds/, (m, backend) => `tf.js ${backend} bug: a kernel read outside WebAssembly memory (GatherV2 with batch_dims does)`],
];

/** A failed row for an error: {error, unsupported} where unsupported names the tf.js limitation, if it is one. */
export function describeFailure(err, backend) {
  const message = String(err?.message ?? err);
  for (const [pattern, describe] of UNSUPPORTED) {
    const m = message.match(pattern);
    if (m) return { error: message, unsupported: describe(m, backend) };
  }
  return { error: message };
}

// tf.js has no int64, float16 or uint8 tensors: goldens of those dtypes are fed as the nearest tf.js dtype.
export const TFJS_DTYPE = { float32: 'float32', float16: 'float32', int32: 'int32', int64: 'int32', uint8: 'int32', bool: 'bool', string: 'string' };

/** One tf.js tensor per golden input, in metadata.inputs order. */
export function goldenInputs(tf, meta, goldens) {
  return meta.inputs.map(({ name }) => {
    const { values, shape, dtype } = goldens.inputs[name];
    return tf.tensor(values, shape, TFJS_DTYPE[dtype]);
  });
}

/**
 * Run the model on its inputs; one output tensor per metadata.outputs entry, in that order. Graph models are fed
 * by input name and asked for their outputs by signature name; layers models take and return tensors in the
 * order of metadata.inputs and metadata.outputs (the exporter lists them in the model's own order).
 */
export async function runModel(tf, model, meta, xs) {
  let ys;
  if (meta.format === 'layers') {
    // One batch: predict's default batchSize of 32 would run a batch of 1000 as 32 sequential calls (7x slower).
    ys = model.predict(xs.length === 1 ? xs[0] : xs, { batchSize: xs[0].shape[0] });
  } else {
    const keys = model.modelSignature?.inputs;
    const feed = Object.fromEntries(meta.inputs.map(({ name }, i) => [signatureKey(keys, name) ?? name, xs[i]]));
    const names = meta.outputs.map(({ name }) => name);
    try {
      ys = model.execute(feed, names);
    } catch (err) {
      // Graphs with control flow or dynamic shapes only run asynchronously; tf.js says so in its error.
      if (!/executeAsync/.test(err.message)) throw err;
      ys = await model.executeAsync(feed, names);
    }
  }
  ys = [ys].flat();
  if (ys.length !== meta.outputs.length) {
    tf.dispose(ys);
    throw new Error(`model gives ${ys.length} outputs, metadata.json declares ${meta.outputs.length}`);
  }
  return ys;
}

/** One run of the golden inputs: each output's values and shape, the milliseconds it took, and tensors left behind. */
async function countedRun(tf, model, meta, goldens) {
  const before = tf.memory().numTensors;
  const started = performance.now();
  const xs = goldenInputs(tf, meta, goldens);
  const actual = [];
  let ms;
  try {
    const ys = await runModel(tf, model, meta, xs);
    try {
      for (const y of ys) actual.push({ values: await y.data(), shape: y.shape });
      ms = performance.now() - started;
    } finally {
      tf.dispose(ys);
    }
  } finally {
    tf.dispose(xs);
  }
  return { actual, ms, leaked: tf.memory().numTensors - before };
}

/**
 * The golden run, with tensors leaked per call. A graph's first call may create tensors that live as long as the
 * model (a lookup table's keys and values, 2-3 tensors): when the first run leaves tensors behind, a second run
 * tells them apart: what it leaves is the leak, the rest was one-time initialisation (initTensors).
 */
async function goldenRun(tf, model, meta, goldens) {
  const first = await countedRun(tf, model, meta, goldens);
  if (first.leaked <= 0) return { ...first, initTensors: 0 };
  const second = await countedRun(tf, model, meta, goldens);
  return { ...first, leaked: second.leaked, initTensors: Math.max(0, first.leaked - second.leaked) };
}

/** Every op of a graph model's topology, its function library (control flow bodies) included; empty for layers models. */
function graphOps(model) {
  const topology = model.artifacts?.modelTopology ?? {};
  const nodes = [...(topology.node ?? []), ...(topology.library?.function ?? []).flatMap((f) => f.nodeDef ?? [])];
  return new Set(nodes.map((n) => n?.op));
}

/**
 * The tf.js bug behind a wrong output shape, where one is known: tf.js 4.22's LookupTableFindV2 returns its
 * result flattened (all the values, rank 1).
 */
function knownShapeBug(model, outputs) {
  const size = (shape) => shape.reduce((a, b) => a * b, 1);
  const flat = outputs.find((o) => o.shape.length === 1 && o.expectedShape.length > 1 && o.shape[0] === size(o.expectedShape));
  if (!flat || ![...graphOps(model)].some((op) => /^LookupTableFind/.test(op))) return undefined;
  return `tf.js bug: LookupTableFindV2 returns its result flattened (${flat.name}: [${flat.shape}] for [${flat.expectedShape}])`;
}

/**
 * Judge every output ({values, shape}, in metadata.outputs order) against Python's: per-output max |Δ| within its
 * tolerance and shape, and for classifiers argmax on the first output (a classifier's class scores). The overall
 * figures are the largest difference and the strictest bound (each output is judged against its own).
 */
export function judgeOutputs(meta, goldens, actual, key = encodingOf(meta), tolerances = TOLERANCES) {
  const isClassifier = meta.kind === 'classification';
  const outputs = meta.outputs.map(({ name }, i) => {
    const expected = goldens.outputs[name];
    const tolerance = toleranceFor(meta, expected.values, key, tolerances);
    const cols = expected.shape[expected.shape.length - 1] ?? 1;
    const flipTolerance = key === 'float32' ? 0 : tolerance;
    const cmp = compareOutputs(actual[i].values, expected.values, cols, isClassifier && i === 0, flipTolerance);
    const shapeOk = JSON.stringify(actual[i].shape) === JSON.stringify(expected.shape);
    const pass = shapeOk && cmp.maxAbsDiff <= tolerance;
    return { name, shape: actual[i].shape, expectedShape: expected.shape, maxAbsDiff: cmp.maxAbsDiff, tolerance,
      argmaxAgreement: cmp.argmaxAgreement, badFlips: cmp.badFlips, pass };
  });
  const [first] = outputs;
  return {
    shape: first.shape, expectedShape: first.expectedShape,
    maxAbsDiff: Math.max(...outputs.map((o) => o.maxAbsDiff)), tolerance: Math.min(...outputs.map((o) => o.tolerance)),
    outputs, argmaxAgreement: first.argmaxAgreement, badFlips: first.badFlips,
    pass: outputs.every((o) => o.pass) && (!isClassifier || first.badFlips === 0),
  };
}

/**
 * Run a model's golden inputs on the current backend and judge every output against Python's.
 * folder names the row: the folder's name, never metadata's `name`, so one folder cannot pose as another.
 */
export async function checkParity(tf, model, meta, goldens, folder) {
  const { actual, ms, leaked: leakedTensors, initTensors } = await goldenRun(tf, model, meta, goldens);
  const judged = judgeOutputs(meta, goldens, actual);
  const pass = judged.pass && leakedTensors === 0;
  const unsupported = pass ? undefined : knownShapeBug(model, judged.outputs);
  return {
    model: folder, folder, backend: tf.getBackend(), format: meta.format, quantization: encodingOf(meta),
    bytes: meta.bytes.on_disk, count: goldens.count, ...judged, leakedTensors, initTensors, ms, pass,
    ...(unsupported ? { unsupported } : {}),
  };
}
