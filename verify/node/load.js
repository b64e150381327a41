// Node's IO adapters for the shared loader (artifacts.js), and model-folder discovery. tf.js's file://
// loader needs tfjs-node (whose install downloads a native binary), so files are read here and handed over.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadModelFolder, readGoldens, readMetadata, readTflite } from '../js/artifacts.js';

export const SCHEMA_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tfjs_bridge/common/model-folder.schema.json');

let schemaOnce;
/** The model-folder JSON Schema, read from disk once. */
export function loadSchema() {
  schemaOnce ??= readFile(SCHEMA_PATH, 'utf8').then(JSON.parse);
  return schemaOnce;
}

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;

/** An error for a file that is refused rather than unreadable: the loader shows its message as the problem. */
function refused(message, extra = {}) {
  return Object.assign(new Error(message), { refused: true, ...extra });
}

/** What a non-regular file is, in words. */
function kind(st) {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return st.isSocket() ? 'a socket' : 'not a regular file';
}

/** lstat, rejecting with just the reason (the shared loader names the file). */
async function lstatOr(file) {
  try {
    return await lstat(file);
  } catch (err) {
    // readdir shows a name that is not UTF-8 with U+FFFD, under which the folder cannot be opened.
    if (err.code === 'ENOENT' && file.includes('\uFFFD')) throw refused('the folder name is not valid UTF-8; rename it');
    throw new Error(err.code ?? err.message);
  }
}

// Linux names an open folder's files through its descriptor: /proc/self/fd/N/<name> is looked up in the folder
// that was opened, whatever its path points to since (Node's stand-in for openat).
const PROC_FD = '/proc/self/fd';
let procOnce;
/** Whether PROC_FD names open folders' files here (Linux), checked once. */
function hasProcFd() {
  procOnce ??= stat(PROC_FD).then((st) => st.isDirectory(), () => false);
  return procOnce;
}

/** The model folder opened (never through a link) and checked to be the folder lstat saw; the caller closes it. */
async function openFolder(dir) {
  const folder = await lstatOr(dir);
  if (!folder.isDirectory()) throw refused(`the model folder is ${kind(folder)}; refused`);
  let handle;
  try {
    handle = await open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (err) {
    throw err.code === 'ELOOP' || err.code === 'ENOTDIR' ? refused('the model folder was replaced while being opened; refused') : new Error(err.code ?? err.message);
  }
  const opened = await handle.stat();
  if (opened.ino !== folder.ino || opened.dev !== folder.dev) {
    await handle.close();
    throw refused('the model folder was replaced while being opened; refused');
  }
  return handle;
}

/**
 * A regular file of a model folder, at most limit bytes: neither the folder nor the file may be a link, and
 * FIFOs and devices are refused before they are opened (O_NOFOLLOW | O_NONBLOCK catch a swap after the check).
 * The file is looked up in the opened folder through PROC_FD where there is one, so swapping the folder's path
 * for a link cannot redirect the read. Elsewhere it is looked up by path and the folder's path is checked to
 * still be the opened folder after the open: the residual window there is a swap to a link and back between
 * that open and the check, which only an openat (that Node lacks) would close.
 */
async function readRegular(dir, rel, limit) {
  if (!Number.isFinite(limit)) throw new Error(`reading ${rel}: no size limit given`); // a caller's bug, not the folder's
  const folder = await openFolder(dir);
  try {
    const viaFd = await hasProcFd();
    const file = viaFd ? path.join(PROC_FD, String(folder.fd), rel) : path.join(dir, rel);
    const bytes = await readChecked(file, limit);
    if (!viaFd) {
      const [now, opened] = await Promise.all([lstatOr(dir), folder.stat()]);
      if (now.ino !== opened.ino || now.dev !== opened.dev) throw refused('the model folder was replaced while being read; refused');
    }
    return bytes;
  } finally {
    await folder.close();
  }
}

/** A regular file (never a link, FIFO or device) of at most limit bytes, checked by lstat and again once open. */
async function readChecked(file, limit) {
  const st = await lstatOr(file);
  if (!st.isFile()) throw refused(`is ${kind(st)}, not a regular file; refused`);
  if (st.size > limit) throw refused(`${st.size} bytes, more than the ${limit} allowed`, { size: st.size });
  let handle;
  try {
    handle = await open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    throw new Error(err.code ?? err.message);
  }
  try {
    const now = await handle.stat();
    if (!now.isFile() || now.ino !== st.ino || now.dev !== st.dev) throw refused('replaced while being opened; refused');
    const buffer = new Uint8Array(Math.min(now.size, limit) + 1);
    let filled = 0;
    for (let n; filled < buffer.length && (n = (await handle.read(buffer, filled, buffer.length - filled, filled)).bytesRead) > 0;) filled += n;
    if (filled > limit) throw refused(`grew past the ${limit} bytes allowed while being read`);
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** IO adapters reading the files of one model folder from disk. */
export function folderIO(dir) {
  const where = (rel) => path.join(dir, rel);
  return {
    where,
    readText: async (rel, limit) => new TextDecoder().decode(await readRegular(dir, rel, limit)),
    readBytes: (rel, limit) => readRegular(dir, rel, limit),
    sha256: async (bytes) => createHash('sha256').update(bytes).digest('hex'),
  };
}

/** A folder's verified metadata.json. */
export async function readMetadataDir(dir) {
  return readMetadata(folderIO(dir), await loadSchema());
}

/** A folder's verified goldens.json, given its verified metadata. */
export async function readGoldensDir(dir, meta) {
  return readGoldens(folderIO(dir), meta, await loadSchema());
}

/** A folder's verified model.tflite bytes, given its verified metadata. */
export async function readTfliteDir(dir, meta) {
  return readTflite(folderIO(dir), meta, await loadSchema());
}

/** Load a model folder into tf.js; { model, meta }, plus { goldens } with options.goldens. */
export async function loadModelDir(tf, dir, options) {
  return loadModelFolder(tf, folderIO(dir), await loadSchema(), options);
}

/** Whether dir is a model folder (holds a metadata.json). */
export async function isModelFolder(dir) {
  return Boolean(await stat(path.join(dir, 'metadata.json')).catch(() => null));
}

/**
 * Model folders (those holding a metadata.json) directly under root, sorted by name, and links to folders
 * there: listed so that each is a refused row, never read through. Dot-folders (temporary exports) are skipped.
 */
export async function discoverModels(root) {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return [];
  }
  const dirs = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const dir = path.join(root, e.name);
    if (e.isSymbolicLink() ? (await stat(dir).catch(() => null))?.isDirectory() : e.isDirectory() && (e.name.includes('\uFFFD') || await isModelFolder(dir))) dirs.push(dir);
  }
  return dirs.sort();
}
