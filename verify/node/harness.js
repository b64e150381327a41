// Run model folders' goldens on tf.js backends in Node and tabulate the parity results.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';

import { checkParity, describeFailure } from '../js/parity.js';
import { tableCells } from '../js/table.js';
import { discoverModels, loadModelDir } from './load.js';

export { tf };
export const BACKENDS = ['cpu', 'wasm'];

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

/** Verify model folders on every backend; a folder that fails to load becomes a failed row. */
export async function verifyDirs(dirs, backends = BACKENDS) {
  const rows = [];
  for (const dir of dirs) {
    for (const backend of backends) {
      try {
        rows.push(await verifyModel(dir, backend));
      } catch (err) {
        const folder = path.basename(dir);
        rows.push({ model: folder, folder, backend, pass: false, ...describeFailure(err, backend) });
      }
    }
  }
  return rows;
}

/** Verify every model folder under root on every backend. */
export async function verifyAll(root, backends = BACKENDS) {
  return verifyDirs(await discoverModels(root), backends);
}

/** Fixed-width text table of the shared cells, columns two spaces apart (the Python tests split on that). */
export function formatTable(rows) {
  const { header, body } = tableCells(rows);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
