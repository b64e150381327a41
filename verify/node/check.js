// One model folder's parity on one tf.js backend, in this thread: what each isolated folder's worker runs.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';

import { checkParity } from '../js/parity.js';
import { loadModelDir } from './load.js';

export { tf };

/** Switch tf.js to a backend, failing loudly if it cannot start. */
export async function useBackend(name) {
  if (!(await tf.setBackend(name))) throw new Error(`tf.js backend '${name}' failed to initialise`);
  await tf.ready();
  // The cpu backend's one-time "install tfjs-node" advice does not apply: we avoid tfjs-node on purpose
  // (its install downloads a native binary). Marking the backend as used skips only that message.
  if (name === 'cpu') tf.backend().firstUse = false;
}

/** Load one model folder on one backend, check its goldens, and free the model; the row is named by the folder. */
export async function verifyModel(dir, backend) {
  await useBackend(backend);
  const { model, meta, goldens } = await loadModelDir(tf, dir, { goldens: true });
  try {
    return await checkParity(tf, model, meta, goldens, path.basename(dir));
  } finally {
    model.dispose();
  }
}
