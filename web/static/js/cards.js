// A card for any exported model, built from its metadata.json: one input widget per input (chosen by its
// shape and dtype; a text encoder's ids, mask and segments share one field), tf.js's outputs and, where the server
// has the Python counterpart, Python's beside them.
import { encoderRoles, encoderWidgets, renderVectors } from './encoder.js';
import { askPython } from './loader.js';
import { argmax, maxDifference, pythonOutputs, renderOutputs } from './outputs.js';
import { WIDGETS, goldenRow, h, inputKind, nest } from './widgets.js';
import { predictTfjs } from './worker.js';

const dimsText = (shape) => shape.map((d) => d ?? 'N').join('×');

/** The card's elements: title, one fieldset per input widget, buttons, tf.js's and (with a server) Python's panes. */
function cardLayout(name, meta, env, widgets, encoder) {
  const summary = `${meta.format} · ${encoder ? 'text encoder' : meta.kind} · ${meta.inputs.map((s) => `${s.name} [${dimsText(s.shape)}] ${s.dtype}`).join(', ')} → ${meta.outputs.map((s) => `[${dimsText(s.shape)}]`).join(', ')}`;
  const els = {
    card: h('section', { className: 'card model-card' }),
    jsOut: h('div', { className: 'js-out' }),
    jsNote: h('p', { className: 'muted' }),
    pyOut: h('div', { className: 'py-out' }),
    pyNote: h('p', { className: 'muted' }),
    goldenButton: h('button', { type: 'button', textContent: 'Next golden example' }),
    goldenNote: h('span', { className: 'muted' }),
  };
  Object.assign(els.card.dataset, { testid: `card-${name}`, model: name, state: 'idle' });
  els.pyNote.dataset.testid = 'agreement';
  // Widgets without an element (an encoder's mask and segments) are filled from another one.
  els.form = h('form', { className: 'inputs' }, ...widgets.filter((w) => w.element).map((w) => h('fieldset', {},
    h('legend', { textContent: w.legend ?? `${w.spec.name} · [${dimsText(w.spec.shape)}] ${w.spec.dtype}` }), w.element)),
  h('div', { className: 'buttons' }, h('button', { type: 'submit', textContent: 'Predict' }), els.goldenButton, els.goldenNote));
  els.card.append(
    h('h2', { textContent: name }, h('small', { textContent: summary })),
    h('div', { className: 'split' }, els.form, h('div', {},
      h('h3', { textContent: 'tf.js in this browser' }), els.jsOut, els.jsNote, env.litert?.element ?? null,
      env.python ? h('div', {}, h('h3', { textContent: 'Python (Flask, SavedModel)' }), els.pyOut, els.pyNote) : null)),
  );
  return els;
}

/** The tensors of one example from every widget, in metadata.inputs order. */
function readInputs(widgets) {
  return widgets.map(({ spec, read, dims }) => {
    const values = read();
    const shape = [1, ...(dims ? dims() : spec.shape.slice(1).map((d) => d ?? values.length))];
    return { spec, values, shape };
  });
}

/** Ask the server's Python counterpart for the same example and show its answer beside tf.js's; fills result. */
async function comparePython(name, meta, inputs, els, result, render) {
  els.pyOut.replaceChildren(h('p', { className: 'muted', textContent: '…' }));
  els.pyNote.textContent = '';
  const example = inputs.map(({ values, shape }) => nest(Array.from(values), shape.slice(1)));
  try {
    const body = await askPython(name, example.length === 1 ? example[0] : Object.fromEntries(inputs.map(({ spec }, i) => [spec.name, example[i]])));
    result.py = pythonOutputs(meta, body);
    result.maxAbsDiff = maxDifference(result.js, result.py);
    render(els.pyOut, meta, result.py);
    const each = result.py.length > 1 ? ` (${result.py.map((o, i) => `${o.name} ${maxDifference([result.js[i]], [o]).toExponential(2)}`).join(', ')})` : '';
    const same = meta.kind === 'classification' && render === renderOutputs ? (argmax(result.js[0].values) === argmax(result.py[0].values) ? 'same class; ' : 'different classes; ') : '';
    els.pyNote.textContent = `${same}max |Δ| ${result.maxAbsDiff.toExponential(2)}${each} · ${body.ms.toFixed(1)} ms in TensorFlow, ${body.roundTripMs.toFixed(0)} ms round trip`;
  } catch (err) {
    // The server cannot answer for this model (e.g. a model kind its API does not take yet): say so here.
    result.pyError = err.message;
    els.pyOut.replaceChildren(h('p', { className: 'muted', textContent: err.message }));
  }
}

