// Input widgets for any model input, chosen by its shape and dtype (an image pad, fields, token ids, text, an array),
// and the small DOM helper the page's cards share.
import { drawingPad } from './pad.js';
import { canvasToMnist, paintDigit } from './preprocess.js';

export const INT_DTYPES = ['int32', 'int64', 'uint8'];
// Arrays up to this many values per example are shown whole (a table, or one field each); larger ones summarised.
export const SMALL = 64;

const product = (dims) => dims.reduce((a, b) => a * b, 1);

/** Create an element with properties and children. */
export function h(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/** How an input is shown: image, fields (tabular), tokens, text, or array (JSON) for anything else. */
export function inputKind(spec) {
  const dims = spec.shape.slice(1);
  if (spec.dtype === 'string') return 'text';
  if (INT_DTYPES.includes(spec.dtype) && dims.length === 1 && spec.dtype !== 'uint8') return 'tokens';
  const [height, width, channels] = dims;
  const imageLike = dims.length === 2 || (dims.length === 3 && [1, 3, 4].includes(channels));
  if (imageLike && height >= 8 && width >= 8) return 'image';
  if (dims.length === 1 && dims[0] !== null && dims[0] <= SMALL) return 'fields';
  return 'array';
}

/**
 * Pixel scaling read from the recorded preprocessing text: 0..1 (pixel/255), -1..1, or raw 0..255.
 * Integer image inputs take raw pixels. Unrecorded float preprocessing is assumed to be pixel/255 and says so.
 */
export function pixelScaling(preprocessing, dtype) {
  const text = preprocessing ?? '';
  if (INT_DTYPES.includes(dtype)) return { scale: 1, offset: 0, note: 'raw pixels 0..255' };
  if (/-1\s*(\.\.|to|,)\s*1\b|127\.5/.test(text)) return { scale: 1 / 127.5, offset: -1, note: 'pixels scaled to -1..1' };
  if (/\/\s*255|0\s*(\.\.|to|,)\s*1\b/.test(text)) return { scale: 1 / 255, offset: 0, note: 'pixels scaled to 0..1' };
  if (/0\s*(\.\.|to|,)\s*255|raw pixel/.test(text)) return { scale: 1, offset: 0, note: 'raw pixels 0..255' };
  return { scale: 1 / 255, offset: 0, note: 'preprocessing not recorded: pixels scaled to 0..1' };
}

/** The vocabulary (index = id) metadata records for an input: meta.vocabulary as a list, or by input name. */
function vocabularyOf(meta, spec) {
  const v = meta.vocabulary;
  if (Array.isArray(v)) return v;
  return Array.isArray(v?.[spec.name]) ? v[spec.name] : null;
}

/** One example's values of an input or output from goldens.json. */
export function goldenRow(tensor, row) {
  const size = product(tensor.shape.slice(1));
  return { values: tensor.values.slice(size * row, size * (row + 1)), dims: tensor.shape.slice(1) };
}

/** Flat values of a nested list. */
export const flat = (x) => (Array.isArray(x) ? x.flat(Infinity) : [x]);

/** Flat values as nested lists of the given dims (one example, as the API takes it). */
export function nest(values, dims) {
  if (dims.length === 0) return values[0];
  if (dims.length === 1) return Array.from(values);
  const step = product(dims.slice(1));
  return Array.from({ length: dims[0] }, (_, i) => nest(values.slice(i * step, (i + 1) * step), dims.slice(1)));
}

/** A hidden file input and the button that opens it; onPick(bitmap) gets each image chosen. */
function uploadControls(onPick) {
  const upload = h('input', { type: 'file', accept: 'image/*', className: 'visually-hidden' });
  upload.addEventListener('change', async () => {
    const [file] = upload.files;
    if (file) onPick(await createImageBitmap(file));
  });
  const button = h('button', { type: 'button', textContent: 'Upload image' });
  button.addEventListener('click', () => upload.click());
  return [upload, button];
}

/** The pad drawn into the preview at the input's size, its pixels written into values as model values. */
function resample(pad, preview, values, channels, scaling) {
  const { width, height } = preview;
  const ctx = preview.getContext('2d', { willReadFrequently: true });
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(pad, 0, 0, width, height);
  const { data } = ctx.getImageData(0, 0, width, height);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < channels; c++) {
      // One channel: the grey level (mean of R, G, B); otherwise R, G, B (and alpha) in order.
      const v = channels === 1 ? (data[4 * p] + data[4 * p + 1] + data[4 * p + 2]) / 3 : data[4 * p + c];
      values[p * channels + c] = v * scaling.scale + scaling.offset;
    }
  }
}

