// Turn a model folder's files into tf.js ModelArtifacts, verifying every shard against metadata.json.
// Shared by the Node loader (files from disk) and the browser loader (files over HTTP): each passes in
// how to read a shard and how to hash bytes. tf.js itself checks neither HTTP status nor shard length.

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

/** Check model.json's manifest is well formed and names exactly the shards metadata.json records. */
function checkManifest(modelJson, meta, where) {
  const manifest = modelJson.weightsManifest;
  const bad = !Array.isArray(manifest)
    || manifest.some((g) => !Array.isArray(g?.paths) || !Array.isArray(g?.weights) || g.paths.some((p) => typeof p !== 'string'));
  if (bad) throw new Error(`${where('model.json')}: weightsManifest is missing or malformed`);
  if (!Array.isArray(meta.files)) throw new Error(`${where('metadata.json')}: no "files" list to verify shards against`);
  const named = new Set(manifest.flatMap((g) => g.paths));
  const recorded = new Set(meta.files.map((f) => f.path));
  for (const p of named) if (!recorded.has(p)) throw new Error(`${where('metadata.json')}: does not list shard ${p} that model.json names`);
  for (const p of recorded) if (!named.has(p)) throw new Error(`${where('metadata.json')}: lists shard ${p} that model.json does not name`);
  const inputs = modelJson.signature?.inputs;
  if (inputs && meta.input?.name && !(meta.input.name in inputs)) {
    throw new Error(`${where('metadata.json')}: input '${meta.input.name}' is not an input of model.json (${Object.keys(inputs)})`);
  }
}

/**
 * Build ModelArtifacts from model.json's contents and the metadata, refusing anything inconsistent.
 * readShard(relPath) → Promise<Uint8Array>; sha256(Uint8Array) → Promise<hex string>;
 * where(relPath) names the file in error messages.
 */
export async function assembleArtifacts(modelJson, meta, { readShard, sha256, where }) {
  checkManifest(modelJson, meta, where);
  const recorded = new Map(meta.files.map((f) => [f.path, f]));
  const weightSpecs = [];
  const shards = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const rel of group.paths) {
      const bytes = await readShard(rel);
      const expected = recorded.get(rel);
      if (bytes.length !== expected.bytes) {
        throw new Error(`${where(rel)}: ${bytes.length} bytes, metadata says ${expected.bytes} (truncated or replaced)`);
      }
      if ((await sha256(bytes)) !== expected.sha256) {
        throw new Error(`${where(rel)}: sha256 mismatch, the shard's bytes were altered`);
      }
      shards.push(bytes);
    }
  }
  const held = shards.reduce((n, s) => n + s.length, 0);
  const described = describedBytes(weightSpecs);
  if (described !== null && described !== held) {
    throw new Error(`${where('model.json')}: its weight shapes describe ${described} bytes, the shards hold ${held}`);
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

/** Load assembled artifacts as a graph or layers model, as the metadata says. */
export async function modelFromArtifacts(tf, artifacts, meta) {
  const handler = tf.io.fromMemory(artifacts);
  return meta.format === 'layers' ? tf.loadLayersModel(handler) : tf.loadGraphModel(handler);
}
