// Render bench/results.json as a PNG chart (SVG drawn in headless Chromium; no plotting library needed).
// Usage: node bench/chart.js RESULTS.json OUT.png
import { readFile } from 'node:fs/promises';

import { launchChromium } from '../web/browser.js';

const [resultsFile, outFile] = process.argv.slice(2);
const results = JSON.parse(await readFile(resultsFile, 'utf8'));

/** Horizontal bar chart as an SVG string: rows of [label, value, colour]. */
function bars(title, unit, rows, width = 560) {
  const left = 230;
  const rowH = 22;
  const max = Math.max(...rows.map((r) => r[1]));
  const h = 40 + rows.length * rowH;
  const body = rows.map(([label, value, colour], i) => {
    const y = 30 + i * rowH;
    const w = ((width - left - 90) * value) / max;
    return `<text x="${left - 8}" y="${y + 14}" text-anchor="end">${label}</text>`
      + `<rect x="${left}" y="${y + 2}" width="${w}" height="${rowH - 6}" fill="${colour}"/>`
      + `<text x="${left + w + 6}" y="${y + 14}">${value.toLocaleString('en', { maximumSignificantDigits: 3 })} ${unit}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}"><text x="8" y="18" font-weight="bold">${title}</text>${body.join('')}</svg>`;
}

const colours = { 32: '#2f6feb', 100: '#9db7f5' };
const training = results.training.rows.map((r) => [`${r.variant} · batch ${r.batch_size}`, r.examples_per_sec.median, colours[r.batch_size] ?? '#999']);
const runtimes = { python: '#e8590c', node: '#12805c', chromium: '#2f6feb' };
const label = (r) => `${r.runtime} ${r.web_runtime === 'litert' ? '' : r.runtime === 'python' ? '' : 'tf.js '}${r.backend}`;
/** Batch-1 and large-batch latency charts of one model's rows. */
function latencyCharts(model, title) {
  const rows = results.inference.filter((r) => r.model === model);
  if (!rows.length) return '';
  const chart = (key, batch) => bars(`${title} inference latency, batch ${batch} (lower is better)`, 'ms',
    rows.map((r) => [label(r), r[key].median, runtimes[r.runtime]]));
  return `<div>${chart('batch1_ms', 1)}${chart('big_batch_ms', rows[0].big_batch)}</div>`;
}
const html = `<html><body style="margin:0;font:12px sans-serif;background:white">
  <div style="display:flex;flex-wrap:wrap;gap:8px;padding:8px;width:1140px">
  ${bars('MLP training throughput (higher is better)', 'ex/s', training)}
  ${latencyCharts('mlp', 'MLP')}
  ${results.cnn ? latencyCharts(results.cnn.model, `CNN (${results.cnn.model})`) : ''}
  </div><p style="padding:0 12px;color:#666">${results.machine.cpu}, ${results.machine.cores} cores · ${results.created}${results.smoke ? ' · SMOKE RUN' : ''}</p></body></html>`;

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1160, height: 200 } });
  await page.setContent(html);
  await page.screenshot({ path: outFile, fullPage: true });
} finally {
  await browser.close();
}
