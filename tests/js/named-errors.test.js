// Errors from inside tf.js name the folder and the file: a model.json holding null, a topology tf.js cannot build,
// and a graph that fails while running ("Cannot read properties of undefined" alone before) (issue 20, item 9).
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { verifyAll } from '../../verify/node/harness.js';
import { MODELS_ROOT } from '../support/paths.js';

const BREAKS = {
  'null-json': { edit: () => null, says: 'model.json: holds null, not a JSON object' },
  'empty-topology': { edit: (m) => ({ ...m, modelTopology: {} }), says: 'model.json: tf.js cannot build the graph model' },
  'no-op-names': {
    edit: (m) => ({ ...m, modelTopology: { ...m.modelTopology, node: m.modelTopology.node.map((n) => ({ ...n, input: undefined, op: n.op === 'MatMul' ? undefined : n.op })) } }),
    says: 'model.json: running the goldens failed',
  },
};

describe('errors name the folder and the file', () => {
  let root;
  after(async () => root && rm(root, { recursive: true, force: true }));

  test('each broken model.json is a failed row naming its path', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'named-errors-'));
    const good = JSON.parse(await readFile(path.join(MODELS_ROOT, 'linear', 'model.json'), 'utf8'));
    for (const [folder, { edit }] of Object.entries(BREAKS)) {
      await cp(path.join(MODELS_ROOT, 'linear'), path.join(root, folder), { recursive: true });
      await writeFile(path.join(root, folder, 'model.json'), JSON.stringify(edit(structuredClone(good))));
    }
    const rows = await verifyAll(root, ['cpu']);
    for (const [folder, { says }] of Object.entries(BREAKS)) {
      const row = rows.find((r) => r.model === folder);
      assert.equal(row.pass, false, folder);
      assert.ok(row.error.startsWith(path.join(root, folder, says.split(':')[0])), `${folder}: ${row.error}`);
      assert.ok(row.error.includes(says), `${folder}: ${row.error}`);
    }
  });
});
