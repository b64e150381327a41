// The demo page: load every exported model in tf.js, draw/predict, compare with Flask, run parity.
import { barChart, lineChart, pointsAndLine } from './charts.js';
import { fetchJson, loadGoldens, loadModel } from './loader.js';
import { argmaxRows, checkParity } from './parity.js';
import { canvasToMnist, paintDigit } from './preprocess.js';
import { HEADER, rowCells } from './table.js';

const tf = window.tf;
const $ = (id) => document.getElementById(id);
// goldens: name → promise of its verified goldens.json, fetched the first time something needs it and kept
// across backend switches (the files do not change with the backend).
const state = { names: [], models: {}, goldens: {}, backend: null };

/** Add an error to the list above the footer (and keep the rest of the page working). */
function showError(err) {
  console.error(err);
  const line = document.createElement('p');
  line.textContent = String(err.message ?? err);
  $('error').append(line);
  $('error').hidden = false;
}

/** Switch tf.js to a backend and (re)load every model on it. */
async function useBackend(name) {
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

/** A model's goldens.json, downloaded and verified on first use only: showing a model does not need it. */
function goldensOf(name) {
  state.goldens[name] ??= loadGoldens(name, state.models[name].meta);
  return state.goldens[name];
}

/** POST an input to Flask's Python model; returns the parsed answer and round-trip time. */
async function askPython(name, inputs) {
  const started = performance.now();
  const response = await fetch(`/api/predict/${encodeURIComponent(name)}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ inputs }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`Python ${name}: ${body.error}`);
  return { ...body, roundTripMs: performance.now() - started };
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

// ---- digit classifier -------------------------------------------------------------------------

/** Predict a 28×28 digit in tf.js and in Python, and show both. */
async function predictDigit(values) {
  const meta = state.models.mlp.meta;
  paintDigit($('preview'), values);
  const js = await runJs('mlp', values, [1, 28, 28]);
  const [top] = argmaxRows(js.outputs, 10);
  barChart($('bars'), js.outputs, meta.labels);
  $('js-pred').textContent = `${meta.labels[top]} (${(100 * js.outputs[top]).toFixed(1)}%)`;
  $('js-ms').textContent = `${js.ms.toFixed(1)} ms on ${tf.getBackend()}`;
  $('py-pred').textContent = '…';
  const rows = Array.from({ length: 28 }, (_, r) => Array.from(values.slice(28 * r, 28 * r + 28)));
  const py = await askPython('mlp', rows);
  const pyProbs = py.outputs[0];
  $('py-pred').textContent = `${py.labels[0]} (${(100 * pyProbs[py.argmax[0]]).toFixed(1)}%)`;
  $('py-ms').textContent = `${py.ms.toFixed(1)} ms in TensorFlow, ${py.roundTripMs.toFixed(0)} ms round trip`;
  const maxDiff = Math.max(...pyProbs.map((p, i) => Math.abs(p - js.outputs[i])));
  $('agreement').textContent = `${py.argmax[0] === top ? 'Same answer' : 'Different answers'}; max |Δ| between the two probability vectors: ${maxDiff.toExponential(2)}`;
}

/** Let the pad be drawn on with mouse, pen or touch; predict when a stroke ends. */
function setUpPad() {
  const pad = $('pad');
  const ctx = pad.getContext('2d', { willReadFrequently: true });
  const clear = () => {
    ctx.fillStyle = 'black';
    ctx.fillRect(0, 0, pad.width, pad.height);
    $('digit-note').textContent = '';
  };
  clear();
  let last = null;
  const point = (e) => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
  };
  pad.addEventListener('pointerdown', (e) => {
    pad.setPointerCapture(e.pointerId);
    last = point(e);
    $('digit-note').textContent = '';
  });
  pad.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = point(e);
    Object.assign(ctx, { strokeStyle: 'white', lineWidth: 20, lineCap: 'round', lineJoin: 'round' });
    ctx.beginPath();
    ctx.moveTo(...last);
    ctx.lineTo(...p);
    ctx.stroke();
    last = p;
  });
  const end = () => {
    if (!last) return;
    last = null;
    const values = canvasToMnist(pad);
    if (values) predictDigit(values).catch(showError);
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  $('clear').addEventListener('click', clear);
  $('random-digit').addEventListener('click', async () => {
    try {
      const { meta } = state.models.mlp;
      const goldens = await goldensOf('mlp');
      const i = Math.floor(Math.random() * goldens.count);
      const values = goldens.inputs[meta.inputs[0].name].values.slice(784 * i, 784 * (i + 1));
      paintDigit(pad, values);
      $('digit-note').textContent = `test digit #${i}${goldens.labels ? `, labelled ${goldens.labels[i]}` : ''}`;
      await predictDigit(values);
    } catch (err) {
      showError(err);
    }
  });
}

