// LiteRT.js parity: a folder's goldens run through its model.tflite and judged by the same rules as tf.js
// (parity.js). Shared by the Node harness and the page: it only needs the `litert` namespace (@litertjs/core)
// passed in, with its wasm runtime loaded.
import { judgeOutputs } from './parity.js';

// Largest max |Δ| accepted per TFLite weight encoding, relative like tf.js's quantized bounds (parity.js).
// float32: TensorFlow and LiteRT.js (XNNPack) run the same float32 ops with different summation orders; measured
// max |Δ| 3.0e-7 on the demo MLP's softmax, in line with tf.js (3.6e-7), so tf.js's 1e-4 applies.
// The model suite's CNNs measured at most 4.8e-7 (conv1d) against tf.js wasm's 3.6e-7 there.
// Quantized weights are compared with the float32 model's outputs, relative to the outputs' size as tf.js's are.
// Measured max |Δ| (LiteRT.js wasm in Node, TF 2.19's converter):
//   float16 (--quantize float16): MLP 4.42e-4 (tf.js float16: 4.40e-4), ResNet 5.03e-5, EfficientNet 4.4e-6 → 1e-3
//   int8, dynamic range (--quantize uint8; per-channel int8 weights, activations quantized on the fly by the
//   hybrid kernels; tensors under 1024 elements stay float): MLP 7.23e-3 (tf.js uint8: 1.58e-2), ResNet 5.25e-4,
//   EfficientNet 3.0e-7 → 5e-2
// i.e. tf.js's bounds for the same --quantize mode, 2.3x and 6.9x over the largest measurement.
export const LITERT_TOLERANCES = { float32: 1e-4, float16: 1e-3, int8: 5e-2 };

// The LiteRT.js rows of the parity table, by accelerator.
export const LITERT_BACKENDS = { 'litert-wasm': 'wasm', 'litert-webgpu': 'webgpu' };

const TYPED = { float32: Float32Array, int32: Int32Array, uint8: Uint8Array };

