// Inference timing of every exported model in headless Chromium on cpu, wasm and webgl, through the
// production server. Prints one JSON array. Usage: node bench/browser.js [--smoke]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { launchChromium, startServer } from '../tests/support/server.js';

// The timing code is not part of the served app: it goes into the page as a module of its own.
const timingSource = await readFile(new URL('./timing.js', import.meta.url), 'utf8');

const { values: opts } = parseArgs({ options: { smoke: { type: 'boolean', default: false } } });
// The demo's models (make models): serve's default folder is ./web_models, which a checkout does not have.
const { proc, base } = await startServer({ args: ['--models', 'web/models'] });
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(base);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  // The page runs parity once on load, switching backends: timing starts after it.
  await page.waitForSelector('[data-testid=parity][data-state="done"]', { timeout: 120_000 });
  const results = await page.evaluate(async ({ smoke, timingSource }) => {
    const { loadModel } = await import('/static/js/loader.js');
    const { runModel } = await import('/static/js/parity.js');
    const { timeModel } = await import(URL.createObjectURL(new Blob([timingSource], { type: 'text/javascript' })));
    const { models } = await (await fetch('/api/models')).json();
    const tf = window.tf;
    const rows = [];
    for (const backend of ['cpu', 'wasm', 'webgl']) {
      await tf.setBackend(backend);
      await tf.ready();
      for (const { name } of models) {
        const started = performance.now();
        const { model, meta } = await loadModel(tf, name);
        const loadMs = performance.now() - started;
        const timing = await timeModel(tf, (xs) => runModel(tf, model, meta, xs), meta, smoke);
        rows.push({ runtime: 'chromium', model: name, backend, load_ms: loadMs, ...timing });
        model.dispose();
      }
    }
    return rows;
  }, { smoke: opts.smoke, timingSource });
  console.log(JSON.stringify(results));
} finally {
  await browser.close();
  proc.kill('SIGTERM');
}