/** Fill every widget with golden example `next` (wrapping around) and say which it is; returns its row. */
function fillGolden(widgets, goldens, next, note, meta) {
  const row = next % goldens.count;
  widgets.forEach(({ spec, fill }) => {
    const { values, dims } = goldenRow(goldens.inputs[spec.name], row);
    fill(values, dims);
  });
  note.textContent = `golden example ${row + 1} of ${goldens.count}${goldens.labels ? `, labelled ${meta.labels?.[goldens.labels[row]] ?? goldens.labels[row]}` : ''}`;
  return row;
}

/**
 * A card for model `name`; env gives { tf, model() (its current tf.js model), goldens() (a promise), python (bool),
 * onError }, litert (litert.js's litertPane) where the model has a model.tflite, and worker (a ModelWorker, optional).
 */
export function modelCard(name, meta, env) {
  let predicting = Promise.resolve();
  const queue = (step) => { predicting = predicting.then(step).catch(env.onError); return predicting; };
  const predictSoon = (opts) => queue(() => predict(opts));
  const encoder = encoderRoles(meta);
  const widgets = encoder ? encoderWidgets(meta, encoder)
    : meta.inputs.map((spec) => ({ spec, kind: inputKind(spec), ...WIDGETS[inputKind(spec)](spec, meta, predictSoon) }));
  const render = encoder ? renderVectors : renderOutputs;
  const els = cardLayout(name, meta, env, widgets, encoder);
  const { card } = els;

  async function predict({ cleared = false } = {}) {
    if (cleared) {
      [els.jsOut, els.jsNote, els.pyOut, els.pyNote].forEach((n) => n.replaceChildren());
      card.dataset.state = 'idle';
      return;
    }
    card.dataset.state = 'running';
    const inputs = readInputs(widgets);
    const started = performance.now();
    // In the model's worker where there is one (a runaway graph cannot freeze the tab), else on the main thread.
    const js = env.worker ? await env.worker.predict(inputs, env.tf.getBackend()) : await predictTfjs(env.tf, env.model(), meta, inputs);
    const result = { js, py: null, maxAbsDiff: null, pyError: null };
    const jsMs = performance.now() - started;
    render(els.jsOut, meta, result.js);
    els.jsNote.textContent = `${jsMs.toFixed(1)} ms on ${env.tf.getBackend()}`;
    if (env.litert) result.litert = await env.litert.show(inputs, { outputs: result.js, ms: jsMs });
    if (env.python) await comparePython(name, meta, inputs, els, result, render);
    card.result = result;
    card.dataset.runs = String(Number(card.dataset.runs ?? 0) + 1);
    card.dataset.state = 'done';
  }

  let row = -1;
  /** Fill every widget with the next golden example and predict it. */
  async function nextGolden() {
    row = await fillGolden(widgets, await env.goldens(), row + 1, els.goldenNote, meta);
    await predict();
  }
  els.form.addEventListener('submit', (e) => {
    e.preventDefault();
    predictSoon();
  });
  els.goldenButton.addEventListener('click', () => queue(nextGolden));
  /** Start with the first golden example, so the card shows answers right away. */
  card.start = () => queue(nextGolden);
  return card;
}
