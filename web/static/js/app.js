// The page: load every exported model in tf.js, a card per model (rich ones for the demo's mlp and linear),
// Python's answers beside tf.js's where the server has them, the parity panel and the training curves.
import { modelCard } from './cards.js';
import { barChart, lineChart, pointsAndLine, responsive } from './charts.js';
import { isLiteRt, litertBackends, litertPane, litertParity, predictLiteRt } from './litert.js';
import { HAS_API, askPython, listModels, loadGoldens, loadModel, pagePath } from './loader.js';
import { describeLiteRtFailure } from '../../verify/litert.js';
import { argmaxRows, checkParity, describeFailure } from '../../verify/parity.js';
import { ModelWorker } from './worker.js';
import { drawingPad } from './pad.js';
import { canvasToMnist, paintDigit } from './preprocess.js';
import { HEADER, rowCells } from '../../verify/table.js';

const tf = window.tf;
const $ = (id) => document.getElementById(id);
// goldens: name → promise of its verified goldens.json, fetched the first time something needs it and kept
// across backend switches (the files do not change with the backend). python: names the server can answer for.
// litert: names with a model.tflite; litertBackend: the LiteRT.js backend cards answer with beside tf.js.
const state = { names: [], models: {}, goldens: {}, python: new Set(), backend: null, backends: ['cpu', 'wasm', 'webgl'],
  litert: new Set(), litertBackend: 'litert-wasm', webgpu: false };

/** Add an error to the list above the footer (and keep the rest of the page working). */
function showError(err) {
  console.error(err);
  const line = document.createElement('p');
  line.textContent = String(err.message ?? err);
  $('error').append(line);
  $('error').hidden = false;
}

/** Load a script once (the WebGPU backend is fetched only when chosen). */
const scripts = {};
function loadScript(src) {
  scripts[src] ??= new Promise((resolve, reject) => {
    const tag = Object.assign(document.createElement('script'), { src, onload: resolve, onerror: () => reject(new Error(`cannot load ${src}`)) });
    document.head.append(tag);
  });
  return scripts[src];
}

/** Offer WebGPU where the browser gives an adapter (Chrome 113+, or with --enable-unsafe-webgpu). */
async function offerWebGpu() {
  const adapter = await navigator.gpu?.requestAdapter().catch(() => null);
  if (!adapter) return;
  $('backend').append(new Option('webgpu', 'webgpu'));
  state.backends.push('webgpu');
  state.webgpu = true;
}

/** List LiteRT.js's backends in the selector when a model has a model.tflite. */
function offerLiteRt() {
  if (!state.litert.size) return;
  for (const name of litertBackends(state.webgpu)) {
    $('backend').append(new Option(`LiteRT.js ${name.replace('litert-', '')}`, name));
    state.backends.push(name);
  }
}

/** Switch tf.js to a backend and (re)load every model on it; nothing to do when it is already current. */
async function useBackend(name) {
  if (isLiteRt(name)) {  // LiteRT.js answers beside tf.js, which stays on its backend
    state.litertBackend = name;
    $('backend-status').textContent = `${tf.getBackend()} ready · LiteRT.js on ${name.replace('litert-', '')} for ${state.litert.size} models`;
    return;
  }
  if (name === state.backend && tf.getBackend() === name) return;
  if (name === 'webgpu') await loadScript('vendor/tf-backend-webgpu.min.js');
  if (!(await tf.setBackend(name))) throw new Error(`tf.js backend '${name}' is not available in this browser`);
  await tf.ready();
  Object.values(state.models).forEach(({ model }) => model.dispose());
  state.models = {};
  state.backend = name;
  for (const model of state.names) {
    try {
      state.models[model] = await loadModel(tf, model);
    } catch (err) {
      showError(err);
    }
  }
  let detail = '';
  if (name === 'wasm') {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    detail = ` · SIMD ${simd ? 'on' : 'off'} · threads ${threads ? 'on' : 'off'}`;
  }
  $('backend-status').textContent = `${tf.getBackend()} ready${detail} · ${Object.keys(state.models).length} models`;
}

/** A model's goldens.json, downloaded and verified on first use only: loading a model does not need it. */
function goldensOf(name) {
  state.goldens[name] ??= loadGoldens(name, state.models[name].meta);
  return state.goldens[name];
}

/** Run the model on one input in tf.js; returns flat outputs and latency. */
async function runJs(name, values, shape) {
  const { model } = state.models[name];
  const started = performance.now();
  const y = tf.tidy(() => model.predict(tf.tensor(values, shape)));
  const outputs = Array.from(await y.data());
  y.dispose();
  return { outputs, ms: performance.now() - started };
}

