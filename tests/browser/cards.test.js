// A card for every model kind (tests/support/page_models.py: image CNN, tabular regressor, two-input model,
// int-token text model, text encoders (keras-hub BERT and GPT-2, a masked mean pooler), and the demo's models) on a desktop and on a phone (390×844, touch), served by
// `python -m web.serve --models DIR --artifacts DIR`; screenshots go to screenshots/ (the README's are docs/).
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { pageModels } from '../support/fixtures.js';
import { launchChromium, startServer } from '../../web/browser.js';
import { ROOT } from '../support/paths.js';

const SHOTS = path.join(ROOT, 'screenshots');
const GENERIC = ['bert', 'cnn', 'gpt2', 'mlp-layers', 'pair', 'pooler', 'tabular', 'tokens'];
// tf.js and Python run the same float32 graphs; parity.js's float32 tolerance (measured ~1e-7 to 2e-6; the keras-hub
// encoders' attention, layer norms and tanh pooler ≤ 5e-7 on wasm and webgpu) applies.
const TOLERANCE = 1e-4;

let server;
let browser;
let base;
let fixtures;

before(async () => {
  fixtures = pageModels();
  ({ proc: server, base } = await startServer({ args: ['--models', fixtures.models, '--artifacts', fixtures.artifacts] }));
  browser = await launchChromium();
  console.log(`fixtures: ${JSON.stringify(fixtures.how)}`);
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
});

/** A page at base with console errors collected; waits until every card has answered and parity has run once. */
async function openPage(options) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(base);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  await page.waitForSelector('[data-testid=parity][data-state="done"]', { timeout: 60_000 });
  return { page, errors };
}

/** The result a card recorded for its last prediction. */
const cardResult = (page, name) => page.$eval(`[data-testid=card-${name}]`, (card) => ({ state: card.dataset.state, ...card.result }));

/** Type text into a text encoder's card and predict: the ids, mask and segments it shows, and its result. */
async function encodeTyped(page, name, text) {
  const card = page.locator(`[data-testid=card-${name}]`);
  const runs = Number(await card.getAttribute('data-runs'));
  await card.locator('input[type=text]').fill(text);
  await card.locator('button[type=submit]').click();
  await page.waitForFunction(([n, r]) => Number(document.querySelector(`[data-testid=card-${n}]`).dataset.runs) > r, [name, runs]);
  return { card, encoded: await card.locator('[data-testid=encoded]').textContent(), result: await cardResult(page, name) };
}

