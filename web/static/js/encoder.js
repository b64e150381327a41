// The card of a text encoder (token ids and a padding mask in, maybe segment ids; vectors out, not class scores, as
// keras-hub's BERT and GPT-2 backbones): one field for words or ids, the mask and segments filled from it, and
// the outputs drawn as vectors (a pooled [D] vector as bars, a sequence [L, D] as a heat map).
import { heatMap, vectorBars } from './charts.js';
import { INT_DTYPES, h, tokenizer } from './widgets.js';

// The input names export/goldens.py reads as masks and segment ids (keras-hub's and Hugging Face's).
const MASK_NAMES = ['padding_mask', 'attention_mask', 'input_mask'];
const SEGMENT_NAMES = ['segment_ids', 'token_type_ids'];

/** Which input is which for a text encoder ({ ids, mask, segments? } specs), or null when meta is not one. */
export function encoderRoles(meta) {
  const perToken = (s) => s.shape.length === 2 && [...INT_DTYPES, 'bool'].includes(s.dtype) && s.dtype !== 'uint8';
  if (!meta.inputs.every(perToken)) return null;
  const role = (s) => (MASK_NAMES.some((m) => s.name.endsWith(m)) ? 'mask' : SEGMENT_NAMES.some((m) => s.name.endsWith(m)) ? 'segments' : 'ids');
  const by = { ids: [], mask: [], segments: [] };
  meta.inputs.forEach((s) => by[role(s)].push(s));
  if (by.ids.length !== 1 || by.mask.length !== 1 || by.segments.length > 1) return null;
  return { ids: by.ids[0], mask: by.mask[0], segments: by.segments[0] ?? null };
}

/**
 * Ids of typed text (words: widgets.js's tokenizer) and how many are real: BERT's [CLS] … [SEP] around it where
 * the vocabulary has both; at a fixed length the words are cut (the framing kept) or padded with [PAD], else 0.
 */
export function encode(words, text, length) {
  const { ids } = words;
  const framed = ids.has('[CLS]') && ids.has('[SEP]');
  let out = words.toIds(text);
  if (length !== null) out = out.slice(0, Math.max(0, length - (framed ? 2 : 0)));
  if (framed) out = [ids.get('[CLS]'), ...out, ids.get('[SEP]')];
  if (!out.length) throw new Error('type at least one token');
  const pad = ids.get('[PAD]') ?? 0;
  return { ids: [...out, ...Array(Math.max(0, (length ?? 0) - out.length)).fill(pad)], real: out.length };
}

/**
 * The encoder's input widgets, one per input in meta.inputs order (cards.js reads and fills each): the ids one
 * shows a text field; the mask (1 for each real token, 0 for padding) and segment ids (0: one sentence) follow it.
 * A golden example is used exactly (its own mask and segments) until the text is edited.
 */
export function encoderWidgets(meta, roles) {
  const length = roles.ids.shape[1];
  const words = tokenizer(roles.ids, meta);
  const field = h('input', { type: 'text', className: 'wide', placeholder: words.vocab ? 'words' : 'token ids, e.g. 2 15 7', ariaLabel: roles.ids.name });
  const shown = h('p', { className: 'muted' });
  shown.dataset.testid = 'encoded';
  let golden = null; // { ids, mask, segments } of a golden example, shown until the text is edited
  const current = () => {
    if (golden) return golden;
    const { ids, real } = encode(words, field.value, length);
    return { ids, mask: ids.map((_, i) => Number(i < real)), segments: ids.map(() => 0) };
  };
  const show = () => {
    const { ids, mask, segments } = current();
    shown.textContent = `ids: ${ids.join(' ')} · ${roles.mask.name}: ${mask.join(' ')}${roles.segments ? ` · ${roles.segments.name}: ${segments.join(' ')}` : ''}`;
  };
  field.addEventListener('input', () => {
    golden = null;
    try { show(); } catch { shown.textContent = ''; }
  });
  const fillPart = (part) => (values) => {
    golden ??= { ids: [], mask: [], segments: [] };
    golden[part] = Array.from(values, Number);
    if (part === 'ids' || golden.ids.length) {
      field.value = words.toText(golden.ids.filter((_, i) => golden.mask[i] ?? 1));
      show();
    }
  };
  const dims = () => [current().ids.length];
  // A bool mask (Hugging Face's attention_mask may be one) is read as true/false: the API takes no 0/1 for bool.
  const asDtype = (spec, values) => (spec.dtype === 'bool' ? values.map(Boolean) : values);
  const part = (spec, name) => ({ spec, read: () => asDtype(spec, current()[name]), fill: fillPart(name), dims });
  const framing = words.ids.has('[CLS]') && words.ids.has('[SEP]') ? ' [CLS] and [SEP] are added as BERT\'s tokenizer does.' : '';
  const ids = {
    ...part(roles.ids, 'ids'),
    legend: `${roles.ids.name} · ${[roles.mask, roles.segments].filter(Boolean).map((s) => s.name).join(' and ')} follow it`,
    element: h('div', {}, field, shown, h('p', { className: 'hint', textContent: `${words.hint}${framing} The mask is 1 for each token (0 for padding)${roles.segments ? '; every token is in segment 0' : ''}.` })),
  };
  const byName = { [roles.ids.name]: ids, [roles.mask.name]: part(roles.mask, 'mask') };
  if (roles.segments) byName[roles.segments.name] = part(roles.segments, 'segments');
  return meta.inputs.map((s) => byName[s.name]);
}

const norm = (values) => Math.sqrt(values.reduce((s, v) => s + v * v, 0));
const fmt = (v) => (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(3) : v.toExponential(2));

/** The encoder's outputs as vectors: each with its size, norm and range, as bars ([D]) or a heat map ([L, D]). */
export function renderVectors(container, meta, outputs) {
  container.replaceChildren(...outputs.map(({ name, values }, i) => {
    const numbers = Array.from(values, Number);
    const width = meta.outputs[i].shape.at(-1) ?? numbers.length;
    const rows = meta.outputs[i].shape.length > 2 ? numbers.length / width : 1;
    const size = rows > 1 ? `${rows} tokens × ${width}` : `${width} values`;
    const stats = `${size} · ‖v‖ ${fmt(norm(numbers))} · min ${fmt(Math.min(...numbers))}, max ${fmt(Math.max(...numbers))}`;
    const block = h('div', { className: 'output vector' }, h('h4', { textContent: name }), h('p', { className: 'muted', textContent: stats }));
    block.dataset.testid = `vector-${name}`;
    Object.assign(block.dataset, { size: String(numbers.length), width: String(width) });
    if (rows > 1) {
      const canvas = h('canvas', { className: 'heat' });
      heatMap(canvas, numbers, rows, width);
      block.append(canvas);
    } else {
      const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
      svg.classList.add('spark');
      vectorBars(svg, numbers);
      block.append(svg);
    }
    return block;
  }));
}