// ---- the demo's digit classifier --------------------------------------------------------------

// Bumped by every digit prediction and by Clear: an answer arriving for an older digit is dropped.
let digitRun = 0;

/** Predict a 28×28 digit in tf.js and, where the server has it, in Python, and show both. */
async function predictDigit(values) {
  const run = ++digitRun;
  const { meta } = state.models.mlp;
  paintDigit($('preview'), values);
  const js = await runJs('mlp', values, [1, 28, 28]);
  const [top] = argmaxRows(js.outputs, 10);
  barChart($('bars'), js.outputs, meta.labels);
  $('js-pred').textContent = `${meta.labels[top]} (${(100 * js.outputs[top]).toFixed(1)}%)`;
  $('js-ms').textContent = `${js.ms.toFixed(1)} ms on ${tf.getBackend()}`;
  if (state.litert.has('mlp')) {
    const lt = await predictLiteRt('mlp', meta, state.litertBackend, [{ values, shape: [1, 28, 28] }]);
    const [ltTop] = argmaxRows(lt.outputs[0].values, 10);
    const diff = Math.max(...lt.outputs[0].values.map((p, i) => Math.abs(p - js.outputs[i])));
    $('mlp-litert').textContent = `LiteRT.js: ${meta.labels[ltTop]} in ${lt.ms.toFixed(1)} ms on ${state.litertBackend.replace('litert-', '')} `
      + `(tf.js ${js.ms.toFixed(1)} ms) · max |Δ| vs tf.js ${diff.toExponential(2)}`;
  }
  if (!state.python.has('mlp')) return;
  $('py-pred').textContent = '…';
  const rows = Array.from({ length: 28 }, (_, r) => Array.from(values.slice(28 * r, 28 * r + 28)));
  const py = await askPython('mlp', rows);
  if (run !== digitRun) return;
  const pyProbs = py.outputs[0];
  $('py-pred').textContent = `${py.labels[0]} (${(100 * pyProbs[py.argmax[0]]).toFixed(1)}%)`;
  $('py-ms').textContent = `${py.ms.toFixed(1)} ms in TensorFlow, ${py.roundTripMs.toFixed(0)} ms round trip`;
  const maxDiff = Math.max(...pyProbs.map((p, i) => Math.abs(p - js.outputs[i])));
  $('agreement').textContent = `${py.argmax[0] === top ? 'Same answer' : 'Different answers'}; max |Δ| between the two probability vectors: ${maxDiff.toExponential(2)}`;
}

/** The drawing pad: predict when a stroke ends; Clear empties the pad and every answer. */
function setUpDigits() {
  const pad = drawingPad($('pad'), {
    lineWidth: 20,
    onStart: () => { $('digit-note').textContent = ''; },
    onStroke: () => {
      const values = canvasToMnist($('pad'));
      if (values) predictDigit(values).catch(showError);
    },
  });
  $('clear').addEventListener('click', () => {
    digitRun += 1;
    pad.clear();
    $('bars').replaceChildren();
    ['js-pred', 'py-pred'].forEach((id) => { $(id).textContent = '–'; });
    ['js-ms', 'py-ms', 'agreement', 'digit-note', 'mlp-litert'].forEach((id) => { $(id).textContent = ''; });
    $('preview').getContext('2d').clearRect(0, 0, 28, 28);
  });
  $('random-digit').addEventListener('click', async () => {
    try {
      const { meta } = state.models.mlp;
      const goldens = await goldensOf('mlp');
      const i = Math.floor(Math.random() * goldens.count);
      const values = goldens.inputs[meta.inputs[0].name].values.slice(784 * i, 784 * (i + 1));
      paintDigit($('pad'), values);
      $('digit-note').textContent = `test digit #${i}${goldens.labels ? `, labelled ${goldens.labels[i]}` : ''}`;
      await predictDigit(values);
    } catch (err) {
      showError(err);
    }
  });
}

// ---- the demo's linear model ------------------------------------------------------------------

