// The worker_threads inference pool: a batch split between workers gives exactly what one thread gives.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { MODELS_ROOT } from '../support/paths.js';
import { createPool, splitRows } from '../../verify/node/pool.js';

const dir = path.join(MODELS_ROOT, 'mlp');
let pool;
let single;

/** n seeded pseudo-random 28x28 images in [0, 1). */
function images(n, seed) {
  let s = seed;
  const values = Float32Array.from({ length: n * 784 }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31));
  return [{ values, shape: [n, 28, 28] }];
}

before(async () => {
  pool = await createPool(dir, { size: 3, threshold: 16 });
  single = await createPool(dir, { size: 1 });
});
after(async () => {
  await pool?.close();
  await single?.close();
});

test('rows are split into contiguous, near-equal ranges covering the batch', () => {
  assert.deepEqual(splitRows(10, 3), [[0, 3], [3, 6], [6, 10]]);
  assert.deepEqual(splitRows(2, 4), [[0, 1], [1, 2]]); // never an empty part
});

test('a batch split between 3 workers gives bit-identical outputs to one thread', async () => {
  const [split] = await pool.predict(images(301, 1));
  const [whole] = await single.predict(images(301, 1));
  assert.deepEqual(split.shape, [301, 10]);
  assert.deepEqual(whole.shape, [301, 10]);
  assert.ok(split.values.every((v, i) => Object.is(v, whole.values[i])), 'outputs differ');
  // Negative control: other images give other outputs, so the comparison can fail.
  const [other] = await single.predict(images(301, 2));
  assert.ok(other.values.some((v, i) => v !== whole.values[i]));
});

test('a batch under the threshold runs on the calling thread with the same result', async () => {
  const [small] = await pool.predict(images(5, 3));
  const [ref] = await single.predict(images(5, 3));
  assert.deepEqual([...small.values], [...ref.values]);
});

test('a pool size that is not a positive integer is refused', async () => {
  await assert.rejects(createPool(dir, { size: 0 }), /positive integer/);
});
