// Load a model folder into tf.js, verifying every file against metadata.json and the schema first.
// The one loader for Node (files from disk) and the browser (files over HTTP): each only passes in IO
// adapters. tf.js itself checks neither HTTP status nor shard length, so nothing reaches it unverified.
import { modelFromArtifacts, signatureKey } from './model.js';
import { checkDocument, checkGoldensAgainst, checkVersion } from './schema.js';

export { modelFromArtifacts, signatureKey };

/**
 * IO adapters a caller provides: readText(rel, limit) → Promise<string>, readBytes(rel, limit) → Promise<Uint8Array>
 * (both read only a regular file of the folder, never more than limit bytes, and reject with a short reason,
 * e.g. "ENOENT" or "HTTP 404", flagged err.refused when the file itself is refused), sha256(Uint8Array) →
 * Promise<hex string>, where(rel) → the file's name in error messages.
 * @typedef {{readText: Function, readBytes: Function, sha256: Function, where: Function}} FolderIO
 */

/** Lower-case hex of a byte array. */
export function toHex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

// Bytes per stored element, by the dtype a weight is stored in (its quantization dtype when quantized); a
// string element takes at least its 4-byte length prefix (tf.js's encoding), so strings give a minimum.
const BYTES_PER_ELEMENT = { float32: 4, int32: 4, float16: 2, uint16: 2, int16: 2, uint8: 1, int8: 1, bool: 1 };
const STRING_MIN_BYTES = 4;

/** The schema's x-limits: the largest model.json, metadata.json, goldens.json and total of shards, in bytes. */
export function limitsOf(schema) {
  return schema['x-limits'];
}

/** A name pattern the schema defines ($defs/folderName, $defs/fileName) as a RegExp; JS's `$` ends the string. */
export function namePattern(schema, definition) {
  return new RegExp(schema.$defs[definition].pattern, 'u');
}

/**
 * { bytes, exact } the manifest's weight specs describe (exact false: a minimum, with string weights), or
 * { error } naming a weight whose shape or dtype cannot be sized.
 */
export function describedBytes(weightSpecs) {
  let bytes = 0;
  let exact = true;
  for (const w of weightSpecs) {
    const dtype = w?.quantization?.dtype ?? w?.dtype;
    if (!Array.isArray(w?.shape) || !w.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      return { error: `weight '${String(w?.name).slice(0, 60)}' has no valid shape` };
    }
    const count = w.shape.reduce((a, b) => a * b, 1);
    if (dtype === 'string') {
      bytes += STRING_MIN_BYTES * count;
      exact = false;
    } else if (dtype in BYTES_PER_ELEMENT) {
      bytes += BYTES_PER_ELEMENT[dtype] * count;
    } else {
      return { error: `weight '${String(w.name).slice(0, 60)}' has unknown dtype ${String(dtype).slice(0, 20)}` };
    }
  }
  return { bytes, exact };
}

/**
 * Read one file through io, at most limit bytes, naming it and the reason (as `problem`) when it cannot be read.
 * Adapters mark refusals (a link, a FIFO, a file over the limit) with err.refused, and a file longer than limit
 * with err.size: those are the problem itself. tooLong(size) words the latter, where the caller knows better.
 */
async function read(io, schema, rel, how, limit, problem = 'cannot read', tooLong = (size) => `${size} bytes, more than the ${limit} allowed`) {
  if (!namePattern(schema, 'fileName').test(rel)) throw new Error(`${io.where('model.json')}: ${JSON.stringify(rel).slice(0, 80)} is not a file name in the model folder`);
  try {
    return await io[how](rel, limit);
  } catch (err) {
    const reason = err.size !== undefined ? tooLong(err.size) : err.refused ? err.message : `${problem} (${err.message})`;
    throw new Error(`${io.where(rel)}: ${reason}`);
  }
}

/** Read a file metadata.json records, no more than its recorded length (a longer one was replaced). */
function readRecorded(io, schema, record, problem) {
  return read(io, schema, record.path, 'readBytes', record.bytes, problem, (size) => `${size} bytes, metadata says ${record.bytes} (truncated or replaced)`);
}

