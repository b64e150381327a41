#!/usr/bin/env node
// `tfjs-bridge verify --explain`, the tf.js half: find the golden that fails worst, then compare tf.js's intermediate
// tensors for it (graph nodes, or layer outputs) with TensorFlow's, which the Python half computes for that golden.
//
// Run by tfjs_bridge/explain.py as `node explain.js DIR --backend NAME`, speaking JSON lines:
//   stdout  {row, rows, outputs}           the chosen golden and its parity per output
//   stdin   {expected: "INDEX.json"}       TensorFlow's values for that golden (index + a float64 .bin beside it)
//   stdout  {row, compared, first, ...}    the first departure, with its inputs and weights
// Errors end the process with one line `error: ...` on stderr and exit 2.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { checkParity, compareOutputs, goldenInputs, runModel, toleranceFor } from '../js/parity.js';
import { tf, useBackend } from './harness.js';
import { limitsOf } from '../js/artifacts.js';
import { folderIO, loadModelDir, loadSchema } from './load.js';

// Values shown from each side of a departure: enough to see its pattern, few enough for one line.
export const SHOWN = 6;

/** The one-row goldens document of row r (every input and output sliced on its leading, batch axis). */
export function goldenRow(goldens, r) {
  const slice = (t) => {
    const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
    return { ...t, shape: [1, ...t.shape.slice(1)], values: t.values.slice(r * per, (r + 1) * per) };
  };
  const each = (tensors) => Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, slice(t)]));
  const row = { ...goldens, count: 1, inputs: each(goldens.inputs), outputs: each(goldens.outputs) };
  if (goldens.labels) row.labels = goldens.labels.slice(r, r + 1);
  return row;
}

/** How badly a parity result fails: failures first, then by the largest max |Δ| relative to its tolerance. */
function badness(result) {
  return (result.pass ? 0 : 1e9) + Math.max(...result.outputs.map((o) => o.maxAbsDiff / o.tolerance));
}

/** The golden that fails worst on the current backend: {row, rows, outputs} (checked one row at a time, as verify does). */
export async function worstRow(model, meta, goldens) {
  let worst = null;
  for (let r = 0; r < goldens.count; r++) {
    const result = await checkParity(tf, model, meta, goldenRow(goldens, r), '');
    if (!worst || badness(result) > badness(worst.result)) worst = { row: r, result };
  }
  const outputs = worst.result.outputs.map(({ name, maxAbsDiff, tolerance, pass }) => ({ name, maxAbsDiff, tolerance, pass }));
  return { row: worst.row, rows: goldens.count, pass: worst.result.pass, outputs };
}

/** Row-major multi-index of flat index i in shape. */
function unravel(i, shape) {
  const at = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return at;
}

/** One tensor compared with TensorFlow's values, as verify compares outputs; with the spot of its largest |Δ|. */
export function compareTensor(meta, entry, actual, actualShape, expected) {
  const tolerance = toleranceFor(meta, expected);
  const shapeOk = JSON.stringify(actualShape) === JSON.stringify(entry.shape);
  const { maxAbsDiff } = compareOutputs(actual, expected, 1, false);
  let worst = 0;
  if (shapeOk) {
    for (let i = 0; i < expected.length; i++) {
      const d = Math.abs(Number(actual[i]) - expected[i]);
      if (!(d <= Math.abs(Number(actual[worst]) - expected[worst]))) worst = i;
    }
  }
  const result = { name: entry.name, op: entry.op, kind: entry.kind, shape: actualShape, expectedShape: entry.shape, maxAbsDiff, tolerance };
  result.departs = !shapeOk || !(maxAbsDiff <= tolerance);
  if (result.departs) {
    Object.assign(result, {
      at: shapeOk ? unravel(worst, entry.shape) : null,
      actualAt: shapeOk ? Number(actual[worst]) : null,
      expectedAt: shapeOk ? expected[worst] : null,
      actual: Array.from(actual.slice(0, SHOWN), Number),
      expected: Array.from(expected.slice(0, SHOWN)),
    });
  }
  return result;
}

/** Names of a graph model's nodes (from its model.json, already verified by the loader). */
async function graphNodes(dir) {
  const limit = limitsOf(await loadSchema())['model.json'];
  const modelJson = JSON.parse(await folderIO(dir).readText('model.json', limit));
  return new Set((modelJson.modelTopology?.node ?? []).map((n) => n.name));
}

/**
 * tf.js's tensors for the entries TensorFlow computed: node outputs (graph), layer outputs and layer weights (layers).
 * Returns {values: Map name → {values, shape}, missing: [names tf.js does not have]}.
 */
