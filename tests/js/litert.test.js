// LiteRT.js in Node: the project's loader (verify/node/litert.js) gives its page-and-worker loader what Node lacks.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';

import { MODELS_ROOT } from '../support/paths.js';
import { goldenArrays, pickSignature, runLiteRt } from '../../verify/js/litert.js';
import { useBackend, verifyLiteRt } from '../../verify/node/harness.js';
import { litert, loadLiteRtNode } from '../../verify/node/litert.js';
import { readGoldensDir, readMetadataDir, readTfliteDir } from '../../verify/node/load.js';

test('LiteRT.js loads its wasm runtime in Node once, and later calls share it', { timeout: 30_000 }, async () => {
  const first = loadLiteRtNode();
  assert.equal(loadLiteRtNode(), first);
  const runtime = await first;
  assert.ok(runtime instanceof litert.LiteRt);
  assert.equal(litert.getGlobalLiteRt(), runtime);
  // The worker globals are gone again: with importScripts left behind, tf.js's wasm backend took Node for a
  // worker and failed to find its .wasm (when LiteRT.js loaded first).
  assert.equal(typeof globalThis.importScripts, 'undefined');
  await useBackend('wasm');
});

test('the demo MLP runs through LiteRT.js as TensorFlow ran it, every tensor freed', { timeout: 60_000 }, async (t) => {
  const dir = path.join(MODELS_ROOT, 'mlp');
  const meta = await readMetadataDir(dir);
  if (!meta.litert?.file) return t.skip('web/models/mlp has no model.tflite (make models exports one)');
  const row = await verifyLiteRt(dir);
  assert.equal(row.backend, 'litert-wasm');
  assert.ok(row.pass && row.maxAbsDiff <= 1e-4 && row.argmaxAgreement === 1 && row.leakedTensors === 0, JSON.stringify(row));
  // A batch no signature has exactly (3 rows, signatures of 1 and 64) runs in chunks of the one that fits.
  const goldens = await readGoldensDir(dir, meta);
  const compiled = await litert.loadAndCompile(await readTfliteDir(dir, meta), { accelerator: 'wasm' });
  try {
    const [image] = goldenArrays(meta, goldens);
    const three = { values: image.values.slice(0, 3 * 784), shape: [3, 28, 28] };
    const [out] = await runLiteRt(litert, compiled, meta, [three]);
    assert.deepEqual(out.shape, [3, 10]);
    const expected = goldens.outputs[meta.outputs[0].name].values.slice(0, 30);
    assert.ok(expected.every((v, i) => Math.abs(v - out.values[i]) <= 1e-4));
  } finally {
    compiled.delete();
  }
});

test('a batch that no signature divides is refused naming the batches it has', () => {
  const litertMeta = { signatures: [{ key: 'batch_4', batch: 4 }, { key: 'batch_8', batch: 8 }] };
  assert.equal(pickSignature(litertMeta, 16).batch, 8);
  assert.throws(() => pickSignature(litertMeta, 6), /runs batches of 4, 8, not 6 rows/);
});