/** Read and parse a JSON file, naming it in any error. */
async function readJson(io, schema, rel) {
  const text = await read(io, schema, rel, 'readText', limitsOf(schema)[rel]);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${io.where(rel)}: invalid JSON (${err.message})`);
  }
}

/** A JSON file that must hold an object (model.json has no schema check of its own), naming it otherwise. */
async function readJsonObject(io, schema, rel) {
  const doc = await readJson(io, schema, rel);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new Error(`${io.where(rel)}: holds ${doc === null ? 'null' : Array.isArray(doc) ? 'an array' : `a ${typeof doc}`}, not a JSON object`);
  }
  return doc;
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
  const meta = await readJson(io, schema, 'metadata.json');
  checkVersion(meta, schema, io.where('metadata.json'));
  checkDocument(meta, schema, schema, io.where('metadata.json'));
  return meta;
}

/** goldens.json of a folder whose metadata is verified: recorded length and sha256, schema, and fit with meta. */
export async function readGoldens(io, meta, schema) {
  const rel = meta.goldens.path;
  const limit = limitsOf(schema)['goldens.json'];
  if (meta.goldens.bytes > limit) throw new Error(`${io.where('metadata.json')}: goldens of ${meta.goldens.bytes} bytes, over the limit of ${limit}`);
  const bytes = await readRecorded(io, schema, meta.goldens, 'goldens missing');
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

/**
 * model.tflite's bytes (LiteRT.js) of a folder whose metadata is verified and records one: recorded length and
 * sha256, within the schema's limit. Folders exported without --runtime litert have no litert record.
 */
export async function readTflite(io, meta, schema) {
  const litert = meta.litert;
  if (!litert?.file) throw new Error(`${io.where('metadata.json')}: ${litert?.refused ? `no model.tflite: ${litert.refused}` : 'no model.tflite (export with --runtime tfjs,litert)'}`);
  const record = { path: litert.file, bytes: litert.bytes, sha256: litert.sha256 };
  const limit = limitsOf(schema)['model.tflite'];
  if (record.bytes > limit) throw new Error(`${io.where('metadata.json')}: model.tflite of ${record.bytes} bytes, over the limit of ${limit}`);
  const bytes = await readRecorded(io, schema, record, 'TFLite model missing');
  await checkRecorded(io, record.path, bytes, record, 'TFLite model');
  return bytes;
}

/** Check model.json's manifest is well formed and names exactly the shards metadata.json records. */
function checkManifest(modelJson, meta, where) {
  const manifest = modelJson.weightsManifest;
  const bad = !Array.isArray(manifest)
    || manifest.some((g) => !Array.isArray(g?.paths) || !Array.isArray(g?.weights) || g.paths.some((p) => typeof p !== 'string'));
  if (bad) throw new Error(`${where('model.json')}: weightsManifest is missing or malformed`);
  const named = new Set(manifest.flatMap((g) => g.paths));
  if (named.size !== manifest.flatMap((g) => g.paths).length) throw new Error(`${where('model.json')}: weightsManifest names a shard twice`);
  const recorded = new Set(meta.files.map((f) => f.path));
  for (const p of named) if (!recorded.has(p)) throw new Error(`${where('metadata.json')}: does not list shard ${p} that model.json names`);
  for (const p of recorded) if (!named.has(p)) throw new Error(`${where('metadata.json')}: lists shard ${p} that model.json does not name`);
  const inputs = modelJson.signature?.inputs;
  const stray = inputs && meta.inputs.find((spec) => signatureKey(inputs, spec.name) === undefined);
  if (stray) throw new Error(`${where('metadata.json')}: input '${stray.name}' is not an input of model.json (${Object.keys(inputs)})`);
}

/** Refuse shards whose recorded total is over the limit or differs from what the weight specs describe, before reading any. */
function checkWeightBytes(modelJson, meta, limit, where) {
  const held = meta.files.reduce((n, f) => n + f.bytes, 0);
  if (held > limit) throw new Error(`${where('metadata.json')}: shards total ${held} bytes, over the limit of ${limit}`);
  const described = describedBytes(modelJson.weightsManifest.flatMap((g) => g.weights));
  if (described.error) throw new Error(`${where('model.json')}: ${described.error}`);
  if (described.exact ? described.bytes !== held : described.bytes > held) {
    throw new Error(`${where('model.json')}: its weight shapes describe ${described.exact ? '' : 'at least '}${described.bytes} bytes, the shards hold ${held}`);
  }
  return held;
}

/** Build ModelArtifacts from model.json's contents and verified metadata, refusing anything inconsistent. */
async function assembleArtifacts(modelJson, meta, io, schema) {
  checkManifest(modelJson, meta, io.where);
  const held = checkWeightBytes(modelJson, meta, limitsOf(schema).weights, io.where);
  const recorded = new Map(meta.files.map((f) => [f.path, f]));
  const weightSpecs = [];
  const shards = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const rel of group.paths) {
      const bytes = await readRecorded(io, schema, recorded.get(rel), 'weight shard missing');
      await checkRecorded(io, rel, bytes, recorded.get(rel), 'shard');
      shards.push(bytes);
    }
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
    // Lookup tables and other resources: tf.js binds them to the graph's inputs through this signature.
    initializerSignature: modelJson.initializerSignature,
    trainingConfig: modelJson.trainingConfig,
    weightSpecs,
    weightData: weightData.buffer,
  };
}

/**
 * Load a model folder into tf.js through io; { model, meta, artifacts }, plus { goldens } when asked for.
 * metadata.json comes first so that an unsupported schema version is the one error a stale folder gives.
 */
export async function loadModelFolder(tf, io, schema, { goldens = false } = {}) {
  const meta = await readMetadata(io, schema);
  const modelJson = await readJsonObject(io, schema, 'model.json');
  const artifacts = await assembleArtifacts(modelJson, meta, io, schema);
  const golden = goldens ? await readGoldens(io, meta, schema) : undefined;
  const model = await modelFromArtifacts(tf, artifacts, meta, io.where('model.json'));
  // The verified artifacts too: the page hands them to its inference worker, which then loads nothing again.
  return goldens ? { model, meta, artifacts, goldens: golden } : { model, meta, artifacts };
}
