// The model-folder contract (tfjs_bridge/common/model-folder.schema.json) checked in Node and in the browser
// by this one module. It implements only the JSON Schema keywords that file uses, so a keyword it does not
// know is an error rather than silently ignored: the schema cannot grow a rule this reader skips.

const KNOWN = new Set(['$schema', '$id', '$defs', '$ref', 'title', 'description', 'type', 'enum', 'const', 'pattern',
  'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'items', 'properties', 'required',
  'additionalProperties', 'anyOf', 'x-limits']);

/** A value as error messages quote it: strings in single quotes, the rest as short JSON. */
export function show(value) {
  const text = typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The JSON type name of a value, as JSON Schema spells it ("integer" only when asked for). */
function typeOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

/** Whether value is of the schema type t. */
function hasType(value, t) {
  if (t === 'integer') return Number.isInteger(value);
  if (t === 'number') return Number.isFinite(value);
  return typeOf(value) === t;
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

/** A few words naming what a (sub)schema accepts, for "matches none of" messages. */
function describe(schema) {
  if (schema.$ref) return schema.$ref.split('/').pop();
  if ('const' in schema) return show(schema.const);
  if (schema.enum) return `one of ${schema.enum.map(String).join(', ')}`;
  if (schema.type) return [schema.type].flat().join(' or ');
  return 'a value';
}

/** Every way value breaks schema, as "path: problem" lines (empty when it conforms). */
export function validate(value, schema, root = schema, at = '') {
  const unknown = Object.keys(schema).filter((k) => !KNOWN.has(k));
  if (unknown.length) throw new Error(`schema: keyword ${unknown.join(', ')} is not supported by this reader`);
  const where = at || '(top level)';
  if (schema.$ref) return validate(value, resolve(root, schema.$ref), root, at);
  if (schema.anyOf) {
    if (schema.anyOf.some((s) => validate(value, s, root, at).length === 0)) return [];
    return [`${where}: ${show(value)} is not ${schema.anyOf.map(describe).join(' or ')}`];
  }
  if ('const' in schema && value !== schema.const) return [`${where}: ${show(value)} must be ${show(schema.const)}`];
  if (schema.enum && !schema.enum.includes(value)) {
    return [`${where}: ${show(value)} is not one of ${schema.enum.map(String).join(', ')}`];
  }
  if (schema.type) {
    const types = [schema.type].flat();
    if (!types.some((t) => hasType(value, t))) return [`${where}: ${show(value)} is not ${types.join(' or ')}`];
  }
  const errors = [];
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${where}: ${value} is below the minimum ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${where}: ${value} is above the maximum ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${where}: ${show(value)} is shorter than ${schema.minLength} characters`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${where}: ${show(value)} is longer than ${schema.maxLength} characters`);
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) errors.push(`${where}: ${show(value)} does not match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${where}: has ${value.length} items, at least ${schema.minItems} needed`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${where}: has ${value.length} items, at most ${schema.maxItems} allowed`);
    if (schema.items) value.forEach((v, i) => errors.push(...validate(v, schema.items, root, child(at, i))));
  }
  if (typeOf(value) === 'object') {
    for (const key of schema.required ?? []) if (!(key in value)) errors.push(`${where}: required field ${show(key)} is missing`);
    const properties = schema.properties ?? {};
    for (const [key, v] of Object.entries(value)) {
      if (key in properties) errors.push(...validate(v, properties[key], root, child(at, key)));
      else if (schema.additionalProperties === false) errors.push(`${child(at, key)}: field is not allowed here`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...validate(v, schema.additionalProperties, root, child(at, key)));
    }
  }
  return errors;
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