// Lines the wasm runtime logs as a matter of course (accelerators registered, XNNPack created, no NPU here).
const ROUTINE_LOG = /^(INFO: |WARNING: \[npu_registry)/;

/**
 * Emscripten settings for LiteRT.js's wasm module, set as globalThis.Module before loadLiteRt (its loader reads
 * and clears them): routine log lines dropped, the rest to console.error.
 */
export function quietModule() {
  return { printErr: (line) => (ROUTINE_LOG.test(line) ? undefined : console.error(line)) };
}

/** The TFLite encoding of a folder's model.tflite (float32 when not quantized). */
export function litertEncoding(meta) {
  return meta.litert?.quantization ?? 'float32';
}

/** The signature that runs `rows` rows: the one of exactly that batch, else the largest batch dividing rows. */
export function pickSignature(litert, rows) {
  const fits = litert.signatures.filter((s) => rows % s.batch === 0).sort((a, b) => b.batch - a.batch);
  if (!fits.length) {
    throw new Error(`model.tflite runs batches of ${litert.signatures.map((s) => s.batch).join(', ')}, not ${rows} rows `
      + '(re-export with --litert-batch N)');
  }
  return fits[0];
}

/** Rows [start, end) of a flat row-major array of the given shape, as the typed array LiteRT.js wants. */
function rowsOf({ values, shape }, start, end, Typed) {
  const row = shape.slice(1).reduce((a, b) => a * b, 1);
  const part = values.slice(start * row, end * row);
  return part instanceof Typed ? part : Typed.from(part);
}

/** One signature call on rows [start, end): outputs as {values, shape} in metadata.outputs order; frees every tensor. */
async function runChunk(litert, compiled, meta, signature, inputs, start, tally) {
  const made = [];
  const feed = {};
  let out = {};
  try {
    for (const t of signature.inputs) {
      const i = meta.inputs.findIndex((s) => s.name === t.name);
      if (i < 0) throw new Error(`model.tflite input '${t.name}' is not an input of metadata.json`);
      feed[t.name] = new litert.Tensor(rowsOf(inputs[i], start, start + signature.batch, TYPED[t.dtype]), t.shape);
      made.push(feed[t.name]);
    }
    out = await compiled.run(signature.key, feed);
    return await Promise.all(meta.outputs.map(async ({ name }) => {
      if (!out[name]) throw new Error(`model.tflite gives no output '${name}' (it has ${Object.keys(out)})`);
      const record = signature.outputs.find((o) => o.name === name);
      return { values: (await out[name].data()).slice(), shape: record.shape };
    }));
  } finally {
    for (const t of [...made, ...Object.values(out)]) t.delete();
    tally.push(...made, ...Object.values(out));
  }
}

/**
 * Run plain inputs (one {values, shape} per metadata.inputs entry, rows first) through a compiled model.tflite;
 * one {values, shape} per metadata.outputs entry. A batch the signatures lack is run in chunks of one that fits.
 * tally collects every tensor made (each is deleted here; the caller can check).
 */
export async function runLiteRt(litert, compiled, meta, inputs, tally = []) {
  const rows = inputs[0].shape[0];
  const signature = pickSignature(meta.litert, rows);
  const parts = [];
  for (let start = 0; start < rows; start += signature.batch) {
    parts.push(await runChunk(litert, compiled, meta, signature, inputs, start, tally));
  }
  return meta.outputs.map((_, k) => {
    const chunks = parts.map((p) => p[k]);
    const values = new chunks[0].values.constructor(chunks.reduce((n, c) => n + c.values.length, 0));
    chunks.forEach((c, j) => values.set(c.values, j * c.values.length));
    return { values, shape: [rows, ...chunks[0].shape.slice(1)] };
  });
}

/** The goldens' inputs as plain {values, shape}, in metadata.inputs order. */
export function goldenArrays(meta, goldens) {
  return meta.inputs.map(({ name }) => ({ values: goldens.inputs[name].values, shape: goldens.inputs[name].shape }));
}

// LiteRT.js errors that say it cannot run the model at all: reported as a LiteRT.js limitation, not a parity failure.
const UNSUPPORTED = [
  [/no model\.tflite: (.*)/, (m) => m[1]],
  [/no model\.tflite \(/, () => 'no model.tflite in the folder (export with --runtime tfjs,litert)'],
  [/(?:Didn't find op|Unsupported|not supported)[^\n]*/i, (m) => `LiteRT.js: ${m[0].slice(0, 200)}`],
  [/WebGPU is not supported|No WebGPU|navigator\.gpu/i, () => 'LiteRT.js webgpu: no WebGPU device here'],
];

/** A failed LiteRT.js row's fields for an error: {error, unsupported} where unsupported names the limitation. */
export function describeLiteRtFailure(err) {
  const message = String(err?.message ?? err);
  for (const [pattern, describe] of UNSUPPORTED) {
    const m = message.match(pattern);
    if (m) return { error: message, unsupported: describe(m) };
  }
  return { error: message };
}

/**
 * Run a folder's goldens through its compiled model.tflite and judge them; a row of the parity table.
 * leakedTensors counts LiteRT.js tensors left undeleted (LiteRT.js frees memory only when told).
 */
export async function checkLiteRtParity(litert, compiled, meta, goldens, folder, backend) {
  const tally = [];
  const started = performance.now();
  const actual = await runLiteRt(litert, compiled, meta, goldenArrays(meta, goldens), tally);
  const ms = performance.now() - started;
  const leakedTensors = tally.filter((t) => !t.deleted).length;
  const judged = judgeOutputs(meta, goldens, actual, litertEncoding(meta), LITERT_TOLERANCES);
  return {
    model: folder, folder, backend, runtime: 'litert', format: 'tflite', quantization: litertEncoding(meta),
    bytes: meta.litert.bytes, count: goldens.count, ...judged, leakedTensors, ms, pass: judged.pass && leakedTensors === 0,
  };
}
