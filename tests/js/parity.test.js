// npm test: every model under web/models/ (or TFJS_BRIDGE_MODELS) matches Python on cpu and wasm, plus the harness's own checks.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { BACKENDS, formatTable, tf, verifyModel } from '../../verify/node/harness.js';
import { MODELS_ROOT } from '../support/paths.js';
import { discoverModels } from '../../verify/node/load.js';
import { TOLERANCES, allowedFlip, argmaxRows, compareOutputs, describeFailure, toleranceFor } from '../../verify/js/parity.js';

const models = await discoverModels(MODELS_ROOT);
const rows = [];

describe('parity of exported models with Python', () => {
  test('the models folder holds exported models (make models / make demo)', () => {
    assert.ok(models.length > 0, `no models under ${MODELS_ROOT}`);
  });
  for (const dir of models) {
    for (const backend of BACKENDS) {
      test(`${path.basename(dir)} on ${backend}`, async () => {
        const r = await verifyModel(dir, backend);
        rows.push(r);
        assert.deepEqual(r.shape, r.expectedShape, 'output shape');
        for (const o of r.outputs) assert.ok(o.maxAbsDiff <= o.tolerance, `${o.name}: max |Δ| ${o.maxAbsDiff} > ${o.tolerance}`);
        assert.ok(r.maxAbsDiff <= r.tolerance, `max |Δ| ${r.maxAbsDiff} > ${r.tolerance}`);
        if (r.argmaxAgreement !== null) assert.equal(r.badFlips, 0, `argmax flips beyond the margin rule (agreement ${r.argmaxAgreement})`);
        if (r.quantization === 'float32' && r.argmaxAgreement !== null) assert.equal(r.argmaxAgreement, 1);
        assert.equal(r.leakedTensors, 0, 'tensor leak');
        assert.ok(r.pass);
      });
    }
  }
  after(() => {
    if (rows.length) console.log(`\n${formatTable(rows)}\n`);
  });
});

describe('parity arithmetic', () => {
  test('argmax per row', () => {
    assert.deepEqual(argmaxRows([0.1, 0.9, 0.7, 0.2, 0.5, 0.5], 2), [1, 0, 0]);
  });
  test('NaN and length mismatches never pass', () => {
    assert.equal(compareOutputs([NaN, 1], [0, 1], 2, true).maxAbsDiff, Infinity);
    assert.equal(compareOutputs([1], [1, 2], 2, false).maxAbsDiff, Infinity);
  });
  test('argmax disagreement is counted', () => {
    const r = compareOutputs([0.6, 0.4, 0.1, 0.9], [0.4, 0.6, 0.1, 0.9], 2, true);
    assert.equal(r.argmaxAgreement, 0.5);
    assert.ok(Math.abs(r.maxAbsDiff - 0.2) < 1e-12);
  });
  test('strings compare equal or not at all; booleans by value', () => {
    assert.equal(compareOutputs(['a', 'b'], ['a', 'b'], 2, false).maxAbsDiff, 0);
    assert.equal(compareOutputs(['a', 'b'], ['a', 'c'], 2, false).maxAbsDiff, Infinity);
    assert.equal(compareOutputs(Uint8Array.of(1, 0), [true, true], 2, false).maxAbsDiff, 1);
  });
  test('unknown weight encodings have no tolerance', () => {
    assert.throws(() => toleranceFor({ name: 'm', quantization: { dtype: 'int4', map: {} } }, [1]), /no parity tolerance/);
  });
  test('quantized tolerances scale with the outputs, float32 stays absolute', () => {
    const expected = [0.5, -20, 3];
    const quantized = (dtype) => ({ name: 'm', quantization: { dtype, map: { [dtype]: '*' } } });
    assert.equal(toleranceFor({ name: 'm', quantization: null }, expected), TOLERANCES.float32);
    assert.equal(toleranceFor(quantized('uint8'), expected), TOLERANCES.uint8 * 20);
    assert.equal(toleranceFor(quantized('float16'), [0.1]), TOLERANCES.float16);
  });
  test('argmax: float32 keeps every class; quantized weights may flip only near-ties, with any number of goldens', () => {
    // Two goldens, 3 classes. Row 0 is a near tie (0.50 vs 0.49), row 1 is clear (0.9 vs 0.05).
    const expected = [0.50, 0.49, 0.01, 0.90, 0.05, 0.05];
    const tieFlipped = [0.48, 0.51, 0.01, 0.90, 0.05, 0.05];
    const clearFlipped = [0.50, 0.49, 0.01, 0.40, 0.55, 0.05];
    assert.equal(compareOutputs(tieFlipped, expected, 3, true, 0).badFlips, 1, 'float32: no flip allowed');
    assert.equal(compareOutputs(tieFlipped, expected, 3, true, 0.05).badFlips, 0, 'a near tie within 2 x tolerance');
    assert.equal(compareOutputs(clearFlipped, expected, 3, true, 0.05).badFlips, 1, 'a clear golden must keep its class');
    assert.equal(allowedFlip([0.5, 0.49, 0.01], 1, 0.005), false, 'margin 0.01 is not below 2 x 0.005');
    assert.equal(allowedFlip([0.5, 0.49, 0.01], 1, 0.0051), true);
  });
  test('tf.js limitations are named, not reported as parity failures', () => {
    assert.deepEqual(describeFailure(new Error("Kernel 'Einsum' not registered for backend 'wasm'"), 'wasm'),
      { error: "Kernel 'Einsum' not registered for backend 'wasm'", unsupported: "tf.js has no 'Einsum' kernel on wasm" });
    assert.equal(describeFailure(new Error('FusedConv2D only supports rank-1 bias'), 'wasm').unsupported,
      'tf.js wasm: FusedConv2D only supports rank-1 bias');
    assert.equal(describeFailure(new Error('weights.bin: sha256 mismatch'), 'cpu').unsupported, undefined);
    // The messages tf.js 4.22 gave on the issue-18 families, each labelled with what tf.js lacks.
    const labelled = {
      'Activation _fusedhardswish has not been implemented for the CPU backend': "tf.js CPU has no fused '_fusedhardswish' activation",
      "Cannot read properties of undefined (reading 'backend')": 'tf.js wasm bug: a tensor is read after it was disposed (While loops over TensorLists)',
      'Integer division by zero': 'tf.js wasm bug: divide by zero inside a kernel (masked While loops)',
      'RuntimeError: Aborted(). Build with -sASSERTIONS for more info.': 'tf.js wasm aborted inside WebAssembly (out of its memory, or an internal error)',
      'Input 0 is incompatible with layer conv_preds: expected ndim=4, found ndim=2':
        "tfjs-layers gives layer 'conv_preds' a rank-2 input where Keras gives rank 4 (a layer option tfjs-layers ignores)",
      'Unknown layer: RandomRotation': "tfjs-layers has no 'RandomRotation'",
      'Found duplicate axes in input component ii. Support for duplicate axes in input is not implemented yet.': 'tf.js wasm einsum: no duplicate axes',
      'Support for more than 2 input tensors is not implemented yet.': 'tf.js wasm einsum: no more than 2 input tensors',
      'The ellipsis notation ("...") is not supported yet.': 'tf.js wasm einsum: no ellipsis notation',
      'RuntimeError: memory access out of bounds': 'tf.js wasm bug: a kernel read outside WebAssembly memory (GatherV2 with batch_dims does)',
    };
    for (const [message, label] of Object.entries(labelled)) assert.equal(describeFailure(new Error(message), 'wasm').unsupported, label);
    // A timed-out folder or a worker crash of unknown cause is a failure, not a tf.js limitation.
    assert.equal(describeFailure('timed out after 120 s (--timeout)', 'cpu').unsupported, undefined);
  });
});

