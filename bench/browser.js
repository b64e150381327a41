// Inference timing of every exported model in headless Chromium on cpu, wasm and webgl, through the
// production server; then wasm with the page cross-origin isolated (tf.js picks its threaded build) against
// the same page served without the isolation headers (single-threaded build), interleaved round by round with
// LiteRT.js's wasm on the same models' model.tflite (its single-threaded build: the page loads no other); then
// LiteRT.js on WebGPU where Chromium gives an adapter (SwiftShader's CPU Vulkan here: no GPU). With --cnn, the
// model folders in that folder (the benchmark's CNN, bench/cnn.py) are served beside the demo's (one server and
// one pair of pages: a copy of both in a temporary folder, since the server refuses linked folders), and get the
// same interleaved comparison
// (tf.js wasm threaded / single-threaded against LiteRT.js wasm) and LiteRT.js WebGPU at its own large batch.
// Prints one JSON array. Usage: node bench/browser.js [--smoke] [--cnn MODELS_DIR]
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { launchChromium, startServer } from '../web/browser.js';

// The timing code is not part of the served app: it goes into the page as a module of its own.
const timingSource = await readFile(new URL('./timing.js', import.meta.url), 'utf8');
const ISOLATION = ['cross-origin-opener-policy', 'cross-origin-embedder-policy'];

const { values: opts } = parseArgs({ options: { smoke: { type: 'boolean', default: false }, cnn: { type: 'string' } } });
// Rows of the large batch and calls timed per measurement: the MLP's, and the CNN's (~0.5 s per call at 256 rows
// on two cores, so fewer calls; smoke: the goldens' 16 rows, which its model.tflite has a signature for).
const PLANS = Object.freeze({
  demo: Object.freeze(opts.smoke ? { big: 50, runs1: 3, runsBig: 2 } : { big: 1000, runs1: 200, runsBig: 30 }),
  cnn: Object.freeze(opts.smoke ? { big: 16, runs1: 1, runsBig: 1 } : { big: 256, runs1: 50, runsBig: 3 }),
});
const ROUNDS = opts.smoke ? 1 : 5;
// The demo's models (make models): serve's default folder is ./web_models, which a checkout does not have.
const DEMO = 'web/models';

/** Names of the model folders in a folder. */
async function folders(dir) {
  return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

const names = { demo: await folders(DEMO), cnn: opts.cnn ? await folders(opts.cnn) : [] };
const served = opts.cnn ? await mkdtemp(path.join(os.tmpdir(), 'bench-models-')) : DEMO;
for (const [from, list] of opts.cnn ? [[DEMO, names.demo], [opts.cnn, names.cnn]] : []) {
  for (const name of list) await cp(path.join(from, name), path.join(served, name), { recursive: true });
}
const { proc, base } = await startServer({ args: ['--models', served] });
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
function timeIn(page, backends, names, plan) {
  return page.evaluate(async ({ plan, timingSource, backends, names }) => {
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
        const timing = await timeModel(tf, (xs) => runModel(tf, model, meta, xs), meta, plan);
        rows.push({ runtime: 'chromium', model: name, backend, load_ms: loadMs, isolated: crossOriginIsolated, threads, ...timing });
        model.dispose();
      }
    }
    return rows;
  }, { plan, timingSource, backends, names });
}

/** Time models' model.tflite in LiteRT.js in the page (random inputs, outputs read back); rows like timeIn's. */
function timeLiteRtIn(page, backends, names, plan) {
  return page.evaluate(async ({ plan, backends, names }) => {
    const { compiledModel, loadLiteRt } = await import('/static/js/litert.js');
    const { runLiteRt } = await import('/verify/litert.js');
    const { models } = await (await fetch('/api/models')).json();
    const litert = await loadLiteRt();
    const { big } = plan;
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
        const batch1 = await time(compiled, meta, 1, plan.runs1);
        const batchBig = await time(compiled, meta, big, plan.runsBig);
        rows.push({ runtime: 'chromium', web_runtime: 'litert', model: name, backend, load_ms: loadMs, isolated: crossOriginIsolated,
          threads: false, batch1_ms: batch1, big_batch: big, big_batch_ms: batchBig, examples_per_sec: (big * 1000) / batchBig.median });
      }
    }
    return rows;
  }, { plan, backends, names });
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

/** tf.js wasm on the isolated (threaded) and plain (single-threaded) page against LiteRT.js wasm, alternating. */
async function alternate(isolated, plain, name, plan) {
  const rounds = { true: [], false: [] };
  const litertRounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const page of [isolated, plain]) {
      const [row] = await timeIn(page, ['wasm'], [name], plan);
      rounds[row.isolated].push(row);
    }
    litertRounds.push(...await timeLiteRtIn(isolated, ['litert-wasm'], [name], plan));
  }
  const rows = Object.values(rounds).filter((list) => list.length)
    .map((list) => overRounds(list, { backend: list[0].threads ? 'wasm (threads)' : 'wasm (1 thread)' }));
  return litertRounds.length ? [...rows, overRounds(litertRounds, {})] : rows;
}

/** LiteRT.js on WebGPU for the named models with a model.tflite, where Chromium gives the page an adapter. */
async function webgpuRows(page, list, plan) {
  const webgpu = await page.evaluate(async () => Boolean(await navigator.gpu?.requestAdapter().catch(() => null)));
  return webgpu ? timeLiteRtIn(page, ['litert-webgpu'], list, plan) : [];
}

try {
  const isolated = await openPage(true);
  const results = await timeIn(isolated, ['cpu', 'wasm', 'webgl'], names.demo, PLANS.demo);
  // Threaded against single-threaded wasm: both pages alternate, so load changes hit both.
  const plain = await openPage(false);
  results.push(...await alternate(isolated, plain, 'mlp', PLANS.demo));
  results.push(...await webgpuRows(isolated, names.demo, PLANS.demo));
  for (const name of names.cnn) results.push(...await alternate(isolated, plain, name, PLANS.cnn));
  // WebGPU here is SwiftShader on the CPU (~0.7 s a call at 16 rows): the smoke run leaves it to the MLP's rows.
  if (names.cnn.length && !opts.smoke) results.push(...await webgpuRows(isolated, names.cnn, PLANS.cnn));
  console.log(JSON.stringify(results));
} finally {
  await browser.close();
  proc.kill('SIGTERM');
  if (served !== DEMO) await rm(served, { recursive: true, force: true });
}
