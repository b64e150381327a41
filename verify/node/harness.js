// The Node harness's API: model folders' goldens run on tf.js backends (each folder isolated in its own worker),
// the tf.js it runs, and the parity table.
import { fastest, formatTable } from '../js/table.js';
import { tf, useBackend, verifyLiteRt, verifyModel } from './check.js';
import { ALL_BACKENDS, BACKENDS, CONCURRENCY, DEFAULT_TIMEOUT_S, verifyDirs } from './isolate.js';
import { discoverModels } from './load.js';

export { ALL_BACKENDS, BACKENDS, CONCURRENCY, DEFAULT_TIMEOUT_S, fastest, formatTable, tf, useBackend, verifyDirs, verifyLiteRt, verifyModel };

/** Verify every model folder under root on every backend. */
export async function verifyAll(root, backends = ALL_BACKENDS, options = {}) {
  return verifyDirs(await discoverModels(root), backends, options);
}
