// Load an exported model over HTTP in the browser, verifying status, length and sha256 of every file.
import { assembleArtifacts, modelFromArtifacts, toHex } from './artifacts.js';

/** Fetch a file, failing with a message that names it when the server does not return it. */
async function fetchOk(url) {
  let response;
  try {
    response = await fetch(url, { cache: 'no-cache' });
  } catch (err) {
    throw new Error(`${url}: request failed (${err.message})`);
  }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

/** Fetch and parse a JSON file, naming it in any error. */
export async function fetchJson(url) {
  const text = await (await fetchOk(url)).text();
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${url}: invalid JSON (${err.message})`);
  }
}

/** Load /models/<name>/ into tf.js; returns { model, meta }. */
export async function loadModel(tf, name) {
  const base = `/models/${encodeURIComponent(name)}/`;
  const [modelJson, meta] = await Promise.all([fetchJson(`${base}model.json`), fetchJson(`${base}metadata.json`)]);
  const artifacts = await assembleArtifacts(modelJson, meta, {
    where: (rel) => `${base}${rel}`,
    readShard: async (rel) => new Uint8Array(await (await fetchOk(`${base}${rel}`)).arrayBuffer()),
    sha256: async (bytes) => toHex(await crypto.subtle.digest('SHA-256', bytes)),
  });
  return { model: await modelFromArtifacts(tf, artifacts, meta), meta };
}
