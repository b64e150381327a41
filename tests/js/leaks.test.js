// The leak check: tensors a graph creates once for its lifetime (a lookup table's keys and values) are not a leak;
// tensors left behind by every call are, and still fail the row (negative control).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { tf, useBackend } from '../../verify/node/harness.js';
import { checkParity } from '../../verify/js/parity.js';

const META = Object.freeze({
  name: 'fake', format: 'graph', kind: 'regression', bytes: { on_disk: 0 },
  inputs: [{ name: 'x', shape: [null, 2], dtype: 'float32' }], outputs: [{ name: 'y', shape: [null, 2], dtype: 'float32' }],
});
const GOLDENS = Object.freeze({
  count: 1, inputs: { x: { dtype: 'float32', shape: [1, 2], values: [1, 2] } },
  outputs: { y: { dtype: 'float32', shape: [1, 2], values: [2, 4] } },
});

/** A graph-model stand-in computing y = 2x that keeps `once` tensors from its first call and leaks `perCall` each call. */
function fakeModel({ once = 0, perCall = 0 }) {
  const kept = [];
  let calls = 0;
  return {
    execute(feed) {
      if (calls++ === 0) for (let i = 0; i < once; i++) kept.push(tf.zeros([2]));
      for (let i = 0; i < perCall; i++) tf.zeros([1]);
      return tf.mul(feed.x, 2);
    },
    dispose: () => tf.dispose(kept),
  };
}

for (const backend of ['cpu', 'wasm']) {
  test(`one-time initialisation is not a leak, a per-call leak fails (${backend})`, async () => {
    await useBackend(backend);
    const cases = [
      [{ once: 3 }, { pass: true, leakedTensors: 0, initTensors: 3 }],
      [{}, { pass: true, leakedTensors: 0, initTensors: 0 }],
      [{ perCall: 1 }, { pass: false, leakedTensors: 1, initTensors: 0 }],
      [{ once: 2, perCall: 2 }, { pass: false, leakedTensors: 2, initTensors: 2 }],
    ];
    for (const [how, expected] of cases) {
      const model = fakeModel(how);
      const row = await checkParity(tf, model, META, GOLDENS, 'fake');
      model.dispose();
      assert.equal(row.maxAbsDiff, 0);
      assert.deepEqual({ pass: row.pass, leakedTensors: row.leakedTensors, initTensors: row.initTensors }, expected, JSON.stringify(how));
    }
  });
}
