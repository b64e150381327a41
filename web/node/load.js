// Load an exported model folder from disk in Node without @tensorflow/tfjs-node: tf.js's file:// loader
// needs tfjs-node, so read model.json and the shards ourselves and hand them over with tf.io.fromMemory.
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

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

/** Read a shard and check it against the byte length and sha256 recorded at export. */
async function readShard(dir, rel, expected) {
  const file = path.join(dir, rel);
  let bytes;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new Error(`${file}: weight shard missing (${err.code ?? err.message})`);
  }
  if (expected) {
    if (bytes.length !== expected.bytes) {
      throw new Error(`${file}: ${bytes.length} bytes, metadata says ${expected.bytes} (truncated or replaced)`);
    }
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== expected.sha256) throw new Error(`${file}: sha256 mismatch, the shard's bytes were altered`);
  }
  return bytes;
}

/** model.json, metadata.json and the shards of one model folder, concatenated in manifest order. */
export async function readModelDir(dir) {
  const modelJson = await readJson(path.join(dir, 'model.json'));
  const meta = await readJson(path.join(dir, 'metadata.json'));
  if (!Array.isArray(modelJson.weightsManifest)) throw new Error(`${path.join(dir, 'model.json')}: no weightsManifest`);
  const recorded = new Map((meta.files ?? []).map((f) => [f.path, f]));
  const weightSpecs = [];
  const shards = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const rel of group.paths) shards.push(await readShard(dir, rel, recorded.get(rel)));
  }
  const weightData = Buffer.concat(shards);
  return {
    meta,
    artifacts: {
      modelTopology: modelJson.modelTopology,
      format: modelJson.format,
      generatedBy: modelJson.generatedBy,
      convertedBy: modelJson.convertedBy,
      signature: modelJson.signature,
      userDefinedMetadata: modelJson.userDefinedMetadata,
      modelInitializer: modelJson.modelInitializer,
      weightSpecs,
      // A standalone ArrayBuffer: a Buffer may be a view into a larger shared pool.
      weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
    },
  };
}

/** Load a model folder into tf.js; returns { model, meta }. */
export async function loadModelDir(tf, dir) {
  const { meta, artifacts } = await readModelDir(dir);
  const handler = tf.io.fromMemory(artifacts);
  const model = meta.format === 'layers' ? await tf.loadLayersModel(handler) : await tf.loadGraphModel(handler);
  return { model, meta };
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
