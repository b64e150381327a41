// A layers-model export keeps training in tf.js: fit every float32 layers classifier a few steps on its goldens.
// Models come from web/models/ (make models exports mlp-layers), or from TFJS_BRIDGE_MODELS (pytest's matrix).
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';

import { MODELS_ROOT, tf, useBackend } from '../../web/node/harness.js';
import { discoverModels, loadModelDir, readJson } from '../../web/node/load.js';

const root = process.env.TFJS_BRIDGE_MODELS ?? MODELS_ROOT;
const trainable = [];
for (const dir of await discoverModels(root)) {
  const meta = await readJson(path.join(dir, 'metadata.json'));
  if (meta.format === 'layers' && meta.kind === 'classification' && !meta.quantization) trainable.push(dir);
}

test('a float32 layers classifier is exported (make models writes mlp-layers)', () => {
  assert.ok(trainable.length > 0, `no float32 layers classifier under ${root}`);
});

for (const dir of trainable) {
  test(`${path.basename(dir)} loss goes down after a few fit steps`, async () => {
    await useBackend('cpu');
    const { model, meta } = await loadModelDir(tf, dir);
    const g = meta.golden;
    const classes = g.output_shape[g.output_shape.length - 1];
    // Labels where the metadata has them, else the model's own predictions (a fixed target to fit towards).
    const labels = g.labels ?? [...tf.tidy(() => tf.tensor(g.outputs, g.output_shape).argMax(-1)).dataSync()];
    const x = tf.tensor(g.inputs, g.input_shape, 'float32');
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