describe('a card per model on a desktop', { timeout: 120_000 }, () => {
  let page;
  let errors;

  before(async () => {
    ({ page, errors } = await openPage({ viewport: { width: 1280, height: 1000 } }));
  });

  test('every model gets a card that predicts in tf.js and agrees with Python where the server has it', async () => {
    assert.equal(await page.isVisible('#mlp-card'), true, 'the rich digit card');
    assert.equal(await page.isVisible('#linear-card'), true, 'the rich linear card');
    const { models } = await (await fetch(`${base}/api/models`)).json();
    const deltas = [];
    for (const name of GENERIC) {
      const r = await cardResult(page, name);
      assert.equal(r.state, 'done', name);
      assert.ok(r.js.length >= 1 && r.js[0].values.every(Number.isFinite), `${name}: tf.js outputs ${JSON.stringify(r.js)}`);
      const python = models.find((m) => m.name === name).python;
      assert.equal(python, true, `${name} has a counterpart under the fixture artifacts`);
      // Every card, the two-input one included ({"inputs": {name: example}}), gets Python's answer beside tf.js's.
      assert.equal(r.pyError ?? null, null, `${name}: ${r.pyError}`);
      assert.ok(r.maxAbsDiff <= TOLERANCE, `${name}: max |Δ| ${r.maxAbsDiff}`);
      deltas.push(`${name} ${r.maxAbsDiff.toExponential(2)}`);
    }
    console.log(`first golden example on wasm, max |Δ| vs Python: ${deltas.join(', ')}`);
    const shown = await page.$$eval('.model-card', (cards) => cards.map((c) => c.dataset.model));
    assert.deepEqual(shown, GENERIC);
  });

  test('inputs are rendered by kind', async () => {
    const kinds = await page.$$eval('.model-card', (cards) => Object.fromEntries(cards.map((c) => [c.dataset.model, {
      pads: c.querySelectorAll('canvas.pad').length, fields: c.querySelectorAll('.fields input').length,
      text: c.querySelectorAll('input[type=text]').length, fieldsets: c.querySelectorAll('fieldset').length,
    }])));
    assert.deepEqual(kinds.cnn, { pads: 1, fields: 0, text: 0, fieldsets: 1 });
    assert.deepEqual(kinds.tabular, { pads: 0, fields: 5, text: 0, fieldsets: 1 });
    assert.deepEqual(kinds.pair, { pads: 0, fields: 7, text: 0, fieldsets: 2 });
    assert.deepEqual(kinds.tokens, { pads: 0, fields: 0, text: 1, fieldsets: 1 });
    // A text encoder's ids, mask (and segments) share one text field.
    assert.deepEqual(kinds.bert, { pads: 0, fields: 0, text: 1, fieldsets: 1 });
    assert.deepEqual(kinds.gpt2, { pads: 0, fields: 0, text: 1, fieldsets: 1 });
    assert.deepEqual(kinds.pooler, { pads: 0, fields: 0, text: 1, fieldsets: 1 });
  });

  test('words typed into the token model go through its vocabulary, in tf.js and in Python', async () => {
    const card = page.locator('[data-testid=card-tokens]');
    // "day" is not in the vocabulary: it becomes [UNK] (1); the rest pads with 0 to 8 ids.
    for (const [words, label, ids] of [['awful boring sad day', 'negative', '13 20 16 1 0 0 0 0'], ['great fun superb', 'positive', '3 9 10 0 0 0 0 0']]) {
      const runs = Number(await card.getAttribute('data-runs'));
      await card.locator('input[type=text]').fill(words);
      await card.locator('button[type=submit]').click();
      await page.waitForFunction((n) => Number(document.querySelector('[data-testid=card-tokens]').dataset.runs) > n, runs);
      assert.match(await card.locator('.js-out [data-testid=top]').textContent(), new RegExp(`^${label} `));
      assert.match(await card.locator('.py-out [data-testid=top]').textContent(), new RegExp(`^${label} `));
      assert.ok((await card.textContent()).includes(`ids: ${ids}`), words);
    }
  });

  test('a text encoder takes words (through its vocabulary) or ids, fills the mask itself, shows its vectors', async () => {
    // [CLS] (2) and [SEP] (3) around the words where the vocabulary has them; "zebra" is not in it ([UNK] = 1).
    // The pooler's 6 ids are padded with [PAD] (0) and its bool mask is false there. dims: [D] bars or [L, D] heat map.
    const cases = [
      ['bert', 'the cat sat on the zebra', 'ids: 2 5 7 9 10 5 1 3 · padding_mask: 1 1 1 1 1 1 1 1 · segment_ids: 0 0 0 0 0 0 0 0', 'pooled_output', [8]],
      ['gpt2', '5 17 3 42 9', 'ids: 5 17 3 42 9 · padding_mask: 1 1 1 1 1', 'output_0', [5, 8]],
      ['pooler', 'cat sat zebra', 'ids: 2 7 9 1 3 0 · attention_mask: 1 1 1 1 1 0', 'output', [4]],
    ];
    for (const [name, text, encoded, output, dims] of cases) {
      const { card, encoded: shown, result: r } = await encodeTyped(page, name, text);
      assert.equal(shown, encoded);
      assert.equal(r.js[0].name, output);
      assert.equal(r.js[0].values.length, dims.reduce((a, b) => a * b), `${name}: ${output} has ${r.js[0].values.length} values`);
      assert.equal(r.pyError, null, `${name}: ${r.pyError}`);
      assert.ok(r.maxAbsDiff <= TOLERANCE, `${name}: max |Δ| ${r.maxAbsDiff}`);
      console.log(`${name} typed on wasm: max |Δ| vs Python ${r.maxAbsDiff.toExponential(2)}`);
      for (const pane of ['.js-out', '.py-out']) { // both panes draw the vector
        const vector = card.locator(`${pane} [data-testid=vector-${output}]`);
        assert.match(await vector.textContent(), dims.length === 1 ? new RegExp(`${dims[0]} values · ‖v‖ `) : new RegExp(`${dims[0]} tokens × ${dims[1]} · ‖v‖ `));
        if (dims.length === 1) assert.equal(await vector.locator('svg.spark rect').count(), dims[0]);
        else assert.deepEqual(await vector.locator('canvas.heat').evaluate((c) => [c.height, c.width]), dims);
      }
      assert.match(await card.locator('[data-testid=agreement]').textContent(), /^max \|Δ\| \S+( \(pooled_output \S+, sequence_output \S+\))? · /);
      await mkdir(SHOTS, { recursive: true });
      await card.screenshot({ path: path.join(SHOTS, `card-${name}.png`) });
    }
  });

  test('an uploaded image is resized to the input and classified (a red picture is "red")', async () => {
    const png = await page.evaluate(() => {
      const c = Object.assign(document.createElement('canvas'), { width: 120, height: 80 });
      const ctx = c.getContext('2d');
      ctx.fillStyle = 'rgb(230, 40, 30)';
      ctx.fillRect(0, 0, 120, 80);
      return c.toDataURL('image/png').split(',')[1];
    });
    const card = page.locator('[data-testid=card-cnn]');
    await card.locator('input[type=file]').setInputFiles({ name: 'red.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') });
    await page.waitForFunction(() => /^red /.test(document.querySelector('[data-testid=card-cnn] .py-out [data-testid=top]')?.textContent), null, { timeout: 30_000 });
    assert.match(await card.locator('.js-out [data-testid=top]').textContent(), /^red /);
    assert.ok((await cardResult(page, 'cnn')).maxAbsDiff <= TOLERANCE);
  });

  test('the parity panel filled itself for the selected backend, and passes', async () => {
    const results = await page.evaluate(() => window.parityResults);
    assert.equal(results.length, 10);
    assert.deepEqual([...new Set(results.map((r) => r.backend))], ['wasm']);
    for (const r of results) assert.ok(r.pass, `${r.model}: ${r.error ?? r.maxAbsDiff}`);
    console.log(`wasm: ${results.map((r) => `${r.model} ${r.maxAbsDiff.toExponential(2)}`).join(', ')}`);
  });

  test('WebGPU is offered (SwiftShader) and every model passes parity on it', async () => {
    assert.ok(await page.$('#backend option[value=webgpu]'), 'webgpu option');
    await page.selectOption('[data-testid=backend]', 'webgpu');
    await page.waitForFunction(() => /^webgpu ready/.test(document.querySelector('[data-testid=backend-status]').textContent), null, { timeout: 60_000 });
    await page.click('[data-testid=run-parity]');
    await page.waitForFunction(() => window.parityResults?.[0]?.backend === 'webgpu' && document.querySelector('[data-testid=parity]').dataset.state === 'done', null, { timeout: 90_000 });
    const results = await page.evaluate(() => window.parityResults);
    assert.equal(results.length, 10);
    for (const r of results) assert.ok(r.backend === 'webgpu' && r.pass, `${r.model} on ${r.backend}: ${r.error ?? r.maxAbsDiff}`);
    console.log(`webgpu: ${results.map((r) => `${r.model} ${r.maxAbsDiff.toExponential(2)}`).join(', ')}`);
    // The keras-hub encoders at sequence lengths their goldens (8 tokens) do not have: attention over a free length,
    // the einsum rule's reshapes reading it at run time, on WebGPU, against Python; the pooler with padding masked out.
    for (const [name, text, tokens] of [['bert', 'the dog ran', 5], ['gpt2', '7 3 41', 3], ['bert', 'a', 3], ['pooler', 'the dog', 6]]) {
      const { card, encoded, result } = await encodeTyped(page, name, text);
      assert.match(encoded, new RegExp(`^ids: (\\d+ ){${tokens - 1}}\\d+ · `), encoded);
      assert.match(await card.locator('.js-out + .muted').textContent(), / ms on webgpu$/);
      assert.ok(result.pyError === null && result.maxAbsDiff <= TOLERANCE, `${name} typed on webgpu: ${result.pyError ?? result.maxAbsDiff}`);
      console.log(`${name} typed on webgpu (${tokens} tokens): max |Δ| vs Python ${result.maxAbsDiff.toExponential(2)}`);
    }
    await page.selectOption('[data-testid=backend]', 'wasm');
    await page.waitForFunction(() => /^wasm ready/.test(document.querySelector('[data-testid=backend-status]').textContent));
  });

  test('training curves only for models with a history; Clear empties the digit answers', async () => {
    const captions = await page.$$eval('#curves figcaption', (fs) => fs.map((f) => f.textContent));
    assert.ok(captions.length >= 2, captions.join(' | '));
    for (const c of captions) assert.match(c, /^(linear|mlp, mlp-layers):/, 'the fixture models have no history');
    await page.click('[data-testid=random-digit]');
    await page.waitForFunction(() => document.querySelectorAll('#bars .track').length === 10);
    await page.click('#clear');
    assert.equal(await page.$$eval('#bars > *', (bars) => bars.length), 0);
    assert.equal(await page.textContent('[data-testid=js-pred]'), '–');
  });

  test('desktop screenshot', async () => {
    await page.click('[data-testid=random-digit]');
    await page.waitForFunction(() => document.querySelector('#py-ms').textContent.includes('round trip'));
    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'page-desktop.png'), fullPage: true });
    await page.screenshot({ path: path.join(SHOTS, 'readme-desktop.png') });
    assert.deepEqual(errors, []);
  });
});

