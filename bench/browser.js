// Inference timing of every exported model in headless Chromium on cpu, wasm and webgl, through the
// production server. Prints one JSON array. Usage: node bench/browser.js [--smoke]
import { parseArgs } from 'node:util';

import { launchChromium, startServer } from '../web/node/server.js';

const { values: opts } = parseArgs({ options: { smoke: { type: 'boolean', default: false } } });
const { proc, base } = await startServer();
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(base);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  const results = await page.evaluate(async (smoke) => {
    const { loadModel } = await import('/static/js/loader.js');
    const { timeModel } = await import('/static/js/timing.js');
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
        rows.push({ runtime: 'chromium', model: name, backend, load_ms: loadMs, ...(await timeModel(tf, model, meta, smoke)) });
        model.dispose();
      }
    }
    return rows;
  }, opts.smoke);
  console.log(JSON.stringify(results));
} finally {
  await browser.close();
  proc.kill('SIGTERM');
}
