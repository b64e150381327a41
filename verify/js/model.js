// A verified model folder's model for tf.js, and its signature's names: no imports, so a module worker (which
// has no import map for the schema validator's package) can load a model the page has already verified.

/**
 * The key of model.json's signature for a metadata.json tensor name, or undefined: the converter keys a SavedModel's
 * signature inputs by tensor name ('padding_mask:0') where the signature's own name is 'padding_mask', so each form
 * finds the other.
 */
export function signatureKey(keys, name) {
  const candidates = [name, `${name}:0`, name.replace(/:0$/, '')];
  return candidates.find((key) => Object.hasOwn(keys ?? {}, key));
}

/** A tf.js model built from verified ModelArtifacts; errors name the file (where) they came from. */
export async function modelFromArtifacts(tf, artifacts, meta, where) {
  const handler = tf.io.fromMemory(artifacts);
  try {
    return await (meta.format === 'layers' ? tf.loadLayersModel(handler) : tf.loadGraphModel(handler));
  } catch (err) {
    // tf.js trusts the topology: a malformed one fails deep inside it ("Cannot read properties of undefined").
    throw new Error(`${where}: tf.js cannot build the ${meta.format} model from it (${err.message})`);
  }
}