/** Model values as an image: pixels un-scaled back to 0..255 (one channel shown as grey). */
function pixels(values, width, height, channels, scaling) {
  const image = new ImageData(width, height);
  for (let p = 0; p < width * height; p++) {
    const at = (c) => Math.round(Math.min(255, Math.max(0, (values[p * channels + Math.min(c, channels - 1)] - scaling.offset) / scaling.scale)));
    image.data.set([at(0), at(1), at(2), 255], 4 * p);
  }
  return image;
}

/** A drawing pad plus upload for image inputs [H, W] or [H, W, C], resized and scaled as the model was fed. */
function imageWidget(spec, meta, onChange) {
  const [height, width, channels = 1] = spec.shape.slice(1);
  const scaling = pixelScaling(meta.preprocessing, spec.dtype);
  // MNIST-style models (the demo's preprocessing) get the crop / 20×20 / centre-of-mass treatment.
  const mnist = height === 28 && width === 28 && channels === 1 && /centre of mass|center of mass/.test(meta.preprocessing ?? '');
  const pad = h('canvas', { width: 224, height: 224, className: 'pad' });
  pad.dataset.testid = 'image-pad';
  const preview = h('canvas', { width, height, className: 'preview' });
  let fixed = null; // golden values shown on the pad: used exactly, until the user draws or uploads
  const drawn = drawingPad(pad, { onStart: () => { fixed = null; }, onStroke: onChange });
  const [upload, uploadButton] = uploadControls((bitmap) => {
    drawn.paintImage(bitmap);
    fixed = null;
    onChange();
  });
  const clear = h('button', { type: 'button', textContent: 'Clear' });
  clear.dataset.testid = 'clear';
  const element = h('div', { className: 'image-input' }, pad,
    h('div', { className: 'buttons' }, clear, uploadButton, upload),
    h('p', { className: 'hint', textContent: `Draw or upload; resized to ${width}×${height}${channels === 3 ? ' RGB' : channels === 1 ? ' grey' : ''}, ${mnist ? 'cropped and centred as MNIST digits are, ' : ''}${scaling.note}.` }),
    h('div', { className: 'preview-row' }, preview, h('span', { className: 'muted', textContent: 'what the model sees' })));

  /** The pad resampled to the input's size, as model values (and shown in the preview). */
  function read() {
    if (fixed) return fixed;
    const values = new Float32Array(height * width * channels);
    if (mnist) {
      values.set(canvasToMnist(pad) ?? values);
      paintDigit(preview, values);
      return values;
    }
    resample(pad, preview, values, channels, scaling);
    return values;
  }

  /** Show golden values on the pad and the preview (pixels un-scaled back to 0..255) and use them exactly. */
  function fill(values) {
    fixed = Float32Array.from(values);
    preview.getContext('2d').putImageData(pixels(values, width, height, channels, scaling), 0, 0);
    drawn.ctx.imageSmoothingEnabled = false;
    drawn.ctx.drawImage(preview, 0, 0, pad.width, pad.height);
  }
  clear.addEventListener('click', () => {
    drawn.clear();
    fixed = null;
    preview.getContext('2d').clearRect(0, 0, width, height);
    onChange({ cleared: true });
  });
  return { element, read, fill, live: true };
}

