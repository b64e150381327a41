// Broken copies of a good export for the Node and browser tests: tests/support/corrupt.py makes the standard set
// (one generator for Python, Node and the browser); editedCopy makes one-off variants for a single test.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { MODELS_ROOT, ROOT } from '../support/paths.js';

/** A temp folder holding web/models/<good> and one broken copy of it per case; { root, cases }. */
export async function brokenModels(good) {
  const root = await mkdtemp(path.join(tmpdir(), 'tfjs-bridge-broken-'));
  await cp(path.join(MODELS_ROOT, good), path.join(root, good), { recursive: true });
  const out = execFileSync(path.join(ROOT, '.venv', 'bin', 'python'), ['-m', 'tests.support.corrupt', path.join(MODELS_ROOT, good), root],
    { cwd: ROOT, encoding: 'utf8' });
  return { root, cases: JSON.parse(out) };
}

/** Rewrite a JSON file of a folder through edit(value) (which changes it in place). */
export async function editJson(dir, file, edit) {
  const value = JSON.parse(await readFile(path.join(dir, file), 'utf8'));
  edit(value);
  await writeFile(path.join(dir, file), JSON.stringify(value));
}

/** Record goldens.json's current length and sha256 in metadata.json, as an exporter writing it would. */
export async function resealGoldens(dir) {
  const bytes = await readFile(path.join(dir, 'goldens.json'));
  await editJson(dir, 'metadata.json', (meta) => {
    Object.assign(meta.goldens, { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  });
}

/** Copy MODELS_ROOT/<good> to root/<folder> and apply edits: { metadata(meta), goldens(goldens) } (goldens resealed). */
export async function editedCopy(good, root, folder, { metadata, goldens } = {}) {
  const dir = path.join(root, folder);
  await cp(path.join(MODELS_ROOT, good), dir, { recursive: true });
  if (goldens) {
    await editJson(dir, 'goldens.json', goldens);
    await resealGoldens(dir);
  }
  if (metadata) await editJson(dir, 'metadata.json', metadata);
  return dir;
}
