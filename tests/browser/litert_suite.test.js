// The model suite's LiteRT.js exports (make suite: one model.tflite per case TFLite converts) in headless Chromium:
// the page's parity panel passes every one of them on LiteRT.js wasm, as tests/e2e/test_suite.py requires in Node.
// ConvNeXtTiny is left out here for its size (224 MB of tf.js and TFLite weights for one page); Node checks it.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { launchChromium, startServer } from '../../web/browser.js';
import { ROOT } from '../support/paths.js';

const SUITE = path.join(ROOT, 'artifacts', 'suite', 'models');
const TOO_BIG = new Set(['convnexttiny-auto']);

/** The suite folders that hold a model.tflite (metadata.litert.file), but those too big for one page. */
async function litertFolders() {
  const names = [];
  for (const name of (await readdir(SUITE)).sort()) {
    const meta = JSON.parse(await readFile(path.join(SUITE, name, 'metadata.json'), 'utf8'));
    if (meta.litert?.file && !TOO_BIG.has(name)) names.push(name);
  }
  return names;
}

describe('the model suite on LiteRT.js in Chromium', { timeout: 600_000, skip: !existsSync(SUITE) && 'run `make suite` first' }, () => {
  let tmp;
  let server;
  let browser;
  let page;
  let names;
  const errors = [];

  before(async () => {
    names = await litertFolders();
    // Copies, not links: the server refuses linked folders.
    tmp = await mkdtemp(path.join(os.tmpdir(), 'tfjs-bridge-litert-suite-'));
    for (const name of names) await cp(path.join(SUITE, name), path.join(tmp, 'models', name), { recursive: true });
    let base;
    ({ proc: server, base } = await startServer({ args: ['--models', path.join(tmp, 'models')] }));
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(base);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
    // The panel's own run on load (tf.js) finishes before LiteRT.js is chosen.
    await page.waitForSelector('[data-testid=parity][data-state="done"]', { timeout: 300_000 });
  });

  after(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('every suite model.tflite passes the parity panel on LiteRT.js wasm', async () => {
    assert.ok(names.length >= 20, names.join(' '));
    await page.selectOption('[data-testid=backend]', 'litert-wasm');
    await page.click('[data-testid=run-parity]');
    await page.waitForSelector('[data-testid=parity][data-state="running"]', { timeout: 10_000 }).catch(() => {});
    await page.waitForSelector('[data-testid=parity][data-state="done"]', { timeout: 300_000 });
    const rows = await page.$$eval('[data-testid=parity] tbody tr', (trs) => trs.map((tr) => ({
      model: tr.dataset.model, backend: tr.dataset.backend, pass: tr.dataset.pass === 'true', cells: [...tr.cells].map((c) => c.textContent) })));
    const litert = Object.fromEntries(rows.filter((r) => r.backend === 'litert-wasm').map((r) => [r.model, r]));
    for (const name of names) {
      assert.ok(litert[name], `${name}: no LiteRT.js row (${rows.map((r) => `${r.model}/${r.backend}`).join(' ')})`);
      assert.ok(litert[name].pass, `${name}: ${litert[name].cells.join(' | ')}`);
    }
    console.log(`LiteRT.js wasm in Chromium: ${names.length} suite models pass (${names.join(', ')})`);
    assert.deepEqual(errors, []);
  });
});
