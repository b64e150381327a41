// The browser's IO adapters for the shared loader (artifacts.js): a model folder's files over HTTP.
import { loadModelFolder, readGoldens, toHex } from './artifacts.js';

/** Fetch a file, rejecting with just the reason (the shared loader names the file). */
async function fetchOk(url) {
  let response;
  try {
    response = await fetch(url, { cache: 'no-cache' });
  } catch (err) {
    throw new Error(`request failed: ${err.message}`);
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response;
}

/** Fetch and parse a JSON file, naming it in any error. */
export async function fetchJson(url) {
  let response;
  try {
    response = await fetchOk(url);
  } catch (err) {
    throw new Error(`${url}: ${err.message}`);
  }
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${url}: invalid JSON (${err.message})`);
  }
}

let schemaOnce;
/** The model-folder JSON Schema, fetched once from the server. */
export function loadSchema() {
  schemaOnce ??= fetchJson('/schema/model-folder.schema.json');
  return schemaOnce;
}

/** IO adapters reading /models/<name>/ over HTTP. */
export function folderIO(name) {
  const where = (rel) => `/models/${encodeURIComponent(name)}/${rel}`;
  return {
    where,
    readText: async (rel) => (await fetchOk(where(rel))).text(),
    readBytes: async (rel) => new Uint8Array(await (await fetchOk(where(rel))).arrayBuffer()),
    sha256: async (bytes) => toHex(await crypto.subtle.digest('SHA-256', bytes)),
  };
}

/** Load /models/<name>/ into tf.js; returns { model, meta } (goldens are fetched only when asked for). */
export async function loadModel(tf, name) {
  return loadModelFolder(tf, folderIO(name), await loadSchema());
}

/** The verified goldens.json of /models/<name>/, given its verified metadata. */
export async function loadGoldens(name, meta) {
  return readGoldens(folderIO(name), meta, await loadSchema());
}
