// A graph that would spin for ever in tf.js (a While loop whose goldens ask for 10^12 turns) cannot freeze the page:
// its card's prediction and its parity row run in a worker with a deadline (web/static/js/worker.js), the tab keeps
// answering meanwhile, the row and the card say which budget ran out, and the good model beside it still passes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { launchChromium, startServer } from '../../web/browser.js';
import { MODELS_ROOT, ROOT } from '../support/paths.js';

const BUDGET_S = 3;
// The suite's control_flow case: tf.cond, then a tf.while_loop of max(x) * 5 turns; exported by the CLI.
const BUILD = `
import sys, tensorflow as tf
@tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
def serve(x):
    y = tf.cond(tf.reduce_sum(x) > 1.5, lambda: x * 2.0, lambda: x - 1.0)
    steps = tf.cast(tf.reduce_max(x) * 5, tf.int32)
    _, z = tf.while_loop(lambda i, v: i < steps, lambda i, v: (i + 1, v * 0.9 + 0.1), [0, y])
    return {"y": z}
tf.saved_model.save(tf.Module(), sys.argv[1], signatures={"serving_default": serve})
`;

/** Make goldens.json's first example ask for ~10^12 turns (int32 caps them at 2^31 - 1), and reseal it. */
async function spinForEver(folder) {
  const goldens = JSON.parse(await readFile(path.join(folder, 'goldens.json'), 'utf8'));
  goldens.inputs.x.values[0] = 4e8;  // 5 * 4e8 = 2e9 turns: days in tf.js
  const blob = JSON.stringify(goldens);
  await writeFile(path.join(folder, 'goldens.json'), blob);
  const meta = JSON.parse(await readFile(path.join(folder, 'metadata.json'), 'utf8'));
  meta.goldens.bytes = Buffer.byteLength(blob);
  meta.goldens.sha256 = createHash('sha256').update(blob).digest('hex');
  await writeFile(path.join(folder, 'metadata.json'), JSON.stringify(meta));
}

describe('a runaway graph in the page', { timeout: 240_000 }, () => {
  let dir;
  let server;
  let base;
  let browser;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tfjs-hang-'));
    const python = path.join(ROOT, '.venv', 'bin', 'python');
    execFileSync(python, ['-c', BUILD, path.join(dir, 'spin_sm')], { cwd: ROOT, stdio: 'pipe' });
    execFileSync(python, ['-m', 'tfjs_bridge', 'export', path.join(dir, 'spin_sm'), '--name', 'spin', '--out', path.join(dir, 'models')],
      { cwd: ROOT, stdio: 'pipe' });
    await spinForEver(path.join(dir, 'models', 'spin'));
    await cp(path.join(MODELS_ROOT, 'linear'), path.join(dir, 'models', 'linear'), { recursive: true });
    await mkdir(path.join(dir, 'no-artifacts'));
    ({ proc: server, base } = await startServer({ args: ['--models', path.join(dir, 'models'), '--artifacts', path.join(dir, 'no-artifacts')] }));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    server?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the tab keeps answering, the runaway is stopped at its budget, the good model passes', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/?budget=${BUDGET_S}`);
    await page.waitForFunction(() => /ready/.test(document.getElementById('backend-status')?.textContent), null, { timeout: 60_000 });
    const stalls = [];
    for (let i = 0; i < 10; i++) {  // while the worker spins (for days, on the main thread): the page answers
      const started = Date.now();
      await page.evaluate(() => 1 + 1);
      stalls.push(Date.now() - started);
      await new Promise((r) => setTimeout(r, 200));
    }
    // A loaded 2-core machine stalls the page a few hundred ms now and then; the runaway would stall it for days.
    assert.ok(Math.max(...stalls) < 2000, `page stalled ${Math.max(...stalls)} ms`);
    const rows = await page.waitForFunction(() => window.parityResults, null, { timeout: 120_000 }).then((h) => h.jsonValue());
    const spin = rows.filter((r) => r.model === 'spin');
    assert.ok(spin.length > 0 && spin.every((r) => !r.pass && r.error.includes(`budget of ${BUDGET_S} s for spin`)), JSON.stringify(spin));
    assert.ok(rows.filter((r) => r.model === 'linear').every((r) => r.pass), JSON.stringify(rows));
    const errors = await page.locator('#error').textContent();
    assert.ok(errors.includes(`tf.js ran over the page's budget of ${BUDGET_S} s for spin`), errors);
    console.log(`runaway While loop: page answered within ${Math.max(...stalls)} ms throughout; stopped at ${BUDGET_S} s; `
      + `${spin.length} parity rows failed naming the budget, linear passed`);
  });
});