export async function tfjsValues(dir, model, meta, xs, entries) {
  const values = new Map();
  const missing = [];
  let fetch = [];
  if (meta.format === 'layers') {
    const layerOf = (name) => { try { return model.getLayer(name); } catch { return null; } };
    for (const e of entries) {
      const layer = layerOf(e.layer ?? e.name);
      if (!layer) missing.push(e.name);
      else if (e.kind === 'weight') {
        const w = layer.getWeights()[e.index];
        if (w) values.set(e.name, { values: await w.data(), shape: w.shape });
        else missing.push(e.name);
      } else fetch.push({ entry: e, output: layer.output });
    }
    // Single-output layers only: a layer called on several inputs has no one output to compare.
    fetch = fetch.filter(({ entry, output }) => (Array.isArray(output) ? missing.push(entry.name) && false : true));
    if (fetch.length) {
      const probe = tf.model({ inputs: model.inputs, outputs: fetch.map((f) => f.output) });
      const ys = [probe.predict(xs.length === 1 ? xs[0] : xs)].flat();
      for (let i = 0; i < ys.length; i++) values.set(fetch[i].entry.name, { values: await ys[i].data(), shape: ys[i].shape });
      tf.dispose(ys);
    }
    return { values, missing };
  }
  const nodes = await graphNodes(dir);
  const names = entries.map((e) => e.name).filter((n) => nodes.has(n) || !missing.push(n));
  // Asked for by name, graph outputs may be the model's own weight tensors: they are read, never disposed.
  const ys = await runModel(tf, model, { ...meta, outputs: names.map((name) => ({ name })) }, xs);
  for (let i = 0; i < ys.length; i++) values.set(names[i], { values: await ys[i].data(), shape: ys[i].shape });
  return { values, missing };
}

/** TensorFlow's values of one golden row: the index JSON and its float64 data file. */
async function readExpected(indexFile) {
  const index = JSON.parse(await readFile(indexFile, 'utf8'));
  const bytes = await readFile(path.join(path.dirname(indexFile), index.data));
  const data = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  return { index, valuesOf: (e) => data.subarray(e.offset, e.offset + e.length) };
}

/**
 * Compare tf.js with TensorFlow on one golden row, entry by entry in TensorFlow's topological order; the first node or
 * layer that departs is reported with its inputs and weights, so a reader sees whether it is the culprit or an heir.
 */
export async function explainRow(dir, model, meta, goldens, row, indexFile) {
  const { index, valuesOf } = await readExpected(indexFile);
  const one = goldenRow(goldens, row);
  // The Python side's own outputs against the goldens: a mismatch means --source is not what the folder came from.
  const source = index.outputs.map((o) => {
    const expected = one.outputs[o.name].values;
    const tolerance = toleranceFor(meta, expected);
    const { maxAbsDiff } = compareOutputs(valuesOf(o), expected, 1, false);
    return { name: o.name, maxAbsDiff, tolerance, agrees: maxAbsDiff <= tolerance };
  });
  const xs = goldenInputs(tf, meta, one);
  const { values, missing } = await tfjsValues(dir, model, meta, xs, index.entries.filter((e) => e.kind !== 'string'));
  tf.dispose(xs);
  const results = new Map();
  for (const e of index.entries) {
    const got = values.get(e.name);
    if (got) results.set(e.name, compareTensor(meta, e, got.values, got.shape, valuesOf(e)));
  }
  const computed = index.entries.filter((e) => e.kind !== 'weight' && results.has(e.name));
  const at = computed.findIndex((e) => results.get(e.name).departs);
  let first = null;
  if (at >= 0) {
    const e = computed[at];
    const brief = (n) => {
      const r = results.get(n);
      return r ? { name: n, maxAbsDiff: r.maxAbsDiff, tolerance: r.tolerance, departs: r.departs } : { name: n, compared: false };
    };
    first = { ...results.get(e.name), inputs: e.inputs.map(brief), weights: (e.weights ?? []).map(brief) };
  }
  // The closest call among the tensors that agree: how much margin the tolerance left them.
  const agreed = computed.slice(0, at >= 0 ? at : computed.length).map((e) => results.get(e.name));
  const closest = agreed.reduce((c, r) => (!c || r.maxAbsDiff / r.tolerance > c.maxAbsDiff / c.tolerance ? r : c), null);
  return {
    row, backend: tf.getBackend(), format: meta.format, source, first, agreedBefore: agreed.length,
    compared: computed.length, missing, closest: closest && { name: closest.name, maxAbsDiff: closest.maxAbsDiff, tolerance: closest.tolerance },
  };
}

/** Print one error line and exit 2. */
function fail(message) {
  console.error(`error: ${message}`);
  process.exit(2);
}

/** The command: pick the row, wait for TensorFlow's values, report the first departure. */
async function main() {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { backend: { type: 'string', default: 'cpu' } } });
  } catch (err) {
    fail(err.message);
  }
  if (parsed.positionals.length !== 1) fail('usage: explain.js DIR [--backend NAME]');
  const dir = path.resolve(parsed.positionals[0]);
  const options = parsed.values;
  const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  try {
    await useBackend(options.backend);
    const { model, meta, goldens } = await loadModelDir(tf, dir, { goldens: true });
    const worst = await worstRow(model, meta, goldens);
    console.log(JSON.stringify(worst));
    const request = await lines.next();
    if (request.done) process.exit(0); // the Python side had nothing to compare (it says why)
    const { expected } = JSON.parse(request.value);
    console.log(JSON.stringify(await explainRow(dir, model, meta, goldens, worst.row, expected)));
  } catch (err) {
    fail(err.message);
  }
  process.exit(0);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
