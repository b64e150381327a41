// Run every exported model's goldens on tf.js backends in Node and tabulate the parity results.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { checkParity } from '../static/js/parity.js';
import { discoverModels, loadModelDir } from './load.js';

export { tf };
export const BACKENDS = ['cpu', 'wasm'];
export const MODELS_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'models');

/** Switch tf.js to a backend, failing loudly if it cannot start. */
export async function useBackend(name) {
  if (!(await tf.setBackend(name))) throw new Error(`tf.js backend '${name}' failed to initialise`);
  await tf.ready();
  // The cpu backend's one-time "install tfjs-node" advice does not apply: we avoid tfjs-node on purpose
  // (its install downloads a native binary). Marking the backend as used skips only that message.
  if (name === 'cpu') tf.backend().firstUse = false;
}

/** Load one model folder on one backend, check its goldens, and free the model. */
export async function verifyModel(dir, backend) {
  await useBackend(backend);
  const { model, meta } = await loadModelDir(tf, dir);
  try {
    return await checkParity(tf, model, meta);
  } finally {
    model.dispose();
  }
}

/** Verify every model under root on every backend; a model that fails to load becomes a failed row. */
export async function verifyAll(root = MODELS_ROOT, backends = BACKENDS) {
  const rows = [];
  for (const dir of await discoverModels(root)) {
    for (const backend of backends) {
      try {
        rows.push(await verifyModel(dir, backend));
      } catch (err) {
        rows.push({ model: path.basename(dir), backend, pass: false, error: err.message });
      }
    }
  }
  return rows;
}

/** Fixed-width table: model × format × quantization × backend × max |Δ| × argmax × bytes (and leaks, verdict). */
export function formatTable(rows) {
  const header = ['model', 'format', 'quant', 'backend', 'goldens', 'max |Δ|', 'tolerance', 'argmax', 'bytes', 'leaked', 'ms', 'result'];
  const body = rows.map((r) =>
    r.error
      ? [r.model, r.format ?? '-', r.quantization ?? '-', r.backend, '-', '-', '-', '-', '-', '-', '-', `FAIL: ${r.error}`]
      : [
          r.model, r.format, r.quantization, r.backend, String(r.count), r.maxAbsDiff.toExponential(2),
          r.tolerance.toExponential(1),
          r.argmaxAgreement === null ? 'n/a' : `${(100 * r.argmaxAgreement).toFixed(1)}%`,
          r.bytes.toLocaleString('en-US'), String(r.leakedTensors), r.ms.toFixed(1), r.pass ? 'pass' : 'FAIL',
        ],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
