// npm run lint: `node --check` every .js file of the project (outside node_modules and other installed trees).
import { execFileSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Installed or generated trees, not the project's own code.
const SKIP = new Set(['node_modules', '.git', '.venv', 'artifacts', 'build', 'screenshots']);

/** Every .js file below dir, skipping SKIP folders. */
async function jsFiles(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory() && !SKIP.has(e.name)) out.push(...(await jsFiles(full)));
    else if (e.isFile() && e.name.endsWith('.js')) out.push(full);
  }
  return out;
}

const files = await jsFiles(ROOT);
let bad = 0;
for (const file of files) {
  try {
    execFileSync(process.execPath, ['--check', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    bad++;
    process.stderr.write(err.stderr);
  }
}
console.log(bad ? `${bad} of ${files.length} files fail node --check` : `node --check: ${files.length} files ok`);
process.exit(bad ? 1 : 0);
