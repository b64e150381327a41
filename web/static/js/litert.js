// LiteRT.js on the page: each model.tflite verified by the shared loader (size and sha256 from metadata.json),
// compiled once per accelerator (wasm or WebGPU), run by the shared parity code (verify/litert.js). The runtime
// (vendor/, single-threaded builds: no cross-origin isolation needed) is fetched on first use only.
import { readTflite } from '../../verify/artifacts.js';
import { LITERT_BACKENDS, checkLiteRtParity, quietModule, runLiteRt } from '../../verify/litert.js';
import { folderIO, loadSchema } from './loader.js';
import { renderOutputs, maxDifference } from './outputs.js';
import { h } from './widgets.js';

export { LITERT_BACKENDS };

let runtime;
/** The @litertjs/core module with its wasm runtime loaded from vendor/. */
export function loadLiteRt() {
  // vendor/ (node_modules' pinned files, not the checkout's), relative to the page like every other URL here.
  runtime ??= import(new URL('vendor/litert-core.js', document.baseURI).href).then(async (litert) => {
    window.Module = quietModule();  // read (and cleared) by LiteRT.js's loader: its routine log stays off the console
    await litert.loadLiteRt(new URL('vendor/', document.baseURI).href);
    return litert;
  });
  return runtime;
}

/** Whether a backend name is one of LiteRT.js's (litert-wasm, litert-webgpu). */
export function isLiteRt(backend) {
  return backend in LITERT_BACKENDS;
}

/** The LiteRT.js backends the selector offers: wasm always, WebGPU where the browser gives an adapter. */
export function litertBackends(webgpu) {
  return webgpu ? ['litert-wasm', 'litert-webgpu'] : ['litert-wasm'];
}

const compiled = new Map();
/** Model `name`'s model.tflite compiled for a LiteRT.js backend, once per backend. */
export function compiledModel(name, meta, backend) {
  const key = `${backend}/${name}`;
  if (!compiled.has(key)) {
    compiled.set(key, (async () => {
      const litert = await loadLiteRt();
      const bytes = await readTflite(folderIO(name), meta, await loadSchema());
      return litert.loadAndCompile(bytes, { accelerator: LITERT_BACKENDS[backend] });
    })());
    compiled.get(key).catch(() => compiled.delete(key));  // a failed compile is retried on next use
  }
  return compiled.get(key);
}

/** A parity row for model `name` on a LiteRT.js backend, as the Node harness makes it. */
export async function litertParity(name, meta, goldens, backend) {
  const litert = await loadLiteRt();
  return checkLiteRtParity(litert, await compiledModel(name, meta, backend), meta, goldens, name, backend);
}

/** LiteRT.js's outputs for one example ({values, shape} per input), as [{name, values}], and the ms the run took. */
export async function predictLiteRt(name, meta, backend, inputs) {
  const litert = await loadLiteRt();
  const model = await compiledModel(name, meta, backend);
  const started = performance.now();
  const ys = await runLiteRt(litert, model, meta, inputs.map(({ values, shape }) => ({ values, shape })));
  const ms = performance.now() - started;
  return { outputs: ys.map((y, i) => ({ name: meta.outputs[i].name, values: Array.from(y.values) })), ms };
}

/**
 * A card's LiteRT.js pane: show(inputs, js) runs the example in LiteRT.js on backend() and shows its outputs
 * and its time beside tf.js's (js: tf.js's outputs and ms), with the largest difference between the two.
 */
export function litertPane(name, meta, backend) {
  const out = h('div', { className: 'litert-out' });
  const note = h('p', { className: 'muted' });
  note.dataset.testid = 'litert-note';
  const element = h('div', {}, h('h3', { textContent: 'LiteRT.js in this browser (model.tflite)' }), out, note);
  async function show(inputs, js) {
    try {
      const lt = await predictLiteRt(name, meta, backend(), inputs);
      renderOutputs(out, meta, lt.outputs);
      note.textContent = `${lt.ms.toFixed(1)} ms on ${backend()} · tf.js ${js.ms.toFixed(1)} ms · `
        + `max |Δ| vs tf.js ${maxDifference(js.outputs, lt.outputs).toExponential(2)}`;
      return lt;
    } catch (err) {
      note.textContent = `LiteRT.js: ${err.message}`;
      return { error: err.message };
    }
  }
  return { element, show };
}
