// The browser's IO adapters for the shared loader (artifacts.js): a model folder's files over HTTP, and the
// server's API where there is one. URLs are relative to the page, so a static copy works under any sub-path.
import { loadModelFolder, readGoldens } from '../../verify/artifacts.js';
import { fetchJson, httpFolderIO } from './fetchio.js';

export { fetchJson };

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

/** IO adapters reading models/<name>/ over HTTP. */
export function folderIO(name) {
  return httpFolderIO(new URL(`models/${encodeURIComponent(name)}/`, document.baseURI));
}

/** Load /models/<name>/ into tf.js; returns { model, meta } (goldens are fetched only when asked for). */
export async function loadModel(tf, name) {
  return loadModelFolder(tf, folderIO(name), await loadSchema());
}

/** The verified goldens.json of /models/<name>/, given its verified metadata. */
export async function loadGoldens(name, meta) {
  return readGoldens(folderIO(name), meta, await loadSchema());
}
