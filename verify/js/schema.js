// The model-folder contract (tfjs_bridge/common/model-folder.schema.json) checked in Node and in the browser
// by this one module: @cfworker/json-schema validates (pinned; plain ES modules, so the page imports it through
// an import map with no bundler), and this module words its findings as "path: problem" lines. Keywords are
// checked against the ones worded here once per schema, so a misspelt or new keyword is an error rather than a
// rule silently skipped.
import { Validator } from '@cfworker/json-schema';

const KNOWN = new Set(['$schema', '$id', '$defs', '$ref', 'title', 'description', 'type', 'enum', 'const', 'pattern',
  'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'items', 'properties', 'required',
  'additionalProperties', 'anyOf', 'x-limits']);
// Findings that only say a child failed: the child's own finding is the one worded.
const CONTAINERS = new Set(['properties', 'items', '$ref', 'additionalProperties']);

/** A value as error messages quote it: strings in single quotes, the rest as short JSON. */
export function show(value) {
  const text = typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A JSON path one step below at: `a.b`, `a[0]`, or `a["odd key"]`. */
function child(at, key) {
  if (typeof key === 'number') return `${at}[${key}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return at ? `${at}.${key}` : key;
  return `${at}[${JSON.stringify(key)}]`;
}

/** The schema a "#/$defs/..." reference points to. */
function resolve(root, ref) {
  const m = /^#\/\$defs\/([^/]+)$/.exec(ref);
  const target = m && root.$defs?.[m[1]];
  if (!target) throw new Error(`schema: cannot resolve $ref ${ref}`);
  return target;
}

/** Throw when a (sub)schema uses a keyword this module does not word, anywhere below it. */
function checkKeywords(node) {
  const unknown = Object.keys(node).filter((k) => !KNOWN.has(k));
  if (unknown.length) throw new Error(`schema: keyword ${unknown.join(', ')} is not supported by this reader`);
  const below = [node.items, node.additionalProperties, ...(node.anyOf ?? []),
    ...Object.values(node.properties ?? {}), ...Object.values(node.$defs ?? {})];
  for (const sub of below) if (sub && typeof sub === 'object') checkKeywords(sub);
}

const VALIDATORS = new WeakMap(); // schema node → its Validator, built (and its keywords checked) once
/**
 * The library's validator for a node of root, with root's $id and $defs beside it: its references resolve, and
 * to the same URIs as from root (the library records each node's resolved reference on the node, once).
 */
function validatorFor(node, root) {
  if (!VALIDATORS.has(node)) {
    checkKeywords(node);
    VALIDATORS.set(node, new Validator({ ...node, $id: root.$id, $defs: root.$defs }, '2020-12', false));
  }
  return VALIDATORS.get(node);
}

/** The JSON pointer tokens of a library location ("#/a/0/b~1c", URI-encoded). */
function tokens(pointer) {
  return pointer.replace(/^#\/?/, '').split('/').filter((t) => t !== '')
    .map((t) => decodeURIComponent(t).replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** { value, at } the instance location points to: the value and its path as messages show it. */
function locate(doc, pointer) {
  let value = doc;
  let at = '';
  for (const t of tokens(pointer)) {
    const key = Array.isArray(value) ? Number(t) : t;
    at = child(at, key);
    value = value[key];
  }
  return { value, at };
}

/** The value of the keyword a keyword location points to ("#/properties/a/$ref/enum"), following $refs. */
function ruleAt(node, root, pointer) {
  const path = tokens(pointer);
  for (const t of path.slice(0, -1)) node = t === '$ref' ? resolve(root, node.$ref) : node[t];
  return node[path.at(-1)];
}

/** A few words naming what a (sub)schema accepts, for "is not A or B" messages. */
function describe(schema) {
  if (schema.$ref) return schema.$ref.split('/').pop();
  if ('const' in schema) return show(schema.const);
  if (schema.enum) return `one of ${schema.enum.map(String).join(', ')}`;
  if (schema.type) return [schema.type].flat().join(' or ');
  return 'a value';
}

// How each keyword's failure is worded: (value, the keyword's rule) → the problem.
const WORDS = {
  anyOf: (v, rule) => `${show(v)} is not ${rule.map(describe).join(' or ')}`,
  const: (v, rule) => `${show(v)} must be ${show(rule)}`,
  enum: (v, rule) => `${show(v)} is not one of ${rule.map(String).join(', ')}`,
  type: (v, rule) => `${show(v)} is not ${[rule].flat().join(' or ')}`,
  minimum: (v, rule) => `${v} is below the minimum ${rule}`,
  maximum: (v, rule) => `${v} is above the maximum ${rule}`,
  minLength: (v, rule) => `${show(v)} is shorter than ${rule} characters`,
  maxLength: (v, rule) => `${show(v)} is longer than ${rule} characters`,
  pattern: (v, rule) => `${show(v)} does not match ${rule}`,
  minItems: (v, rule) => `has ${v.length} items, at least ${rule} needed`,
  maxItems: (v, rule) => `has ${v.length} items, at most ${rule} allowed`,
};

/** One library finding as "path: problem" lines (a missing field is a line per field). */
function lines(error, doc, schema, root) {
  const { value, at } = locate(doc, error.instanceLocation);
  const where = at || '(top level)';
  if (error.keyword === 'false') return [`${at}: field is not allowed here`]; // additionalProperties: false
  const rule = ruleAt(schema, root, error.keywordLocation);
  if (error.keyword === 'required') return rule.filter((k) => !(k in value)).map((k) => `${where}: required field ${show(k)} is missing`);
  const words = WORDS[error.keyword];
  return [`${where}: ${words ? words(value, rule) : error.error}`];
}

/** Every way value breaks schema (a node of root), as "path: problem" lines (empty when it conforms). */
export function validate(value, schema, root = schema) {
  const { errors } = validatorFor(schema, root).validate(value);
  const found = [];
  let inside = null; // the keyword location of a failed anyOf: its alternatives' findings are not worded
  for (const error of errors) {
    if (inside && error.keywordLocation.startsWith(`${inside}/`)) continue;
    inside = error.keyword === 'anyOf' ? error.keywordLocation : inside;
    if (!CONTAINERS.has(error.keyword)) found.push(...lines(error, value, schema, root));
  }
  return [...new Set(found)];
}

/** Refuse a document whose `schema` version this reader does not know, before anything else is read from it. */
export function checkVersion(doc, schema, file) {
  const version = doc?.schema;
  if (typeof version === 'string' && new RegExp(schema.properties.schema.pattern).test(version)) return;
  // The $id ends in the major version the schema file describes ("tfjs-bridge/model-folder/3").
  const major = schema.$id.split('/').pop();
  const what = version === undefined ? 'has no schema version' : `schema version ${typeof version === 'string' ? version : show(version)} is not supported`;
  throw new Error(`${file}: ${what} (this harness reads ${major}.x): re-export the model`);
}

/** Throw one line naming the file and the first violation (and how many more) when doc breaks schema. */
export function checkDocument(doc, schema, root, file) {
  const errors = validate(doc, schema, root);
  if (errors.length) throw new Error(`${file}: ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`);
}

// How a goldens tensor's values must look, by its dtype.
const VALUE_OK = {
  float32: Number.isFinite, float16: Number.isFinite, int32: Number.isInteger, int64: Number.isInteger,
  uint8: Number.isInteger, bool: (v) => typeof v === 'boolean', string: (v) => typeof v === 'string',
};

/** Check goldens.json against its metadata: same tensor names and dtypes, fitting shapes, values filling each shape. */
export function checkGoldensAgainst(goldens, meta, file) {
  if (goldens.count !== meta.goldens.count) throw new Error(`${file}: count ${goldens.count}, metadata.json says ${meta.goldens.count}`);
  if (goldens.labels && goldens.labels.length !== goldens.count) {
    throw new Error(`${file}: ${goldens.labels.length} labels for ${goldens.count} rows`);
  }
  for (const side of ['inputs', 'outputs']) {
    const declared = meta[side].map((s) => s.name).sort();
    const held = Object.keys(goldens[side]).sort();
    if (JSON.stringify(declared) !== JSON.stringify(held)) {
      throw new Error(`${file}: ${side} are [${held}], metadata.json declares [${declared}]`);
    }
    for (const spec of meta[side]) {
      const t = goldens[side][spec.name];
      const at = child(side, spec.name);
      if (t.dtype !== spec.dtype) throw new Error(`${file}: ${at}: dtype ${t.dtype}, metadata.json says ${spec.dtype}`);
      const fits = t.shape.length === spec.shape.length && spec.shape.every((d, i) => d === null || d === t.shape[i]);
      if (!fits) throw new Error(`${file}: ${at}: shape [${t.shape}] does not fit metadata.json's [${spec.shape.map((d) => d ?? 'null')}]`);
      const size = t.shape.reduce((a, b) => a * b, 1);
      if (t.values.length !== size) throw new Error(`${file}: ${at}: ${t.values.length} values for shape [${t.shape}] (${size} expected)`);
      const bad = t.values.findIndex((v) => !VALUE_OK[t.dtype](v));
      if (bad >= 0) throw new Error(`${file}: ${at}.values[${bad}]: ${show(t.values[bad])} is not a ${t.dtype} value`);
    }
  }
}
