// Run model folders' goldens on tf.js backends in Node and tabulate the parity results.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';

import { LITERT_BACKENDS, checkLiteRtParity, describeLiteRtFailure } from '../js/litert.js';
import { checkParity, describeFailure } from '../js/parity.js';
import { tableCells } from '../js/table.js';
import { litert, loadLiteRtNode } from './litert.js';
import { discoverModels, loadModelDir, readGoldensDir, readMetadataDir, readTfliteDir } from './load.js';

export { tf };
// tf.js's backends in Node; ALL_BACKENDS adds LiteRT.js's (its wasm build: WebGPU only in a browser).
export const BACKENDS = ['cpu', 'wasm'];
export const ALL_BACKENDS = [...BACKENDS, 'litert-wasm'];

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

/** Whether a folder's metadata says anything about LiteRT.js (a model.tflite, or why it has none). */
async function hasLiteRt(dir) {
  return Boolean((await readMetadataDir(dir).catch(() => null))?.litert);
}

/**
 * Verify model folders on every backend; a folder that fails to load becomes a failed row. LiteRT.js rows are
 * left out for folders exported without --runtime litert, unless options.explicit (the user named the backend).
 */
export async function verifyDirs(dirs, backends = ALL_BACKENDS, { explicit = false } = {}) {
  const rows = [];
  for (const dir of dirs) {
    const skipLiteRt = !explicit && !(await hasLiteRt(dir));
    for (const backend of backends) {
      const isLiteRt = backend in LITERT_BACKENDS;
      if (isLiteRt && skipLiteRt) continue;
      try {
        rows.push(await (isLiteRt ? verifyLiteRt(dir, backend) : verifyModel(dir, backend)));
      } catch (err) {
        const folder = path.basename(dir);
        const why = isLiteRt ? describeLiteRtFailure(err) : describeFailure(err, backend);
        rows.push({ model: folder, folder, backend, ...(isLiteRt ? { runtime: 'litert', format: 'tflite' } : {}), pass: false, ...why });
      }
    }
  }
  return rows;
}

/** Per model, the fastest passing row's backend and ms (among two or more passing rows), for the closing lines. */
export function fastest(rows) {
  const best = new Map();
  for (const r of rows.filter((row) => row.pass && Number.isFinite(row.ms))) {
    const seen = best.get(r.folder) ?? { count: 0 };
    best.set(r.folder, { count: seen.count + 1, row: !seen.row || r.ms < seen.row.ms ? r : seen.row });
  }
  return [...best.values()].filter((b) => b.count > 1).map(({ row }) => ({ model: row.model, folder: row.folder, backend: row.backend, ms: row.ms }));
}

/** Verify every model folder under root on every backend. */
export async function verifyAll(root, backends = ALL_BACKENDS) {
  return verifyDirs(await discoverModels(root), backends);
}

/** Fixed-width text table of the shared cells, columns two spaces apart (the Python tests split on that). */
export function formatTable(rows) {
  const { header, body } = tableCells(rows);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
