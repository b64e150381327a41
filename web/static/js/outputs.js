// A model's outputs on the page (class bars, numbers, small tables, summaries), and how tf.js's and Python's compare.
import { barChart } from './charts.js';
import { SMALL, flat, h } from './widgets.js';

/** Render one example's outputs: class bars, a number, a small table, or a summary of a large array. */
export function renderOutputs(container, meta, outputs) {
  container.replaceChildren(...outputs.map(({ name, values }, i) => {
    const block = h('div', { className: 'output' });
    if (outputs.length > 1) block.append(h('h4', { textContent: name }));
    if (meta.kind === 'classification' && i === 0 && values.length >= 2) {
      const bars = h('div', { className: 'bars' });
      barChart(bars, Array.from(values), meta.labels);
      const top = argmax(values);
      const verdict = h('p', { className: 'verdict', textContent: `${meta.labels?.[top] ?? top} (${formatScore(values[top])})` });
      verdict.dataset.testid = 'top';
      block.append(bars, verdict);
    } else if (values.length === 1) {
      block.append(h('p', { className: 'verdict number', textContent: formatNumber(values[0]) }));
    } else if (values.length <= SMALL) {
      block.append(h('div', { className: 'scroll' }, h('table', { className: 'values' },
        h('tr', {}, ...Array.from(values, (_, k) => h('th', { textContent: String(k) }))),
        h('tr', {}, ...Array.from(values, (v) => h('td', { textContent: formatNumber(v) }))))));
    } else {
      const numbers = Array.from(values, Number);
      block.append(h('p', { className: 'muted', textContent: `${values.length} values, min ${formatNumber(Math.min(...numbers))}, max ${formatNumber(Math.max(...numbers))}; first: ${numbers.slice(0, 6).map(formatNumber).join(', ')}…` }));
    }
    return block;
  }));
}

export const argmax = (values) => Array.from(values).reduce((best, v, i, all) => (v > all[best] ? i : best), 0);
const formatScore = (v) => (v >= 0 && v <= 1 ? `${(100 * v).toFixed(1)}%` : v.toPrecision(4));
const formatNumber = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(6)) : String(v));

/** Python's outputs from the API's answer, as [{name, values}] in metadata.outputs order. */
export function pythonOutputs(meta, body) {
  const byName = Array.isArray(body.outputs) ? { [meta.outputs[0].name]: body.outputs } : body.outputs;
  return meta.outputs.filter(({ name }) => name in byName).map(({ name }) => ({ name, values: flat(byName[name]) }));
}

/** max |Δ| between two lists of outputs (Infinity when their sizes differ). */
export function maxDifference(js, py) {
  let worst = 0;
  py.forEach(({ values }, i) => {
    const mine = js[i].values;
    if (mine.length !== values.length) worst = Infinity;
    values.forEach((v, k) => { worst = Math.max(worst, Math.abs(Number(mine[k]) - Number(v)) || 0); });
  });
  return worst;
}
