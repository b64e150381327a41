// Inference timing of exported models in tf.js on Node: load time, latency at batch 1, throughput at a
// large batch, per backend. Prints one JSON object. Usage: node bench/infer.js --models DIR [--smoke]
import { parseArgs } from 'node:util';
import path from 'node:path';

import { discoverModels, loadModelDir } from '../web/node/load.js';
import { BACKENDS, tf, useBackend } from '../web/node/harness.js';
import { runModel } from '../web/static/js/parity.js';
import { timeModel } from './timing.js';

const { values: opts } = parseArgs({ options: { models: { type: 'string' }, smoke: { type: 'boolean', default: false } } });
const results = [];
for (const dir of await discoverModels(path.resolve(opts.models))) {
  for (const backend of BACKENDS) {
    await useBackend(backend);
    const started = performance.now();
    const { model, meta } = await loadModelDir(tf, dir);
    const loadMs = performance.now() - started;
    const timing = await timeModel(tf, (xs) => runModel(tf, model, meta, xs), meta, opts.smoke);
    model.dispose();
    results.push({ runtime: 'node', model: path.basename(dir), backend, load_ms: loadMs, ...timing });
  }
}
console.log(JSON.stringify(results));
