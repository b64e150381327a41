// The page tests' model folders (tests/support/page_models.py), built once and kept under build/ until the
// script or the demo's exports change; test files run in parallel, so the folder is swapped in atomically.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

import { ROOT } from './paths.js';

const SCRIPT = path.join(ROOT, 'tests', 'support', 'page_models.py');
const DEMO = ['linear', 'mlp', 'mlp-layers'];

/** { models, artifacts } folders holding the demo's models and one model of each input kind. */
export function pageModels() {
  for (const name of DEMO) {
    if (!existsSync(path.join(ROOT, 'web', 'models', name, 'metadata.json'))) {
      throw new Error(`web/models/${name} is missing: run \`make models\` first`);
    }
  }
  const key = createHash('sha256').update(readFileSync(SCRIPT))
    .update(DEMO.map((n) => statSync(path.join(ROOT, 'web', 'models', n, 'metadata.json')).mtimeMs).join()).digest('hex').slice(0, 12);
  const out = path.join(ROOT, 'build', `page-models-${key}`);
  if (!existsSync(path.join(out, 'fixtures.json'))) {
    const tmp = `${out}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    execFileSync(path.join(ROOT, '.venv', 'bin', 'python'), [SCRIPT, tmp], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      renameSync(tmp, out);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another test file built it first
    }
  }
  return { models: path.join(out, 'models'), artifacts: path.join(out, 'artifacts'), how: JSON.parse(readFileSync(path.join(out, 'fixtures.json'))) };
}