describe('loading from disk without tfjs-node', () => {
  const mlp = models.find((d) => path.basename(d) === 'mlp');
  let tmp;
  after(async () => tmp && rm(tmp, { recursive: true, force: true }));

  /** Copy the mlp with its single shard split into three, listed in `order`. */
  async function splitShardCopy(order) {
    tmp = await mkdtemp(path.join(tmpdir(), 'tfjs-bridge-'));
    const dir = path.join(tmp, `mlp-${order.join('')}`);
    await cp(mlp, dir, { recursive: true });
    const modelJson = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
    const meta = JSON.parse(await readFile(path.join(dir, 'metadata.json'), 'utf8'));
    const [group] = modelJson.weightsManifest;
    const whole = await readFile(path.join(dir, group.paths[0]));
    const cut = [0, 1000, 150000, whole.length];
    const names = [];
    meta.files = []; // each part recorded correctly, so only the order can be wrong
    for (let i = 0; i < 3; i++) {
      names.push(`part${i}.bin`);
      const part = whole.subarray(cut[i], cut[i + 1]);
      await writeFile(path.join(dir, names[i]), part);
      meta.files.push({ path: names[i], bytes: part.length, sha256: createHash('sha256').update(part).digest('hex') });
    }
    group.paths = order.map((i) => names[i]);
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(modelJson));
    await writeFile(path.join(dir, 'metadata.json'), JSON.stringify(meta));
    return dir;
  }

  test('multi-shard weights are concatenated in manifest order', { skip: !mlp && 'no mlp export' }, async () => {
    const r = await verifyModel(await splitShardCopy([0, 1, 2]), 'cpu');
    assert.ok(r.pass, `max |Δ| ${r.maxAbsDiff}`);
  });
  test('shards out of order are not accepted (the check can fail)', { skip: !mlp && 'no mlp export' }, async () => {
    // Misordered bytes scramble the graph's constants too, so the model may throw instead of mispredicting.
    const outcome = await verifyModel(await splitShardCopy([1, 0, 2]), 'cpu').catch((err) => err);
    assert.ok(outcome instanceof Error || (!outcome.pass && outcome.maxAbsDiff > 1e-2), JSON.stringify(outcome));
  });
  for (const name of ['mlp', 'mlp-layers']) {
    const source = models.find((d) => path.basename(d) === name);
    test(`an altered shard of ${name} is refused by checksum`, { skip: !source && `no ${name} export` }, async () => {
      tmp ??= await mkdtemp(path.join(tmpdir(), 'tfjs-bridge-'));
      const dir = path.join(tmp, `${name}-altered`);
      await cp(source, dir, { recursive: true });
      const meta = JSON.parse(await readFile(path.join(dir, 'metadata.json'), 'utf8'));
      const shard = path.join(dir, meta.files[0].path);
      const bytes = await readFile(shard);
      bytes[10] ^= 0xff;
      await writeFile(shard, bytes);
      await assert.rejects(verifyModel(dir, 'wasm'), new RegExp(`${meta.files[0].path}: sha256 mismatch`));
    });
  }
});

test('tf.js is the pure-JS package, not tfjs-node', () => {
  assert.equal(tf.version.tfjs, '4.22.0');
  assert.ok(!Object.keys(tf.engine().registryFactory).includes('tensorflow'));
});