describe('the page on a phone (390×844, touch)', { timeout: 120_000 }, () => {
  let page;
  let errors;

  before(async () => {
    ({ page, errors } = await openPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }));
  });

  test('nothing scrolls sideways; wide tables scroll inside their card', async () => {
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390);
    const overflowing = await page.$$eval('.card', (cards) => cards.filter((c) => c.getBoundingClientRect().right > 390).map((c) => c.id || c.dataset.model));
    assert.deepEqual(overflowing, []);
    const scroller = await page.$eval('#parity', (t) => ({ table: t.scrollWidth, box: t.parentElement.clientWidth, overflow: getComputedStyle(t.parentElement).overflowX }));
    assert.ok(scroller.table > scroller.box && scroller.overflow === 'auto', JSON.stringify(scroller));
    // Numbers never wrap in the middle.
    assert.equal(await page.$eval('#parity td', (td) => getComputedStyle(td).whiteSpace), 'nowrap');
    for (const width of [360, 430]) {
      await page.setViewportSize({ width, height: 844 });
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= width, `${width} px`);
    }
    await page.setViewportSize({ width: 390, height: 844 });
  });

  test('chart labels are at least 11 px on screen', async () => {
    // The viewport changes above make charts redraw (ResizeObserver); let those land, then measure every label in
    // one synchronous pass, so no redraw can detach a label between finding and measuring it.
    const sizes = await page.evaluate(async () => {
      await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
      return [...document.querySelectorAll('svg.chart text')].map((t) => {
        const svg = t.ownerSVGElement;
        return parseFloat(getComputedStyle(t).fontSize) * (svg.getBoundingClientRect().width / svg.viewBox.baseVal.width);
      });
    });
    assert.ok(sizes.length > 20, `${sizes.length} labels`);
    assert.ok(Math.min(...sizes) >= 11, `smallest label ${Math.min(...sizes).toFixed(1)} px`);
  });

  test('drawing a digit with a finger gives a prediction', async () => {
    await page.locator('#pad').scrollIntoViewIfNeeded();
    const box = await page.locator('#pad').boundingBox();
    const at = ([fx, fy]) => ({ x: box.x + fx * box.width, y: box.y + fy * box.height });
    const cdp = await page.context().newCDPSession(page);
    const touch = (type, points) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points.map((p) => ({ ...p, id: 1 })) });
    // A "1": one vertical stroke, as touch events (Chromium turns them into pointer events).
    const stroke = Array.from({ length: 16 }, (_, i) => [0.5, 0.15 + (0.7 * i) / 15]);
    await touch('touchStart', [at(stroke[0])]);
    for (const p of stroke.slice(1)) await touch('touchMove', [at(p)]);
    await touch('touchEnd', []);
    await page.waitForFunction(() => document.querySelector('[data-testid=js-pred]').textContent !== '–');
    await page.waitForFunction(() => !['–', '…'].includes(document.querySelector('[data-testid=py-pred]').textContent));
    const js = await page.textContent('[data-testid=js-pred]');
    assert.match(js, /^\d \(\d+\.\d%\)$/);
    assert.equal(js[0], '1', `a drawn 1 classified as ${js}`);
    assert.equal(js[0], (await page.textContent('[data-testid=py-pred]'))[0]);
  });

  test('phone screenshots', async () => {
    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'page-phone.png'), fullPage: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SHOTS, 'readme-phone.png'), scale: 'css' });
    assert.deepEqual(errors, []);
  });
});
