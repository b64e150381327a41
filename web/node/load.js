// Node's IO adapters for the shared loader (artifacts.js), and model-folder discovery. tf.js's file://
// loader needs tfjs-node (whose install downloads a native binary), so files are read here and handed over.
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadModelFolder, readGoldens, readMetadata } from '../static/js/artifacts.js';

export const SCHEMA_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tfjs_bridge/common/model-folder.schema.json');

let schemaOnce;
/** The model-folder JSON Schema, read from disk once. */
export function loadSchema() {
  schemaOnce ??= readFile(SCHEMA_PATH, 'utf8').then(JSON.parse);
  return schemaOnce;
}

/** Read a file, rejecting with just the reason (the shared loader names the file). */
async function readOr(file, encoding) {
  try {
    return await readFile(file, encoding);
  } catch (err) {
    throw new Error(err.code ?? err.message);
  }
}

/** IO adapters reading the files of one model folder from disk. */
export function folderIO(dir) {
  const where = (rel) => path.join(dir, rel);
  return {
    where,
    readText: (rel) => readOr(where(rel), 'utf8'),
    readBytes: async (rel) => new Uint8Array(await readOr(where(rel))),
    sha256: async (bytes) => createHash('sha256').update(bytes).digest('hex'),
  };
}

/** A folder's verified metadata.json. */
export async function readMetadataDir(dir) {
  return readMetadata(folderIO(dir), await loadSchema());
}

/** A folder's verified goldens.json, given its verified metadata. */
export async function readGoldensDir(dir, meta) {
  return readGoldens(folderIO(dir), meta, await loadSchema());
}

/** Load a model folder into tf.js; { model, meta }, plus { goldens } with options.goldens. */
export async function loadModelDir(tf, dir, options) {
  return loadModelFolder(tf, folderIO(dir), await loadSchema(), options);
}

/** Whether dir is a model folder (holds a metadata.json). */
export async function isModelFolder(dir) {
  return Boolean(await stat(path.join(dir, 'metadata.json')).catch(() => null));
}

/** Model folders (those holding a metadata.json) directly under root, sorted by name. */
export async function discoverModels(root) {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return [];
  }
  const dirs = [];
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const dir = path.join(root, e.name);
    if (await isModelFolder(dir)) dirs.push(dir);
  }
  return dirs.sort();
}
