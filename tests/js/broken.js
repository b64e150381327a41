// Broken copies of a good export for the Node and browser tests, made by tests/corrupt.py (one generator).
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { MODELS_ROOT } from '../../web/node/harness.js';
import { ROOT } from '../support/server.js';

/** A temp folder holding web/models/<good> and one broken copy of it per case; { root, cases }. */
export async function brokenModels(good) {
  const root = await mkdtemp(path.join(tmpdir(), 'tfjs-bridge-broken-'));
  await cp(path.join(MODELS_ROOT, good), path.join(root, good), { recursive: true });
  const out = execFileSync(path.join(ROOT, '.venv', 'bin', 'python'), ['-m', 'tests.corrupt', path.join(MODELS_ROOT, good), root],
    { cwd: ROOT, encoding: 'utf8' });
  return { root, cases: JSON.parse(out) };
}