/** Plot the training points and the line tf.js predicts through them; wire the predict form. */
async function setUpLinear() {
  const { meta } = state.models.linear;
  const data = meta.training.training_data;
  const n = meta.inputs[0].shape[1];
  const a = data.x[0];
  const b = data.x[data.x.length - 1];
  // Along the segment from the first to the last training point (the x axis itself for one feature).
  const dir = a.map((v, i) => b[i] - v);
  const norm2 = dir.reduce((s, v) => s + v * v, 0) || 1;
  const at = (t) => a.map((v, i) => v + t * dir[i]);
  const ts = Array.from({ length: 41 }, (_, k) => -0.25 + (1.5 * k) / 40);
  const { outputs } = await runJs('linear', ts.flatMap(at), [ts.length, n]);
  const tOf = (x) => x.reduce((s, v, i) => s + (v - a[i]) * dir[i], 0) / norm2;
  const points = data.x.map((x, i) => [n === 1 ? x[0] : tOf(x), data.y[i][0]]);
  const line = ts.map((t, k) => [n === 1 ? at(t)[0] : t, outputs[k]]);
  responsive($('linear-plot'), () => pointsAndLine($('linear-plot'), points, line, { xLabel: n === 1 ? 'x' : 't along x₀ → x₁', yLabel: 'y' }));
  $('linear-caption').textContent = n === 1
    ? `${data.x.length} training points and the learned line.`
    : `Inputs have ${n} features: the plot follows the straight path x(t) = x₀ + t·(x₁ − x₀) through the first and last training points (t = 0 and 1), with the training targets as dots.`;
  $('linear-inputs').replaceChildren(...a.map((v, i) => {
    const input = document.createElement('input');
    Object.assign(input, { type: 'number', step: 'any', value: v, required: true, title: `feature ${i + 1}` });
    return input;
  }));
  $('linear-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const x = [...$('linear-inputs').querySelectorAll('input')].map((el) => Number(el.value));
      const js = await runJs('linear', x, [1, n]);
      $('linear-js').textContent = `${js.outputs[0].toFixed(4)} (${js.ms.toFixed(1)} ms)`;
      if (!state.python.has('linear')) return;
      const py = await askPython('linear', x);
      $('linear-py').textContent = `${py.outputs[0][0].toFixed(4)} (${py.ms.toFixed(1)} ms)`;
    } catch (err) {
      showError(err);
    }
  });
  $('linear-form').requestSubmit(); // answers for the first training point right away
}

// ---- a card per model -------------------------------------------------------------------------

/** The demo's rich cards where their models are present and shaped as the demo trains them. */
const RICH = {
  mlp: { card: 'mlp-card', fits: (m) => JSON.stringify(m.inputs[0].shape) === '[null,28,28]' && m.outputs[0].shape[1] === 10 && m.labels, setUp: setUpDigits },
  linear: { card: 'linear-card', fits: (m) => m.inputs.length === 1 && m.training?.training_data, setUp: setUpLinear },
};

const workers = {};
/** The model's inference worker (one per model, kept across cards and parity runs); null where workers are missing. */
function workerOf(name) {
  if (typeof Worker === 'undefined') return null;
  workers[name] ??= new ModelWorker(name, () => state.models[name]);
  return workers[name];
}

/** A model's parity row on backend: in a worker of its own, stopped after (or at its deadline); on the main thread
 * (mainThread(goldens)) where workers are missing. */
async function parityOf(name, backend, mainThread) {
  const goldens = await goldensOf(name);
  if (typeof Worker === 'undefined') return mainThread(goldens);
  const worker = new ModelWorker(name, () => state.models[name]);
  try {
    return await worker.parity(goldens, backend);
  } finally {
    worker.stop(new Error('parity run over'));
  }
}

/** Show the rich cards that apply and build a generic card for every other model; each card starts on a golden example. */
async function setUpCards() {
  const starts = [];
  for (const name of state.names.filter((n) => state.models[n])) {
    const { meta } = state.models[name];
    const rich = RICH[name];
    if (rich?.fits(meta)) {
      $(rich.card).hidden = false;
      await rich.setUp();
      continue;
    }
    const card = modelCard(name, meta, {
      tf, model: () => state.models[name].model, goldens: () => goldensOf(name), python: state.python.has(name), onError: showError,
      litert: state.litert.has(name) ? litertPane(name, meta, () => state.litertBackend) : null,
      worker: workerOf(name),
    });
    $('cards').append(card);
    starts.push(card.start());
  }
  await Promise.all(starts);
}

// ---- parity and training curves ---------------------------------------------------------------

// One parity run at a time: a click during the run on load waits for it.
let parityQueue = Promise.resolve();

/** Queue a parity run on these backends. */
function runParity(backends) {
  parityQueue = parityQueue.then(() => parityOn(backends), showError);
  return parityQueue;
}

