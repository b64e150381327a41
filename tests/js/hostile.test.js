// The Node harness against hostile model folders (tests/support/hostile.py makes them): each is a failed row named by
// its folder, stating the problem, within a time bound (no FIFO hangs it, no /dev/zero or string bomb fills its
// memory), nothing outside the folder is read, and the good model beside them still verifies.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { verifyAll } from '../../verify/node/harness.js';
import { MODELS_ROOT, ROOT } from '../support/paths.js';

describe('hostile model folders in the Node harness', () => {
  let base;
  after(async () => base && rm(base, { recursive: true, force: true }));

  test('each hostile folder is a failed row naming it; the good model passes; nothing hangs', async () => {
    base = await mkdtemp(path.join(tmpdir(), 'tfjs-bridge-hostile-'));
    const root = path.join(base, 'models');
    await mkdir(root);
    await cp(path.join(MODELS_ROOT, 'linear'), path.join(root, 'linear'), { recursive: true });
    const cases = JSON.parse(execFileSync(path.join(ROOT, '.venv', 'bin', 'python'),
      ['-m', 'tests.support.hostile', path.join(MODELS_ROOT, 'linear'), root], { cwd: ROOT, encoding: 'utf8' }));
    // A folder whose name is not UTF-8: listed as a row, not skipped.
    execFileSync('python3', ['-c', 'import os,shutil,sys; shutil.copytree(os.fsencode(sys.argv[1]), os.fsencode(sys.argv[2]) + b"/caf\\xe9")',
      path.join(MODELS_ROOT, 'linear'), root]);
    const started = performance.now();
    const rssBefore = process.memoryUsage().rss;
    const rows = await verifyAll(root, ['cpu']);
    const seconds = (performance.now() - started) / 1000;
    const grew = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    const byFolder = new Map(rows.map((r) => [r.folder ?? r.model, r]));
    assert.ok(byFolder.get('linear').pass, byFolder.get('linear').error);
    for (const [folder, { problem }] of Object.entries(cases)) {
      const row = byFolder.get(folder);
      assert.ok(row, `${folder}: no row`);
      assert.equal(row.pass, false, folder);
      assert.match(row.error, new RegExp(problem), `${folder}: ${row.error}`);
      assert.ok(row.error.includes(folder), `${folder}: ${row.error}`);
    }
    const odd = rows.find((r) => r.model.startsWith('caf'));
    assert.ok(odd && !odd.pass && /not valid UTF-8/.test(odd.error), JSON.stringify(odd));
    assert.ok(seconds < 30, `${seconds} s`);
    assert.ok(grew < 400, `RSS grew ${grew} MiB`);
    console.log(`Node harness: ${Object.keys(cases).length + 1} hostile folders refused (links, FIFOs, devices, ../, `
      + `oversize and deep JSON, string bombs, a non-UTF-8 name) in ${seconds.toFixed(1)} s, RSS +${grew.toFixed(0)} MiB; the good model verified`);
  });
});
