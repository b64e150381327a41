// The shared loader's IO adapters over HTTP (artifacts.js): a model folder's files fetched from a base URL, with
// nothing that needs a document, so the page and its inference worker (worker.js) read folders the same way.
import { toHex } from '../../verify/artifacts.js';

/** Fetch a file, rejecting with just the reason (the shared loader names the file). */
export async function fetchOk(url) {
  let response;
  try {
    response = await fetch(url, { cache: 'no-cache' });
  } catch (err) {
    throw new Error(`request failed: ${err.message}`);
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response;
}

/** Fetch and parse a JSON file, naming it (by path) in any error. */
export async function fetchJson(url) {
  const name = new URL(url, self.location.href).pathname;
  let response;
  try {
    response = await fetchOk(url);
  } catch (err) {
    throw new Error(`${name}: ${err.message}`);
  }
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${name}: invalid JSON (${err.message})`);
  }
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

/** IO adapters reading the model folder at base (a URL ending in '/'); errors name files by path. */
export function httpFolderIO(base) {
  const where = (rel) => new URL(rel, base).pathname;
  return {
    where,
    readText: async (rel, limit) => new TextDecoder().decode(await bodyWithin(await fetchOk(new URL(rel, base)), limit)),
    readBytes: async (rel, limit) => bodyWithin(await fetchOk(new URL(rel, base)), limit),
    sha256: async (bytes) => toHex(await crypto.subtle.digest('SHA-256', bytes)),
  };
}
