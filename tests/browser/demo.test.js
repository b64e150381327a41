// Browser tests: the demo in Debian's headless Chromium (driven by playwright-core), served by the same
// production server `make serve` starts. Requires /usr/bin/chromium (`make test` installs it).
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { launchChromium, startServer } from '../../web/browser.js';
import { ROOT } from '../support/paths.js';

const SCREENSHOT = path.join(ROOT, 'screenshots', 'demo.png');

describe('demo page in headless Chromium', { timeout: 300_000 }, () => {
  let server;
  let browser;
  let page;
  let base;
  const consoleErrors = [];
  const requested = [];
  const encodings = {};

  before(async () => {
    ({ proc: server, base } = await startServer({ args: ['--models', path.join(ROOT, 'web', 'models'), '--artifacts', path.join(ROOT, 'artifacts')] }));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
    page.on('pageerror', (err) => consoleErrors.push(err.message));
    page.on('response', (res) => { if (res.status() >= 400) consoleErrors.push(`HTTP ${res.status()} ${res.url()}`); });
    page.on('request', (req) => requested.push(new URL(req.url()).pathname));
    page.on('response', (res) => { encodings[new URL(res.url()).pathname] = res.headers()['content-encoding']; });
    await page.goto(base);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  });

  after(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
  });

  test('page is cross-origin isolated so wasm may use threads', async () => {
    assert.equal(await page.evaluate(() => window.crossOriginIsolated), true);
    assert.match(await page.textContent('[data-testid=backend-status]'), /wasm ready · SIMD on · threads on/);
  });

  test('bundles and shards come gzipped, each model.json and shard once', async () => {
    const gzipped = Object.entries(encodings).filter(([, e]) => e === 'gzip').map(([p]) => p);
    assert.ok(gzipped.includes('/vendor/tf.min.js') && gzipped.some((p) => p.endsWith('.bin')), gzipped.join(' '));
    const shards = requested.filter((p) => p.endsWith('.bin'));
    assert.deepEqual(shards, [...new Set(shards)]);
  });

  test('parity panel fills itself on load, then passes for every model on every backend', async () => {
    await page.waitForSelector('[data-testid=parity][data-state="done"]', { timeout: 60_000 });
    const listed = (await (await fetch(`${base}/api/models`)).json()).models;
    const models = listed.map((m) => m.name);
    assert.equal((await page.evaluate(() => window.parityResults)).length, models.length, 'one run, selected backend');
    const backends = await page.$$eval('#backend option', (os) => os.map((o) => o.value));
    // LiteRT.js's backends check only the models with a model.tflite.
    const expected = backends.reduce((n, b) => n + (b.startsWith('litert-') ? listed.filter((m) => m.litert).length : models.length), 0);
    await page.click('[data-testid=run-parity-all]');
    await page.waitForFunction((n) => window.parityResults.length === n && document.querySelector('[data-testid=parity]').dataset.state === 'done',
      expected, { timeout: 180_000 });
    const results = await page.evaluate(() => window.parityResults);
    for (const r of results) {
      assert.ok(r.pass, `${r.model} on ${r.backend}: ${r.error ?? `max |Δ| ${r.maxAbsDiff}, argmax ${r.argmaxAgreement}`}`);
    }
    assert.deepEqual([...new Set(results.map((r) => r.backend))], backends);
    console.log(results.map((r) => `${r.model}/${r.backend}: max |Δ| ${r.maxAbsDiff.toExponential(2)}`).join('; '));
  });

  test('drawing a digit with the mouse gives predictions from tf.js and from Flask', async () => {
    await page.locator('[data-testid=pad]').scrollIntoViewIfNeeded();
    const box = await page.locator('[data-testid=pad]').boundingBox();
    // A "7": a top bar, then a diagonal down to the left.
    const stroke = [[0.25, 0.2], [0.75, 0.2], [0.6, 0.5], [0.45, 0.85]];
    await page.mouse.move(box.x + stroke[0][0] * box.width, box.y + stroke[0][1] * box.height);
    await page.mouse.down();
    for (const [fx, fy] of stroke.slice(1)) {
      await page.mouse.move(box.x + fx * box.width, box.y + fy * box.height, { steps: 12 });
    }
    await page.mouse.up();
    await page.waitForFunction(() => !['–', '…'].includes(document.querySelector('[data-testid=py-pred]').textContent));
    const js = await page.textContent('[data-testid=js-pred]');
    const py = await page.textContent('[data-testid=py-pred]');
    assert.match(js, /^\d \(\d+\.\d%\)$/);
    assert.match(py, /^\d \(\d+\.\d%\)$/);
    assert.equal(js[0], py[0], 'tf.js and Python choose the same digit');
    // The preprocessing (crop, 20x20, centre of mass) must make a drawn 7 look like MNIST's 7s.
    assert.equal(js[0], '7', `drawn 7 classified as ${js}`);
    assert.match(await page.textContent('[data-testid=agreement]'), /^Same answer/);
  });

  test('a random test digit is classified the same way by both sides', async () => {
    await page.click('[data-testid=random-digit]');
    await page.waitForFunction(() => document.querySelector('#py-ms').textContent.includes('round trip'));
    await page.waitForFunction(() => document.querySelector('[data-testid=agreement]').textContent.startsWith('Same'));
  });

  test('the linear model predicts in the browser and in Python', async () => {
    await page.click('#linear-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('[data-testid=linear-py]').textContent !== '–');
    const js = parseFloat(await page.textContent('[data-testid=linear-js]'));
    const py = parseFloat(await page.textContent('[data-testid=linear-py]'));
    assert.ok(Number.isFinite(js) && Math.abs(js - py) < 1e-3, `${js} vs ${py}`);
  });

  test('a screenshot of the page is saved', async () => {
    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(consoleErrors, []);
  });
});
