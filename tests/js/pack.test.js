// The npm package installs and runs on its own: `npm pack`, install the tarball into a fresh project from
// the npm cache alone, and verify a model folder with the installed tfjs-bridge-verify.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';

import { MODELS_ROOT, ROOT } from '../support/paths.js';

const run = promisify(execFile);
const NPM_QUIET = ['--no-audit', '--no-fund', '--loglevel=error'];
let tmp;
after(async () => tmp && rm(tmp, { recursive: true, force: true }));

test('npm pack holds only the harness, installs offline and verifies a model folder', { timeout: 60_000 }, async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'tfjs-bridge-pack-'));
  const { stdout } = await run('npm', ['pack', '--pack-destination', tmp, '--json', ...NPM_QUIET], { cwd: ROOT });
  const [{ filename, files }] = JSON.parse(stdout);
  assert.deepEqual(files.map((f) => f.path).sort(), [
    'README.md', 'package.json', 'tfjs_bridge/common/model-folder.schema.json',
    'verify/js/artifacts.js', 'verify/js/litert.js', 'verify/js/model.js', 'verify/js/parity.js', 'verify/js/schema.js', 'verify/js/table.js',
    'verify/node/check.js', 'verify/node/explain.js', 'verify/node/harness.js', 'verify/node/isolate.js', 'verify/node/litert.js',
    'verify/node/load.js', 'verify/node/pool.js', 'verify/verify.js',
  ]);

  // The project's lockfile pins every dependency with its tarball's integrity, so npm needs only the
  // tarballs `npm ci` left in the cache (not the registry's package listings, which it may never have fetched).
  const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
  const lock = JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8'));
  const tgz = `file:${path.join(tmp, filename)}`;
  const packages = {
    '': { name: 'user', dependencies: { [pkg.name]: tgz } },
    [`node_modules/${pkg.name}`]: { version: pkg.version, resolved: tgz, dependencies: pkg.dependencies, bin: pkg.bin },
  };
  for (const [key, entry] of Object.entries(lock.packages)) if (key && !entry.dev) packages[key] = entry;
  const project = path.join(tmp, 'user');
  await mkdir(project);
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'user', private: true, dependencies: { [pkg.name]: tgz } }));
  await writeFile(path.join(project, 'package-lock.json'), JSON.stringify({ name: 'user', lockfileVersion: 3, requires: true, packages }));
  await run('npm', ['ci', '--offline', ...NPM_QUIET], { cwd: project });

  const verified = await run('npx', ['--offline', 'tfjs-bridge-verify', path.join(MODELS_ROOT, 'linear'), '--backends', 'cpu'], { cwd: project });
  assert.match(verified.stdout, /\nall 1 checks passed\n$/);
});
