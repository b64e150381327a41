// `tfjs-bridge serve --static DIR` (here `python -m web.serve --static`): the site opens from Python's plain
// http.server, with the two isolation headers (threaded wasm) and without them (single-threaded wasm), with
// no /api behind it, and its parity panel passes.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { pageModels } from '../support/fixtures.js';
import { freePort, launchChromium } from '../../web/browser.js';
import { ROOT } from '../support/paths.js';

const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');

/** Serve dir with tests/support/static_http.py on a free port until stopped; { proc, base }. */
async function staticServer(dir, isolate) {
  const port = await freePort();
  const proc = spawn(PYTHON, [path.join(ROOT, 'tests', 'support', 'static_http.py'), dir, String(port), ...(isolate ? ['--isolate'] : [])], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 80; i++) {
    try {
      if ((await fetch(base)).ok) return { proc, base };
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill();
  throw new Error('static server did not start');
}

describe('the static site from a plain static file server', { timeout: 120_000 }, () => {
  let site;
  let browser;
  let names;

  before(async () => {
    const { models } = pageModels();
    site = path.join(await mkdtemp(path.join(os.tmpdir(), 'tfjs-site-')), 'site');
    execFileSync(PYTHON, ['-m', 'web.serve', '--models', models, '--static', site], { cwd: ROOT, stdio: 'pipe' });
    names = JSON.parse(await readFile(path.join(site, 'models', 'index.json'))).models.map((m) => m.name);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    if (site) await rm(path.dirname(site), { recursive: true, force: true });
  });

  for (const isolate of [true, false]) {
    test(`${isolate ? 'with' : 'without'} COOP/COEP: cards work, no Python column, parity passes${isolate ? '' : ' on single-threaded wasm'}`, async () => {
      const { proc, base } = await staticServer(site, isolate);
      const page = await browser.newPage();
      const errors = [];
      const api = [];
      page.on('pageerror', (err) => errors.push(err.message));
      page.on('request', (req) => { if (new URL(req.url()).pathname.startsWith('/api')) api.push(req.url()); });
      try {
        await page.goto(base);
        await page.waitForSelector('[data-testid=parity][data-state="done"]', { timeout: 60_000 });
        assert.equal(await page.evaluate(() => window.crossOriginIsolated), isolate);
        assert.match(await page.textContent('[data-testid=backend-status]'), new RegExp(`wasm ready · SIMD on · threads ${isolate ? 'on' : 'off'} · ${names.length} models`));
        const results = await page.evaluate(() => window.parityResults);
        assert.deepEqual(results.map((r) => r.model), names);
        for (const r of results) assert.ok(r.pass, `${r.model}: ${r.error ?? r.maxAbsDiff}`);
        const cards = await page.$$eval('.model-card', (cs) => cs.map((c) => ({ name: c.dataset.model, state: c.dataset.state, py: c.querySelectorAll('.py-out').length })));
        assert.ok(cards.length >= 5 && cards.every((c) => c.state === 'done' && c.py === 0), JSON.stringify(cards));
        assert.equal(await page.isVisible('#py-pred'), false, 'the digit card hides its Python side');
        assert.match(await page.textContent('[data-testid=footer]'), /static site/);
        assert.deepEqual(api, []);
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
        proc.kill();
      }
    });
  }
});
