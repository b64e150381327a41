// One raw converter folder's rows, in the worker verify/node/isolate.js starts for it (tests/suite/rawconv.js):
// the model is loaded as a user loads it, tf.loadLayersModel / tf.loadGraphModel on model.json's URL (read from
// disk here), and judged by the harness's own rule (verify/js/parity.js) against the bridge's goldens for the
// same saved model. The worker speaks isolate.js's protocol: {ready}, then {row} per backend, then {done}.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

import { checkParity, describeFailure } from '../../verify/js/parity.js';
import { readGoldensDir, readMetadataDir } from '../../verify/node/load.js';

/** fetch for tf.io.http over local files: a URL is a path. */
async function readLocal(url) {
  return new Response(await readFile(url));
}

/** An error tagged with the stage it happened in ('load' or 'run'). */
function atStage(stage, err) {
  return Object.assign(err instanceof Error ? err : new Error(String(err)), { stage });
}

/** The tensor specs in the model's own order where the names match (a layers model is fed by position). */
function inModelOrder(specs, names) {
  const wanted = specs.map((s) => s.name);
  if (!names || names.length !== wanted.length || !names.every((n) => wanted.includes(n))) return specs;
  return names.map((n) => specs.find((s) => s.name === n));
}

/** The raw converter's model in folder dir, loaded by tf.js as a user's page would load its model.json. */
async function loadRaw(tf, dir) {
  const url = path.join(dir, 'model.json');
  const { format } = JSON.parse(await readFile(url, 'utf8'));
  const handler = tf.io.http(url, { fetchFunc: readLocal });
  return format === 'layers-model' ? tf.loadLayersModel(handler) : tf.loadGraphModel(handler);
}

/** One backend's row for a raw folder: loaded, then run on the bridge's goldens and judged (float32 bounds). */
async function rawRow({ tf, useBackend }, dir, backend) {
  await useBackend(backend);
  const meta = await readMetadataDir(dir);
  const goldens = await readGoldensDir(dir, meta);
  const model = await loadRaw(tf, dir).catch((err) => { throw atStage('load', err); });
  try {
    const layers = model instanceof tf.LayersModel;
    const raw = {
      ...meta, format: layers ? 'layers' : 'graph', quantization: null,
      inputs: layers ? inModelOrder(meta.inputs, model.inputNames) : meta.inputs,
      outputs: layers ? inModelOrder(meta.outputs, model.outputNames) : meta.outputs,
    };
    return { ...(await checkParity(tf, model, raw, goldens, path.basename(dir))), stage: 'run' };
  } catch (err) {
    throw atStage('run', err);
  } finally {
    model.dispose();
  }
}

/** Every backend's row for one folder in this worker, each posted as it is made (tf.js is imported once, here). */
async function rawRows(dir, backends) {
  const tfjs = await import('../../verify/node/check.js');
  parentPort.postMessage({ ready: true });
  for (const backend of backends) {
    let row;
    try {
      row = await rawRow(tfjs, dir, backend);
    } catch (err) {
      const folder = path.basename(dir);
      row = { model: folder, folder, backend, pass: false, ...describeFailure(err, backend), stage: err?.stage ?? 'load' };
    }
    parentPort.postMessage({ row });
  }
  parentPort.postMessage({ done: true });
}

const { dir, backends } = workerData.tfjsBridgeVerify;
await rawRows(dir, backends);
