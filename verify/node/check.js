// One model folder's parity on one backend (tf.js's, or LiteRT.js's for a model.tflite), in this thread: what
// each isolated folder's worker runs.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';

import { LITERT_BACKENDS, checkLiteRtParity } from '../js/litert.js';
import { checkParity } from '../js/parity.js';
import { litert, loadLiteRtNode } from './litert.js';
import { loadModelDir, readGoldensDir, readMetadataDir, readTfliteDir } from './load.js';

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
  } catch (err) {
    // tf.js errors while running a graph name neither folder nor file ("Cannot read properties of undefined").
    throw new Error(`${path.join(dir, 'model.json')}: running the goldens failed: ${err.message}`);
  } finally {
    model.dispose();
  }
}

/** Run one folder's model.tflite on LiteRT.js's wasm runtime in Node, check its goldens, and free the model. */
export async function verifyLiteRt(dir, backend = 'litert-wasm') {
  const meta = await readMetadataDir(dir);
  const bytes = await readTfliteDir(dir, meta);
  const goldens = await readGoldensDir(dir, meta);
  await loadLiteRtNode();
  const compiled = await litert.loadAndCompile(bytes, { accelerator: LITERT_BACKENDS[backend] });
  try {
    return await checkLiteRtParity(litert, compiled, meta, goldens, path.basename(dir), backend);
  } finally {
    compiled.delete();
  }
}

/** One folder's row on one backend: LiteRT.js's for its litert-* backends, tf.js's otherwise. */
export function verifyBackend(dir, backend) {
  return backend in LITERT_BACKENDS ? verifyLiteRt(dir, backend) : verifyModel(dir, backend);
}
