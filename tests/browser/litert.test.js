// LiteRT.js on the page in headless Chromium: the demo's model.tflite files pass the parity panel on LiteRT.js's
// wasm and WebGPU (SwiftShader) backends, cards answer in LiteRT.js beside tf.js, and a static site without
// cross-origin isolation carries LiteRT.js's files and runs them.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { freePort, launchChromium, startServer } from '../../web/browser.js';
import { ROOT } from '../support/paths.js';

const MODELS = path.join(ROOT, 'web', 'models');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');

/** Choose a backend in the selector, run the parity panel on it, and return its rows as {model: {pass, cells}}. */
async function parityOn(page, backend) {
  await page.selectOption('[data-testid=backend]', backend);
  await page.click('[data-testid=run-parity]');
  await page.waitForSelector('[data-testid=parity][data-state="running"]', { timeout: 10_000 }).catch(() => {});
  await page.waitForSelector('[data-testid=parity][data-state="done"]', { timeout: 120_000 });
  return page.$$eval('[data-testid=parity] tbody tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.dataset.model,
    { backend: tr.dataset.backend, pass: tr.dataset.pass === 'true', cells: [...tr.cells].map((c) => c.textContent) }])));
}

describe('LiteRT.js on the page', { timeout: 300_000 }, () => {
  let server;
  let browser;
  let page;
  const errors = [];

  before(async () => {
    let base;
    ({ proc: server, base } = await startServer({ args: ['--models', MODELS, '--artifacts', path.join(ROOT, 'artifacts')] }));
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(base);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  });

  after(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
  });

  test('the selector lists both runtimes, and LiteRT.js wasm passes every model.tflite', async () => {
    const options = await page.$$eval('[data-testid=backend] option', (os) => os.map((o) => o.value));
    assert.ok(options.includes('wasm') && options.includes('litert-wasm'), options.join(' '));
    const rows = await parityOn(page, 'litert-wasm');
    for (const model of ['linear', 'mlp']) {
      assert.equal(rows[model]?.backend, 'litert-wasm', JSON.stringify(rows));
      assert.ok(rows[model].pass, rows[model].cells.join(' | '));
      assert.equal(rows[model].cells[1], 'tflite');
    }
    assert.deepEqual(errors, []);
  });

  test('the digit card answers in LiteRT.js beside tf.js, with both timings', async () => {
    await page.click('[data-testid=random-digit]');
    await page.waitForFunction(() => document.querySelector('[data-testid=mlp-litert]').textContent.includes('ms'), null, { timeout: 30_000 });
    const text = await page.textContent('[data-testid=mlp-litert]');
    assert.match(text, /^LiteRT\.js: \S+ in [\d.]+ ms on wasm \(tf\.js [\d.]+ ms\) · max \|Δ\| vs tf\.js \d\.\d\de[-+]\d+$/);
    assert.ok(Number(text.match(/vs tf\.js (\S+)$/)[1]) < 1e-4, text);
  });

  test('LiteRT.js WebGPU passes where Chromium offers an adapter (SwiftShader here)', async (t) => {
    const options = await page.$$eval('[data-testid=backend] option', (os) => os.map((o) => o.value));
    if (!options.includes('litert-webgpu')) return t.skip('no WebGPU adapter in this Chromium');
    const rows = await parityOn(page, 'litert-webgpu');
    for (const model of ['linear', 'mlp']) assert.ok(rows[model]?.pass, JSON.stringify(rows[model]));
  });
});

describe('a static site with model.tflite files, without cross-origin isolation', { timeout: 180_000 }, () => {
  test('carries LiteRT.js and passes its parity on wasm', async () => {
    const site = path.join(await mkdtemp(path.join(os.tmpdir(), 'tfjs-site-')), 'site');
    execFileSync(PYTHON, ['-m', 'web.serve', '--models', MODELS, '--static', site], { cwd: ROOT, stdio: 'pipe' });
    assert.ok((await readdir(path.join(site, 'vendor'))).includes('litert_wasm_internal.wasm'));
    assert.ok((await readdir(path.join(site, 'models', 'mlp'))).includes('model.tflite'));
    const port = await freePort();
    const proc = spawn(PYTHON, [path.join(ROOT, 'tests', 'support', 'static_http.py'), site, String(port)], { stdio: 'ignore' });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      for (let i = 0; i < 80 && !(await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      assert.equal(await page.evaluate(() => window.crossOriginIsolated), false);
      const rows = await parityOn(page, 'litert-wasm');
      assert.ok(rows.mlp?.pass && rows.linear?.pass, JSON.stringify(rows));
    } finally {
      await browser.close();
      proc.kill();
      await rm(path.dirname(site), { recursive: true, force: true });
    }
  });
});
