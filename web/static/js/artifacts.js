// Load a model folder into tf.js, verifying every file against metadata.json and the schema first.
// The one loader for Node (files from disk) and the browser (files over HTTP): each only passes in IO
// adapters. tf.js itself checks neither HTTP status nor shard length, so nothing reaches it unverified.
import { checkDocument, checkGoldensAgainst, checkVersion } from './schema.js';

/**
 * IO adapters a caller provides: readText(rel) → Promise<string>, readBytes(rel) → Promise<Uint8Array>
 * (both reject with a short reason, e.g. "ENOENT" or "HTTP 404"), sha256(Uint8Array) → Promise<hex string>,
 * where(rel) → the file's name in error messages.
 * @typedef {{readText: Function, readBytes: Function, sha256: Function, where: Function}} FolderIO
 */

/** Lower-case hex of a byte array. */
export function toHex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

// Bytes per stored element, by the dtype a weight is stored in (its quantization dtype when quantized).
const BYTES_PER_ELEMENT = { float32: 4, int32: 4, float16: 2, uint16: 2, int16: 2, uint8: 1, int8: 1, bool: 1 };

/** Bytes the manifest's weight specs describe, or null when a dtype's size is not fixed (strings). */
export function describedBytes(weightSpecs) {
  let total = 0;
  for (const w of weightSpecs) {
    const per = BYTES_PER_ELEMENT[w.quantization?.dtype ?? w.dtype];
    if (per === undefined || !Array.isArray(w.shape)) return null;
    total += per * w.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}

/** Read one file through io, naming it and the reason (as `problem`) when it cannot be read. */
async function read(io, rel, how, problem = 'cannot read') {
  try {
    return await io[how](rel);
  } catch (err) {
    throw new Error(`${io.where(rel)}: ${problem} (${err.message})`);
  }
}

/** Read and parse a JSON file, naming it in any error. */
async function readJson(io, rel) {
  const text = await read(io, rel, 'readText');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${io.where(rel)}: invalid JSON (${err.message})`);
  }
}

/** Check bytes against a {bytes, sha256} record of metadata.json; noun names the file's role in the message. */
async function checkRecorded(io, rel, bytes, record, noun) {
  if (bytes.length !== record.bytes) {
    throw new Error(`${io.where(rel)}: ${bytes.length} bytes, metadata says ${record.bytes} (truncated or replaced)`);
  }
  if ((await io.sha256(bytes)) !== record.sha256) {
    throw new Error(`${io.where(rel)}: sha256 mismatch, the ${noun}'s bytes were altered`);
  }
}

/** metadata.json of a folder: its schema version known, then the whole document valid against the schema. */
export async function readMetadata(io, schema) {
  const meta = await readJson(io, 'metadata.json');
  checkVersion(meta, schema, io.where('metadata.json'));
  checkDocument(meta, schema, schema, io.where('metadata.json'));
  return meta;
}

/** goldens.json of a folder whose metadata is verified: recorded length and sha256, schema, and fit with meta. */
export async function readGoldens(io, meta, schema) {
  const rel = meta.goldens.path;
  const bytes = await read(io, rel, 'readBytes', 'goldens missing');
  await checkRecorded(io, rel, bytes, meta.goldens, 'goldens file');
  let goldens;
  try {
    goldens = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new Error(`${io.where(rel)}: invalid JSON (${err.message})`);
  }
  checkVersion(goldens, schema, io.where(rel));
  checkDocument(goldens, schema.$defs.goldens, schema, io.where(rel));
  checkGoldensAgainst(goldens, meta, io.where(rel));
  return goldens;
}

/** Check model.json's manifest is well formed and names exactly the shards metadata.json records. */
function checkManifest(modelJson, meta, where) {
  const manifest = modelJson.weightsManifest;
  const bad = !Array.isArray(manifest)
    || manifest.some((g) => !Array.isArray(g?.paths) || !Array.isArray(g?.weights) || g.paths.some((p) => typeof p !== 'string'));
  if (bad) throw new Error(`${where('model.json')}: weightsManifest is missing or malformed`);
  const named = new Set(manifest.flatMap((g) => g.paths));
  const recorded = new Set(meta.files.map((f) => f.path));
  for (const p of named) if (!recorded.has(p)) throw new Error(`${where('metadata.json')}: does not list shard ${p} that model.json names`);
  for (const p of recorded) if (!named.has(p)) throw new Error(`${where('metadata.json')}: lists shard ${p} that model.json does not name`);
  const inputs = modelJson.signature?.inputs;
  const stray = inputs && meta.inputs.find((spec) => !(spec.name in inputs));
  if (stray) throw new Error(`${where('metadata.json')}: input '${stray.name}' is not an input of model.json (${Object.keys(inputs)})`);
}

/** Build ModelArtifacts from model.json's contents and verified metadata, refusing anything inconsistent. */
async function assembleArtifacts(modelJson, meta, io) {
  checkManifest(modelJson, meta, io.where);
  const recorded = new Map(meta.files.map((f) => [f.path, f]));
  const weightSpecs = [];
  const shards = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const rel of group.paths) {
      const bytes = await read(io, rel, 'readBytes', 'weight shard missing');
      await checkRecorded(io, rel, bytes, recorded.get(rel), 'shard');
      shards.push(bytes);
    }
  }
  const held = shards.reduce((n, s) => n + s.length, 0);
  const described = describedBytes(weightSpecs);
  if (described !== null && described !== held) {
    throw new Error(`${io.where('model.json')}: its weight shapes describe ${described} bytes, the shards hold ${held}`);
  }
  // Shards concatenated in manifest order into one standalone ArrayBuffer.
  const weightData = new Uint8Array(held);
  let offset = 0;
  for (const s of shards) {
    weightData.set(s, offset);
    offset += s.length;
  }
  return {
    modelTopology: modelJson.modelTopology,
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
    signature: modelJson.signature,
    userDefinedMetadata: modelJson.userDefinedMetadata,
    modelInitializer: modelJson.modelInitializer,
    trainingConfig: modelJson.trainingConfig,
    weightSpecs,
    weightData: weightData.buffer,
  };
}

/**
 * Load a model folder into tf.js through io; { model, meta }, plus { goldens } when asked for.
 * metadata.json comes first so that an unsupported schema version is the one error a stale folder gives.
 */
export async function loadModelFolder(tf, io, schema, { goldens = false } = {}) {
  const meta = await readMetadata(io, schema);
  const modelJson = await readJson(io, 'model.json');
  const artifacts = await assembleArtifacts(modelJson, meta, io);
  const golden = goldens ? await readGoldens(io, meta, schema) : undefined;
  const handler = tf.io.fromMemory(artifacts);
  const model = await (meta.format === 'layers' ? tf.loadLayersModel(handler) : tf.loadGraphModel(handler));
  return goldens ? { model, meta, goldens: golden } : { model, meta };
}
