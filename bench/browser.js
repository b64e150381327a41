// Inference timing of every exported model in headless Chromium on cpu, wasm and webgl, through the
// production server; then wasm with the page cross-origin isolated (tf.js picks its threaded build) against
// the same page served without the isolation headers (single-threaded build), interleaved round by round with
// LiteRT.js's wasm on the same models' model.tflite (its single-threaded build: the page loads no other); then
// LiteRT.js on WebGPU where Chromium gives an adapter (SwiftShader's CPU Vulkan here: no GPU).
// Prints one JSON array. Usage: node bench/browser.js [--smoke]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { launchChromium, startServer } from '../web/browser.js';

// The timing code is not part of the served app: it goes into the page as a module of its own.
const timingSource = await readFile(new URL('./timing.js', import.meta.url), 'utf8');
const ISOLATION = ['cross-origin-opener-policy', 'cross-origin-embedder-policy'];

const { values: opts } = parseArgs({ options: { smoke: { type: 'boolean', default: false } } });
// The demo's models (make models): serve's default folder is ./web_models, which a checkout does not have.
const { proc, base } = await startServer({ args: ['--models', 'web/models'] });
const browser = await launchChromium();

/** A page of the app; without isolation, every response loses its COOP/COEP headers. */
async function openPage(isolated) {
  const page = await browser.newPage();
  if (!isolated) {
    await page.route('**/*', async (route) => {
      const response = await route.fetch();
      const headers = Object.fromEntries(Object.entries(response.headers()).filter(([k]) => !ISOLATION.includes(k)));
      await route.fulfill({ response, headers });
    });
  }
  await page.goto(base);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  // The page runs parity once on load, switching backends: timing starts after it.
  await page.waitForSelector('[data-testid=parity][data-state="done"]', { timeout: 120_000 });
  return page;
}

/** Time models in the page on backends; rows as bench/infer.js gives them (plus the page's thread state). */
function timeIn(page, backends, names) {
  return page.evaluate(async ({ smoke, timingSource, backends, names }) => {
    const { loadModel } = await import('/static/js/loader.js');
    const { runModel } = await import('/verify/parity.js');
    const { timeModel } = await import(URL.createObjectURL(new Blob([timingSource], { type: 'text/javascript' })));
    const { models } = await (await fetch('/api/models')).json();
    const tf = window.tf;
    const rows = [];
    for (const backend of backends) {
      await tf.setBackend(backend);
      await tf.ready();
      const threads = backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') : null;
      for (const { name } of models.filter((m) => !names || names.includes(m.name))) {
        const started = performance.now();
        const { model, meta } = await loadModel(tf, name);
        const loadMs = performance.now() - started;
        const timing = await timeModel(tf, (xs) => runModel(tf, model, meta, xs), meta, smoke);
        rows.push({ runtime: 'chromium', model: name, backend, load_ms: loadMs, isolated: crossOriginIsolated, threads, ...timing });
        model.dispose();
      }
    }
    return rows;
  }, { smoke: opts.smoke, timingSource, backends, names });
}

/** Time models' model.tflite in LiteRT.js in the page (random inputs, outputs read back); rows like timeIn's. */
function timeLiteRtIn(page, backends, names) {
  return page.evaluate(async ({ smoke, backends, names }) => {
    const { compiledModel, loadLiteRt } = await import('/static/js/litert.js');
    const { runLiteRt } = await import('/verify/litert.js');
    const { models } = await (await fetch('/api/models')).json();
    const litert = await loadLiteRt();
    const big = smoke ? 50 : 1000;
    const inputsOf = (meta, batch) => meta.inputs.map(({ shape }) => {
      const dims = [batch, ...shape.slice(1).map((d) => d ?? 1)];
      return { values: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => (i % 997) / 997), shape: dims };
    });
    const time = async (compiled, meta, batch, runs) => {
      const xs = inputsOf(meta, batch);
      const times = [];
      for (let i = 0; i < runs + 3; i++) {
        const started = performance.now();
        await runLiteRt(litert, compiled, meta, xs);
        if (i >= 3) times.push(performance.now() - started);  // the first runs compile kernels/shaders
      }
      times.sort((a, b) => a - b);
      return { min: times[0], median: times[Math.floor(times.length / 2)], max: times.at(-1) };
    };
    const rows = [];
    for (const backend of backends) {
      for (const { name } of models.filter((m) => m.litert && (!names || names.includes(m.name)))) {
        const meta = await (await fetch(`/models/${name}/metadata.json`)).json();
        const started = performance.now();
        const compiled = await compiledModel(name, meta, backend);
        const loadMs = performance.now() - started;
        const batch1 = await time(compiled, meta, 1, smoke ? 3 : 200);
        const batchBig = await time(compiled, meta, big, smoke ? 2 : 30);
        rows.push({ runtime: 'chromium', web_runtime: 'litert', model: name, backend, load_ms: loadMs, isolated: crossOriginIsolated,
          threads: false, batch1_ms: batch1, big_batch: big, big_batch_ms: batchBig, examples_per_sec: (big * 1000) / batchBig.median });
      }
    }
    return rows;
  }, { smoke: opts.smoke, backends, names });
}

/** min/median/max over rounds of each round's medians, as one row (the first round's other fields). */
function overRounds(rows, extra) {
  const pick = (key) => rows.map((row) => row[key].median).sort((a, b) => a - b);
  const mid = (list) => list[Math.floor(list.length / 2)];
  const [first] = rows;
  const batch1 = pick('batch1_ms');
  const big = pick('big_batch_ms');
  return { ...first, ...extra, rounds: rows.length,
    batch1_ms: { min: batch1[0], median: mid(batch1), max: batch1.at(-1) },
    big_batch_ms: { min: big[0], median: mid(big), max: big.at(-1) },
    examples_per_sec: (first.big_batch * 1000) / mid(big) };
}

try {
  const isolated = await openPage(true);
  const results = await timeIn(isolated, ['cpu', 'wasm', 'webgl']);
  // Threaded against single-threaded wasm on the MLP: both pages alternate, so load changes hit both.
  const plain = await openPage(false);
  const rounds = { true: [], false: [] };
  const litertRounds = [];
  for (let r = 0; r < (opts.smoke ? 1 : 5); r++) {
    for (const page of [isolated, plain]) {
      const [row] = await timeIn(page, ['wasm'], ['mlp']);
      rounds[row.isolated].push(row);
    }
    litertRounds.push(...await timeLiteRtIn(isolated, ['litert-wasm'], ['mlp']));
  }
  for (const rows of Object.values(rounds)) {
    results.push(overRounds(rows, { backend: rows[0].threads ? 'wasm (threads)' : 'wasm (1 thread)' }));
  }
  if (litertRounds.length) results.push(overRounds(litertRounds, {}));
  const webgpu = await isolated.evaluate(async () => Boolean(await navigator.gpu?.requestAdapter().catch(() => null)));
  results.push(...await timeLiteRtIn(isolated, webgpu ? ['litert-webgpu'] : [], null));
  console.log(JSON.stringify(results));
} finally {
  await browser.close();
  proc.kill('SIGTERM');
}
