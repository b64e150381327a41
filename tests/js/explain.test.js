// The tf.js half of `verify --explain`: golden rows and tensor comparison (the end-to-end runs are in tests/verify/test_explain.py).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SHOWN, compareTensor, goldenRow } from '../../verify/node/explain.js';

const meta = { name: 'm', quantization: null };

test('a golden row is every input and output sliced on the batch axis', () => {
  const goldens = {
    count: 2, labels: [1, 0],
    inputs: { x: { dtype: 'float32', shape: [2, 2, 1], values: [1, 2, 3, 4] } },
    outputs: { y: { dtype: 'float32', shape: [2, 3], values: [0, 1, 2, 3, 4, 5] } },
  };
  const row = goldenRow(goldens, 1);
  assert.equal(row.count, 1);
  assert.deepEqual(row.labels, [0]);
  assert.deepEqual(row.inputs.x, { dtype: 'float32', shape: [1, 2, 1], values: [3, 4] });
  assert.deepEqual(row.outputs.y.values, [3, 4, 5]);
  assert.deepEqual(goldens.inputs.x.values, [1, 2, 3, 4], 'the goldens are left as they were');
});

test('a departure names its largest |Δ| by position, with values from both sides', () => {
  const entry = { name: 'n', op: 'Relu', kind: 'node', shape: [1, 2, 4] };
  const expected = Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
  const actual = Float32Array.from([0, 1, 2, 3, 4, 5, 9, 7]);
  const r = compareTensor(meta, entry, actual, [1, 2, 4], expected);
  assert.equal(r.departs, true);
  assert.equal(r.maxAbsDiff, 3);
  assert.deepEqual(r.at, [0, 1, 2]);
  assert.deepEqual([r.actualAt, r.expectedAt], [9, 6]);
  assert.equal(r.actual.length, SHOWN);
});

test('agreement within the float32 tolerance, and a shape mismatch or NaN departs', () => {
  const entry = { name: 'n', op: 'Add', kind: 'node', shape: [1, 2] };
  assert.equal(compareTensor(meta, entry, [1 + 5e-5, 2], [1, 2], [1, 2]).departs, false);
  const wrongShape = compareTensor(meta, entry, [1, 2], [2, 1], [1, 2]);
  assert.equal(wrongShape.departs, true);
  assert.equal(wrongShape.at, null);
  assert.equal(compareTensor(meta, entry, [NaN, 2], [1, 2], [1, 2]).departs, true);
});
