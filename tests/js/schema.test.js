// The model-folder contract (schema 3.x) as the Node harness enforces it through the shared reader:
// unknown versions refused in one line, wrong fields named by their JSON path, goldens.json sealed by
// metadata.json like the shards, and rows named by folder whatever metadata.json claims.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { verifyDirs } from '../../verify/node/harness.js';
import { loadSchema, readGoldensDir, readMetadataDir } from '../../verify/node/load.js';
import { validate } from '../../verify/js/schema.js';
import { editedCopy } from './broken.js';

let root;
before(async () => { root = await mkdtemp(path.join(tmpdir(), 'tfjs-bridge-schema-')); });
after(async () => root && rm(root, { recursive: true, force: true }));

/** The error reading a copy of linear with metadata edited by edit gives (null when it reads). */
async function metadataError(folder, edit) {
  const dir = await editedCopy('linear', root, folder, { metadata: edit });
  return readMetadataDir(dir).then(() => null, (err) => err.message);
}

/** The error reading the goldens of a copy of linear with edits applied (null when they read). */
async function goldensError(folder, edits) {
  const dir = await editedCopy('linear', root, folder, edits);
  const meta = await readMetadataDir(dir);
  return readGoldensDir(dir, meta).then(() => null, (err) => err.message);
}

describe('schema version', () => {
  for (const [version, shown] of [[2, '2'], ['4.0', '4.0'], ['3', '3']]) {
    test(`schema ${JSON.stringify(version)} is refused in one line naming the file and version`, async () => {
      const message = await metadataError(`v-${shown}`, (meta) => {
        meta.schema = version;
        delete meta.goldens; // other problems must not be reported first
      });
      const file = path.join(root, `v-${shown}`, 'metadata.json');
      assert.equal(message, `${file}: schema version ${shown} is not supported (this harness reads 3.x): re-export the model`);
    });
  }
  test('a minor version above 3.0 is read', async () => {
    assert.equal(await metadataError('v-3.7', (meta) => { meta.schema = '3.7'; }), null);
  });
  test('goldens.json carries its own version and is refused the same way', async () => {
    const message = await goldensError('goldens-v2', { goldens: (g) => { g.schema = 2; } });
    assert.match(message, /goldens\.json: schema version 2 is not supported/);
  });
});

describe('metadata.json fields', () => {
  const cases = {
    'bad-dtype': [(m) => { m.inputs[0].dtype = 'foo'; }, "inputs[0].dtype: 'foo' is not one of float32, float16, int32, int64, uint8, bool, string"],
    'bytes-string': [(m) => { m.bytes.on_disk = '16'; }, "bytes.on_disk: '16' is not integer"],
    'counterpart-path': [(m) => { m.counterpart = '../mlp'; }, "counterpart: '../mlp' is not folderName or null"],
    'shard-path': [(m) => { m.files[0].path = 'sub/shard.bin'; }, "files[0].path: 'sub/shard.bin' does not match"],
    'quantization-string': [(m) => { m.quantization = 'uint8'; }, "quantization: 'uint8' is not null or object"],
    'source-path': [(m) => { m.source.path = '/home/me/model'; }, 'source.path: field is not allowed here'],
    'no-outputs': [(m) => { delete m.outputs; }, "(top level): required field 'outputs' is missing"],
    'empty-inputs': [(m) => { m.inputs = []; }, 'inputs: has 0 items, at least 1 needed'],
  };
  for (const [folder, [edit, expected]] of Object.entries(cases)) {
    test(`${folder} is refused naming the file and the field`, async () => {
      const message = await metadataError(folder, edit);
      assert.ok(message?.startsWith(`${path.join(root, folder, 'metadata.json')}: ${expected}`), message);
      assert.ok(!message.includes('\n'), 'one line');
    });
  }
  test('several problems give the first and a count', async () => {
    const message = await metadataError('two-problems', (m) => { m.format = 'onnx'; m.kind = 'ranking'; });
    assert.match(message, /format: 'onnx' is not one of graph, layers \(and 1 more\)$/);
  });
});

