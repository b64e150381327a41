// The Node harness's API: model folders' goldens run on tf.js backends (each folder isolated in its own worker),
// the tf.js it runs, and the parity table.
import { formatTable } from '../js/table.js';
import { tf, useBackend, verifyModel } from './check.js';
import { BACKENDS, CONCURRENCY, DEFAULT_TIMEOUT_S, verifyDirs } from './isolate.js';
import { discoverModels } from './load.js';

export { BACKENDS, CONCURRENCY, DEFAULT_TIMEOUT_S, formatTable, tf, useBackend, verifyDirs, verifyModel };

/** Verify every model folder under root on every backend. */
export async function verifyAll(root, backends = BACKENDS, options = {}) {
  return verifyDirs(await discoverModels(root), backends, options);
}
