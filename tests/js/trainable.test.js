// A layers-model export keeps training in tf.js: fit every float32 layers classifier a few steps on its goldens.
// Models come from web/models/ (make models exports mlp-layers), or from TFJS_BRIDGE_MODELS (pytest's matrix).
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';

import { tf, useBackend } from '../../verify/node/harness.js';
import { MODELS_ROOT } from '../support/paths.js';
import { discoverModels, loadModelDir, readMetadataDir } from '../../verify/node/load.js';

const root = MODELS_ROOT;
const trainable = [];
for (const dir of await discoverModels(root)) {
  const meta = await readMetadataDir(dir);
  if (meta.format === 'layers' && meta.kind === 'classification' && !meta.quantization) trainable.push(dir);
}

test('a float32 layers classifier is exported (make models writes mlp-layers)', () => {
  assert.ok(trainable.length > 0, `no float32 layers classifier under ${root}`);
});

for (const dir of trainable) {
  test(`${path.basename(dir)} loss goes down after a few fit steps`, async () => {
    await useBackend('cpu');
    const { model, meta, goldens: g } = await loadModelDir(tf, dir, { goldens: true });
    const input = g.inputs[meta.inputs[0].name];
    const output = g.outputs[meta.outputs[0].name];
    const classes = output.shape[output.shape.length - 1];
    // Labels where the goldens have them, else the model's own predictions (a fixed target to fit towards).
    const labels = g.labels ?? [...tf.tidy(() => tf.tensor(output.values, output.shape).argMax(-1)).dataSync()];
    const x = tf.tensor(input.values, input.shape, 'float32');
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
    try {
      model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
      const lossOf = () => tf.tidy(() => model.evaluate(x, y, { batchSize: g.count }).dataSync()[0]);
      const before = lossOf();
      await model.fit(x, y, { epochs: 5, batchSize: g.count, shuffle: false, verbose: 0 });
      const after = lossOf();
      console.log(`${path.basename(dir)} loss ${before.toFixed(4)} -> ${after.toFixed(4)}`);
      assert.ok(Number.isFinite(after) && after < before, `loss ${before} -> ${after}`);
    } finally {
      tf.dispose([x, y]);
      model.dispose();
    }
  });
}