// ---- linear model -----------------------------------------------------------------------------

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
  pointsAndLine($('linear-plot'), points, line, { xLabel: n === 1 ? 'x' : 't along x₀ → x₁', yLabel: 'y' });
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
      const py = await askPython('linear', x);
      $('linear-py').textContent = `${py.outputs[0][0].toFixed(4)} (${py.ms.toFixed(1)} ms)`;
    } catch (err) {
      showError(err);
    }
  });
}

// ---- parity and training curves ---------------------------------------------------------------

/** Run every model's goldens on each backend in turn and fill the parity table with the Node harness's cells. */
async function runParity(backends) {
  const table = $('parity');
  const body = table.querySelector('tbody');
  const selected = $('backend').value;
  table.dataset.state = 'running';
  body.replaceChildren();
  const results = [];
  try {
    for (const backend of backends) {
      await useBackend(backend);
      for (const name of state.names) {
        let r;
        try {
          if (!state.models[name]) throw new Error('model failed to load');
          const { model, meta } = state.models[name];
          r = await checkParity(tf, model, meta, await goldensOf(name), name);
        } catch (err) {
          r = { model: name, folder: name, backend, pass: false, error: err.message };
        }
        results.push(r);
        const cells = rowCells(r);
        const row = document.createElement('tr');
        row.dataset.model = r.model;
        row.dataset.backend = r.backend;
        row.dataset.pass = String(r.pass);
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

/** Loss and accuracy per epoch from the MLP's training log. */
function drawCurves() {
  const history = state.models.mlp?.meta.training?.history;
  if (!history) return;
  const epochs = history.map((h) => h.epoch);
  lineChart($('curve-loss'), epochs, [
    { name: 'train', values: history.map((h) => h.loss) },
    { name: 'test', values: history.map((h) => h.test_loss) },
  ], { xLabel: 'epoch', yLabel: 'loss' });
  lineChart($('curve-acc'), epochs, [{ name: 'test accuracy', values: history.map((h) => h.test_accuracy) }], { xLabel: 'epoch', yLabel: 'accuracy' });
}

async function main() {
  $('tfjs-version').textContent = tf.version.tfjs;
  $('parity').querySelector('thead tr').replaceChildren(...HEADER.map((h) => Object.assign(document.createElement('th'), { textContent: h })));
  tf.wasm.setWasmPaths('/vendor/');
  const { models } = await fetchJson('/api/models');
  models.filter((m) => m.error).forEach((m) => showError(new Error(m.error)));
  state.names = models.filter((m) => !m.error).map((m) => m.name);
  if (!models.length) showError(new Error('No exported models in web/models/: run `make demo SERVE=0` (or `python -m export`) first.'));
  await useBackend($('backend').value);
  $('backend').addEventListener('change', (e) => useBackend(e.target.value).catch(showError));
  $('run-parity').addEventListener('click', () => runParity([$('backend').value]).catch(showError));
  $('run-parity-all').addEventListener('click', () => runParity(['cpu', 'wasm', 'webgl']).catch(showError));
  if (state.models.mlp) setUpPad();
  else $('mlp-card').hidden = true;
  if (state.models.linear) await setUpLinear();
  else $('linear-card').hidden = true;
  drawCurves();
  document.body.dataset.ready = 'true';
}

main().catch(showError);
