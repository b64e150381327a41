// Broken model folders in the browser: the page names each broken file, the browser loader refuses each one
// itself, and the good model beside them still passes parity. Served by `python -m web.serve --models DIR`.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';

import { launchChromium, startServer } from '../../web/browser.js';
import { brokenModels } from '../js/broken.js';

describe('broken model folders in headless Chromium', { timeout: 300_000 }, () => {
  let root;
  let cases;
  let server;
  let browser;
  let page;

  before(async () => {
    ({ root, cases } = await brokenModels('linear'));
    let base;
    ({ proc: server, base } = await startServer({ args: ['--models', root] }));
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(base);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  });

  after(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
    if (root) await rm(root, { recursive: true, force: true });
  });

  test("the page's error text names each broken file and its problem", async () => {
    const lines = await page.$$eval('[data-testid=error] p', (ps) => ps.map((p) => p.textContent));
    for (const [folder, { file, problem }] of Object.entries(cases)) {
      const line = lines.find((l) => l.includes(`${folder}/${file}`));
      assert.ok(line, `no error naming ${folder}/${file} in ${JSON.stringify(lines)}`);
      assert.match(line, new RegExp(problem));
    }
    console.log(`page: ${Object.keys(cases).length} broken folders named in the error text`);
  });

  test('the browser loader refuses each broken folder, naming the file', async () => {
    const errors = await page.evaluate(async (names) => {
      const { loadModel } = await import('/static/js/loader.js');
      const out = {};
      for (const name of names) {
        out[name] = await loadModel(window.tf, name).then(() => null, (err) => err.message);
      }
      return out;
    }, Object.keys(cases));
    for (const [folder, { file, problem }] of Object.entries(cases)) {
      assert.ok(errors[folder]?.includes(`/models/${folder}/${file}`), `${folder}: ${errors[folder]}`);
      assert.match(errors[folder], new RegExp(problem), folder);
    }
    console.log(`browser loader: ${Object.keys(cases).length} broken folders refused`);
  });

  test('the good model still loads and passes parity', async () => {
    assert.match(await page.textContent('[data-testid=backend-status]'), / 1 models$/);
    await page.click('[data-testid=run-parity]');
    await page.waitForSelector('[data-testid=parity][data-state="done"]', { timeout: 120_000 });
    const results = await page.evaluate(() => window.parityResults);
    assert.deepEqual(results.map((r) => [r.model, r.pass]), [['linear', true]]);
  });
});
