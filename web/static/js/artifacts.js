// Turn a model folder's files into tf.js ModelArtifacts, verifying every shard against metadata.json.
// Shared by the Node loader (files from disk) and the browser loader (files over HTTP): each passes in
// how to read a shard and how to hash bytes. tf.js itself checks neither HTTP status nor shard length.

/** Lower-case hex of a byte array. */
export function toHex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Build ModelArtifacts from model.json's contents and the metadata.
 * readShard(relPath) → Promise<Uint8Array>; sha256(Uint8Array) → Promise<hex string>;
 * where(relPath) names the file in error messages.
 */
export async function assembleArtifacts(modelJson, meta, { readShard, sha256, where }) {
  if (!Array.isArray(modelJson.weightsManifest)) throw new Error(`${where('model.json')}: no weightsManifest`);
  const recorded = new Map((meta.files ?? []).map((f) => [f.path, f]));
  const weightSpecs = [];
  const shards = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const rel of group.paths) {
      const bytes = await readShard(rel);
      const expected = recorded.get(rel);
      if (expected) {
        if (bytes.length !== expected.bytes) {
          throw new Error(`${where(rel)}: ${bytes.length} bytes, metadata says ${expected.bytes} (truncated or replaced)`);
        }
        if ((await sha256(bytes)) !== expected.sha256) {
          throw new Error(`${where(rel)}: sha256 mismatch, the shard's bytes were altered`);
        }
      }
      shards.push(bytes);
    }
  }
  // Shards concatenated in manifest order into one standalone ArrayBuffer.
  const weightData = new Uint8Array(shards.reduce((n, s) => n + s.length, 0));
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