/** One numeric field per feature of a tabular input [F]. */
function fieldsWidget(spec) {
  const [count] = spec.shape.slice(1);
  const integer = INT_DTYPES.includes(spec.dtype);
  const fields = Array.from({ length: count }, (_, i) => h('input', {
    type: 'number', step: integer ? '1' : 'any', value: '0', required: true, title: `${spec.name}[${i}]`, ariaLabel: `${spec.name}[${i}]`,
  }));
  const element = h('div', { className: 'fields' }, ...fields.map((f, i) => h('label', {}, h('span', { textContent: `${i}` }), f)));
  return {
    element,
    read: () => fields.map((f) => Number(f.value)),
    fill: (values) => fields.forEach((f, i) => { f.value = String(values[i]); }),
  };
}

/** Words ↔ ids for an int input: through its recorded vocabulary (unknown words → [UNK]), else ids typed as numbers. */
export function tokenizer(spec, meta) {
  const vocab = vocabularyOf(meta, spec);
  const ids = new Map((vocab ?? []).map((w, i) => [w, i]));
  const unknown = ids.get('[UNK]') ?? 1;
  return {
    vocab,
    ids,
    unknown,
    toIds: (text) => {
      const parts = text.trim().split(vocab ? /[^\p{L}\p{N}'[\]]+/u : /[\s,]+/).filter(Boolean);
      return vocab ? parts.map((w) => ids.get(w) ?? ids.get(w.toLowerCase()) ?? unknown) : parts.map((p) => Math.trunc(Number(p)) || 0);
    },
    toText: (values) => (vocab ? Array.from(values, (v) => vocab[v] ?? '[UNK]') : Array.from(values)).join(' '),
    hint: vocab ? `Words are looked up in the model's ${vocab.length}-word vocabulary (unknown words → ${unknown}).` : 'No vocabulary in metadata.json: type token ids.',
  };
}

/** A text field for token ids: words through the recorded vocabulary, else the ids themselves. */
function tokensWidget(spec, meta) {
  const [length] = spec.shape.slice(1);
  const words = tokenizer(spec, meta);
  const field = h('input', { type: 'text', className: 'wide', placeholder: words.vocab ? 'words' : 'token ids, e.g. 2 15 7', ariaLabel: spec.name });
  const shown = h('p', { className: 'muted' });
  const toIds = () => {
    let out = words.toIds(field.value);
    // A fixed length is padded with 0 (Keras's padding id) or cut; a free one takes the text as it is.
    if (length !== null) out = [...out.slice(0, length), ...Array(Math.max(0, length - out.length)).fill(0)];
    shown.textContent = `ids: ${out.join(' ')}`;
    return out;
  };
  field.addEventListener('input', toIds);
  const element = h('div', {}, field, shown, h('p', { className: 'hint', textContent: words.hint }));
  return {
    element,
    read: toIds,
    fill: (values) => {
      field.value = words.vocab ? words.toText(values.filter((v) => v !== 0)) : values.join(' ');
      toIds();
    },
    dims: () => [toIds().length],
  };
}

/** A text field for string inputs ([] or [1] per example). */
function textWidget(spec) {
  const field = h('input', { type: 'text', className: 'wide', ariaLabel: spec.name });
  const per = product(spec.shape.slice(1).map((d) => d ?? 1));
  return { element: field, read: () => Array(per).fill(field.value), fill: (values) => { field.value = String(values[0]); } };
}

/** Any other input: one example as JSON nested lists. */
function arrayWidget(spec) {
  const area = h('textarea', { rows: 4, className: 'wide', ariaLabel: spec.name });
  let dims = spec.shape.slice(1);
  return {
    element: area,
    read: () => {
      let parsed;
      try {
        parsed = JSON.parse(area.value);
      } catch (err) {
        throw new Error(`${spec.name}: not JSON (${err.message})`);
      }
      const values = flat(parsed);
      if (dims.every((d) => d !== null) && values.length !== product(dims)) throw new Error(`${spec.name}: ${values.length} values, the input takes ${product(dims)}`);
      return values;
    },
    fill: (values, goldenDims) => {
      dims = goldenDims;
      area.value = JSON.stringify(nest(values, goldenDims));
    },
  };
}

export const WIDGETS = { image: imageWidget, fields: fieldsWidget, tokens: tokensWidget, text: textWidget, array: arrayWidget };
