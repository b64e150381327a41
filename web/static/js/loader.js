// The browser's IO adapters for the shared loader (artifacts.js): a model folder's files over HTTP, and the
// server's API where there is one. URLs are relative to the page, so a static copy works under any sub-path.
import { loadModelFolder, readGoldens, toHex } from '../../verify/artifacts.js';

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
  schemaOnce ??= fetchJson(pagePath('schema/model-folder.schema.json'));
  return schemaOnce;
}

/** A path relative to the page as an absolute path (what error messages name, e.g. /models/mlp/model.json). */
export function pagePath(rel) {
  return new URL(rel, document.baseURI).pathname;
}

/** Whether the page has the Flask app behind it (Python predictions, /api); false for a static site. */
export const HAS_API = document.body.dataset.site !== 'static';

/** The models on offer: the server's /api/models, or a static site's models/index.json (no Python side). */
export async function listModels() {
  return (await fetchJson(pagePath(HAS_API ? 'api/models' : 'models/index.json'))).models;
}

/** POST one example to the server's Python model: {"inputs": the example} (one input) or by input name (several). */
export async function askPython(name, inputs) {
  const started = performance.now();
  const response = await fetch(pagePath(`api/predict/${encodeURIComponent(name)}`), {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ inputs }),
  });
  let body;
  try {
    body = await response.json();
  } catch {
    body = { error: `HTTP ${response.status}` };
  }
  if (!response.ok) throw new Error(`Python ${name}: ${body.error}`);
  return { ...body, roundTripMs: performance.now() - started };
}


/** A response's body, refused before or as soon as it is longer than limit bytes. */
async function bodyWithin(response, limit) {
  const declared = Number(response.headers.get('Content-Length') ?? 0);
  const tooLong = (size) => Object.assign(new Error(`${size} bytes, more than the ${limit} allowed`), { refused: true, size });
  if (declared > limit) throw tooLong(declared);
  const chunks = [];
  let length = 0;
  for (const reader = response.body.getReader(); ;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > limit) {
      await reader.cancel();
      throw tooLong(`over ${limit}`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(length);
  chunks.reduce((offset, c) => (bytes.set(c, offset), offset + c.length), 0);
  return bytes;
}

/** IO adapters reading models/<name>/ over HTTP. */
export function folderIO(name) {
  const where = (rel) => pagePath(`models/${encodeURIComponent(name)}/${rel}`);
  return {
    where,
    readText: async (rel, limit) => new TextDecoder().decode(await bodyWithin(await fetchOk(where(rel)), limit)),
    readBytes: async (rel, limit) => bodyWithin(await fetchOk(where(rel)), limit),
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
