// The Node harness refuses every broken copy of a good export (tests/support/corrupt.py makes them), naming the file
// and the problem, and keeps verifying the good model beside them.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { verifyAll } from '../../verify/node/harness.js';
import { brokenModels } from './broken.js';

describe('corrupt model folders in the Node harness', () => {
  let root;
  after(async () => root && rm(root, { recursive: true, force: true }));

  test('each broken copy is a failed row naming its file and problem; the good model passes', async () => {
    let cases;
    ({ root, cases } = await brokenModels('linear'));
    const rows = await verifyAll(root, ['cpu']);
    assert.deepEqual(rows.map((r) => r.model).sort(), ['linear', ...Object.keys(cases)].sort());
    for (const [folder, { file, problem }] of Object.entries(cases)) {
      const row = rows.find((r) => r.model === folder);
      assert.equal(row.pass, false, folder);
      assert.ok(row.error.includes(path.join(root, folder, file)), `${folder}: ${row.error}`);
      assert.match(row.error, new RegExp(problem), folder);
    }
    assert.ok(rows.find((r) => r.model === 'linear').pass);
    console.log(`Node harness: ${Object.keys(cases).length} broken folders refused naming the file, 1 good model verified`);
  });
});
