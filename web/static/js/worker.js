// tf.js inference off the page's main thread, with a deadline: a model's card predictions and its parity run go
// to a module worker of its own (this file, started with new Worker(import.meta.url)), handed the model's verified
// artifacts (nothing is fetched or checked twice) and answering messages. A run over its budget terminates the worker, so a graph
// that would spin for ever (a While loop asked for 10^12 turns) costs the tab nothing: the card says so, the
// next request starts a fresh worker.
import { modelFromArtifacts } from '../../verify/model.js';
import { TFJS_DTYPE, checkParity, runModel } from '../../verify/parity.js';

// Seconds a card's prediction (including the worker's first start and model load) and a parity run may take;
// ?budget=S on the page's URL sets both (the browser tests use it).
const PAGE_BUDGET = typeof location !== 'undefined' ? Number(new URLSearchParams(location.search).get('budget')) : 0;
export const BUDGET_S = Object.freeze({ predict: PAGE_BUDGET || 20, parity: PAGE_BUDGET || 60 });

/** tf.js's outputs for one example, as [{name, values}] in metadata.outputs order; every tensor freed. */
export async function predictTfjs(tf, model, meta, inputs) {
  const xs = inputs.map(({ spec, values, shape }) => tf.tensor(values, shape, TFJS_DTYPE[spec.dtype]));
  try {
    const ys = await runModel(tf, model, meta, xs);
    const js = [];
    for (const [i, y] of ys.entries()) js.push({ name: meta.outputs[i].name, values: Array.from(await y.data()) });
    tf.dispose(ys);
    return js;
  } finally {
    tf.dispose(xs);
  }
}

/** The page's side: one worker per model, started on first use and after a run over budget. */
export class ModelWorker {
  /** source() gives the model's current { meta, artifacts } (loadModel's verified ones). */
  constructor(name, source) {
    this.name = name;
    this.source = source;
    this.worker = null;
    this.backend = null;
    this.pending = new Map();
    this.nextId = 0;
  }

  /** A worker running on backend (a fresh one when there is none, or it runs another backend). */
  start(backend) {
    if (this.worker && this.backend === backend) return this.worker;
    this.stop(new Error(`tf.js worker for ${this.name} restarted on ${backend}`));
    this.worker = new Worker(import.meta.url, { type: 'module' });
    this.backend = backend;
    this.worker.onmessage = ({ data }) => {
      const waiting = this.pending.get(data.id);
      this.pending.delete(data.id);
      if (data.error) waiting?.reject(new Error(data.error));
      else waiting?.resolve(data);
    };
    this.worker.onerror = (event) => this.stop(new Error(`tf.js worker for ${this.name} failed: ${event.message}`));
    const { meta, artifacts } = this.source();
    this.worker.postMessage({ type: 'load', name: this.name, backend, meta, artifacts });
    return this.worker;
  }

  /** Terminate the worker (if any), rejecting what waits on it with err. */
  stop(err) {
    this.worker?.terminate();
    this.worker = null;
    for (const { reject } of this.pending.values()) reject(err);
    this.pending.clear();
  }

  /** Send one message to the worker on backend; its answer ({result, backend}), or an error at the deadline. */
  call(message, backend, seconds) {
    const worker = this.start(backend);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.stop(new Error(`tf.js ran over the page's budget of ${seconds} s for ${this.name}: `
        + 'its worker was stopped (the page stays responsive)')), seconds * 1000);
      const done = (fn) => (value) => { clearTimeout(timer); fn(value); };
      this.pending.set(id, { resolve: done(resolve), reject: done(reject) });
      worker.postMessage({ ...message, id, name: this.name, backend });
    });
  }

  /** tf.js's outputs for one example ([{spec, values, shape}] per input), computed in the worker. */
  async predict(inputs, backend) {
    return (await this.call({ type: 'predict', inputs }, backend, BUDGET_S.predict)).result;
  }

  /** The parity row for the model's goldens on backend, computed in the worker. */
  async parity(goldens, backend) {
    return (await this.call({ type: 'parity', goldens }, backend, BUDGET_S.parity)).result;
  }
}

/** The worker's side: load tf.js, the backend and the model once (the first message), then answer each message. */
function serveInWorker() {
  const root = new URL('../../', import.meta.url);
  let ready;
  async function setUp({ name, backend, meta, artifacts }) {
    await import(new URL('vendor/tf.min.js', root).href); // a UMD bundle: it sets globalThis.tf
    const { tf } = globalThis;
    if (backend === 'wasm') {
      await import(new URL('vendor/tf-backend-wasm.min.js', root).href);
      tf.wasm.setWasmPaths(new URL('vendor/', root).href);
    }
    if (backend === 'webgpu') await import(new URL('vendor/tf-backend-webgpu.min.js', root).href);
    if (!(await tf.setBackend(backend))) throw new Error(`tf.js backend '${backend}' is not available in a worker here`);
    await tf.ready();
    return { tf, meta, model: await modelFromArtifacts(tf, artifacts, meta, `/models/${name}/model.json`) };
  }
  self.onmessage = async ({ data }) => {
    if (data.type === 'load') {
      ready = setUp(data);
      ready.catch(() => {}); // reported to each request below
      return;
    }
    try {
      const { tf, model, meta } = await ready;
      const result = data.type === 'parity'
        ? await checkParity(tf, model, meta, data.goldens, data.name)
        : await predictTfjs(tf, model, meta, data.inputs);
      self.postMessage({ id: data.id, result, backend: tf.getBackend() });
    } catch (err) {
      self.postMessage({ id: data.id, error: String(err?.message ?? err) });
    }
  };
}

if (typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope) serveInWorker();
