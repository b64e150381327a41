// Load an exported model folder from disk in Node without @tensorflow/tfjs-node: tf.js's file:// loader
// needs tfjs-node, so read model.json and the shards ourselves and hand them over with tf.io.fromMemory.
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

import { assembleArtifacts, modelFromArtifacts } from '../static/js/artifacts.js';

/** Parse a JSON file, naming the file in any error. */
export async function readJson(file) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read (${err.code ?? err.message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: invalid JSON (${err.message})`);
  }
}

/** model.json and metadata.json of one folder, with its verified shards as ModelArtifacts. */
export async function readModelDir(dir) {
  const modelJson = await readJson(path.join(dir, 'model.json'));
  const meta = await readJson(path.join(dir, 'metadata.json'));
  const where = (rel) => path.join(dir, rel);
  const artifacts = await assembleArtifacts(modelJson, meta, {
    where,
    sha256: async (bytes) => createHash('sha256').update(bytes).digest('hex'),
    readShard: async (rel) => {
      try {
        return new Uint8Array(await readFile(where(rel)));
      } catch (err) {
        throw new Error(`${where(rel)}: weight shard missing (${err.code ?? err.message})`);
      }
    },
  });
  return { meta, artifacts };
}

/** Load a model folder into tf.js; returns { model, meta }. */
export async function loadModelDir(tf, dir) {
  const { meta, artifacts } = await readModelDir(dir);
  return { model: await modelFromArtifacts(tf, artifacts, meta), meta };
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
    if (await stat(path.join(dir, 'metadata.json')).catch(() => null)) dirs.push(dir);
  }
  return dirs.sort();
}