/** Run every model's goldens on each backend in turn and fill the parity table with the Node harness's cells. */
async function parityOn(backends) {
  const table = $('parity');
  const body = table.querySelector('tbody');
  const selected = $('backend').value;
  table.dataset.state = 'running';
  body.replaceChildren();
  const results = [];
  try {
    for (const backend of backends) {
      const litert = isLiteRt(backend);
      if (!litert) await useBackend(backend);
      for (const name of state.names.filter((n) => !litert || state.litert.has(n))) {
        let r;
        try {
          if (!state.models[name]) throw new Error('model failed to load');
          const { model, meta } = state.models[name];
          r = litert ? await litertParity(name, meta, await goldensOf(name), backend)
            : await parityOf(name, backend, (goldens) => checkParity(tf, model, meta, goldens, name));
        } catch (err) {
          r = { model: name, folder: name, backend, pass: false, ...(litert ? describeLiteRtFailure(err) : describeFailure(err, backend)) };
        }
        results.push(r);
        const cells = rowCells(r);
        const row = document.createElement('tr');
        Object.assign(row.dataset, { model: r.model, backend: r.backend, pass: String(r.pass) });
        cells.forEach((c, i) => {
          const td = document.createElement('td');
          td.textContent = c;
          if (i === cells.length - 1) td.className = r.pass ? 'pass' : 'fail';
          row.appendChild(td);
        });
        body.appendChild(row);
      }
    }
  } finally {
    await useBackend(selected).catch(showError);
    window.parityResults = results;
    table.dataset.state = 'done';
  }
}

/** A line chart in a figure with a caption. */
function figure(caption, draw) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.classList.add('chart');
  const fig = document.createElement('figure');
  fig.append(svg, Object.assign(document.createElement('figcaption'), { textContent: caption }));
  $('curves').append(fig);
  responsive(svg, () => draw(svg));
}

/**
 * Loss and accuracy per epoch for every model whose metadata has a training history; models exported from
 * the same run (mlp and mlp-layers) share one set of charts. No history anywhere: no curves card.
 */
function drawCurves() {
  const runs = new Map();
  for (const name of state.names) {
    const history = state.models[name]?.meta.training?.history;
    if (!history?.length) continue;
    const key = JSON.stringify(history);
    runs.set(key, [...(runs.get(key) ?? []), name]);
  }
  $('curves-card').hidden = runs.size === 0;
  for (const [key, names] of runs) {
    const history = JSON.parse(key);
    const epochs = history.map((row, i) => row.epoch ?? i + 1);
    const keys = Object.keys(history[0]).filter((k) => k !== 'epoch' && history.every((row) => Number.isFinite(row[k])));
    const series = (match) => keys.filter((k) => match.test(k)).map((k) => ({ name: k.replace(/_/g, ' '), values: history.map((row) => row[k]) }));
    for (const [what, match] of [['loss', /loss/], ['accuracy', /acc/]]) {
      const lines = series(match);
      if (lines.length) figure(`${names.join(', ')}: ${what} per epoch`, (svg) => lineChart(svg, epochs, lines, { xLabel: 'epoch', yLabel: what }));
    }
  }
}

async function main() {
  $('tfjs-version').textContent = tf.version.tfjs;
  $('parity').querySelector('thead tr').replaceChildren(...HEADER.map((h) => Object.assign(document.createElement('th'), { textContent: h })));
  // Without cross-origin isolation (a static host without the two headers) the wasm backend runs single-threaded.
  tf.wasm.setWasmPaths(new URL('vendor/', document.baseURI).href);
  if (!HAS_API) document.body.classList.add('no-python');
  const [models] = await Promise.all([listModels(), offerWebGpu()]);
  models.filter((m) => m.error).forEach((m) => showError(new Error(m.error)));
  state.names = models.filter((m) => !m.error).map((m) => m.name);
  state.python = new Set(models.filter((m) => m.python).map((m) => m.name));
  state.litert = new Set(models.filter((m) => m.litert).map((m) => m.name));
  offerLiteRt();
  if (!models.length) showError(new Error(`No exported models in ${HAS_API ? 'the models folder' : pagePath('models/')}: export one with \`tfjs-bridge export MODEL --out DIR\` and serve DIR.`));
  await useBackend($('backend').value);
  $('backend').addEventListener('change', (e) => useBackend(e.target.value).catch(showError));
  $('run-parity').addEventListener('click', () => runParity([$('backend').value]).catch(showError));
  $('run-parity-all').addEventListener('click', () => runParity(state.backends).catch(showError));
  $('run-parity-all').textContent = `Run on ${state.backends.join(', ')}`;
  for (const name of ['mlp', 'linear']) if (!state.python.has(name)) $(`${name}-card`).classList.add('no-python');
  await setUpCards();
  drawCurves();
  document.body.dataset.ready = 'true';
  // The parity panel fills itself: one run on the selected backend (the others on request).
  await runParity([$('backend').value]);
}

main().catch(showError);