describe('goldens.json', () => {
  test('a changed value is refused by sha256, like a shard', async () => {
    const dir = await editedCopy('linear', root, 'goldens-tampered');
    const file = path.join(dir, 'goldens.json');
    const text = await readFile(file, 'utf8');
    // One digit of the first value changed: same length, other bytes.
    const tampered = text.replace(/("values":\s*\[-?)(\d)/, (m, head, d) => head + String((Number(d) + 1) % 10));
    assert.equal(tampered.length, text.length);
    assert.notEqual(tampered, text);
    await writeFile(file, tampered);
    const rows = await verifyDirs([dir], ['cpu']);
    assert.equal(rows[0].pass, false);
    assert.equal(rows[0].error, `${file}: sha256 mismatch, the goldens file's bytes were altered`);
  });
  test('a goldens.json of another length than recorded is refused', async () => {
    const dir = await editedCopy('linear', root, 'goldens-longer');
    await writeFile(path.join(dir, 'goldens.json'), `${await readFile(path.join(dir, 'goldens.json'), 'utf8')} `);
    const meta = await readMetadataDir(dir);
    await assert.rejects(readGoldensDir(dir, meta), /goldens\.json: \d+ bytes, metadata says \d+ \(truncated or replaced\)/);
  });
  test('values must fill the shape', async () => {
    const message = await goldensError('goldens-short', { goldens: (g) => { g.inputs.x.values.pop(); } });
    assert.match(message, /goldens\.json: inputs\.x: 29 values for shape \[10,3\] \(30 expected\)$/);
  });
  test("tensor names must be metadata's", async () => {
    const message = await goldensError('goldens-renamed', {
      goldens: (g) => { g.outputs.y = g.outputs.output; delete g.outputs.output; },
    });
    assert.match(message, /goldens\.json: outputs are \[y\], metadata\.json declares \[output\]$/);
  });
  test("shapes must fit metadata's", async () => {
    const message = await goldensError('goldens-shape', { goldens: (g) => { g.inputs.x.shape = [15, 2]; } });
    assert.match(message, /inputs\.x: shape \[15,2\] does not fit metadata\.json's \[null,3\]$/);
  });
  test('goldens.json itself is validated against $defs/goldens', async () => {
    const message = await goldensError('goldens-type', { goldens: (g) => { g.inputs.x.dtype = 'float64'; } });
    assert.match(message, /goldens\.json: inputs\.x\.dtype: 'float64' is not one of float32/);
  });
});

test('a row is named by its folder, not by the name metadata.json gives', async () => {
  const dir = await editedCopy('linear', root, 'impostor', { metadata: (m) => { m.name = 'mlp'; } });
  const [row] = await verifyDirs([dir], ['cpu']);
  assert.equal(row.pass, true);
  assert.equal(row.model, 'impostor');
  assert.equal(row.folder, 'impostor');
});

describe('the validator itself', () => {
  test('every keyword the schema file uses is supported (validating it does not throw)', async () => {
    const schema = await loadSchema();
    for (const def of Object.values(schema.$defs)) validate(null, def, schema);
  });
  test('an unknown keyword is an error, not a rule silently skipped', () => {
    assert.throws(() => validate(1, { multipleOf: 2 }), /keyword multipleOf is not supported/);
  });
  test('integers, type lists, patterns and nested paths', () => {
    const schema = { type: 'object', properties: { a: { type: 'array', items: { type: ['integer', 'null'] } }, 'b c': { pattern: '^x' } } };
    assert.deepEqual(validate({ a: [1, null, 1.5], 'b c': 'y' }, schema), ['a[2]: 1.5 is not integer or null', '["b c"]: \'y\' does not match ^x']);
  });
});
