// Each model folder is verified in its own worker under a deadline: an abort or a hang in one folder leaves every
// other folder's rows as they would be alone, and verify.js's piped --json survives many folders.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { verifyDirs } from '../../verify/node/harness.js';
import { MODELS_ROOT, ROOT } from '../support/paths.js';
import { editJson } from './broken.js';

const FAKE = new URL('./fake_worker.js', import.meta.url);

describe('isolated folders', () => {
  let tmp;
  before(async () => { tmp = await mkdtemp(path.join(tmpdir(), 'tfjs-bridge-isolate-')); });
  after(async () => tmp && rm(tmp, { recursive: true, force: true }));

  /** Copies of the linear model named names, under a fresh folder; their paths. */
  async function copies(names, where) {
    const dirs = names.map((n) => path.join(tmp, where, n));
    for (const dir of dirs) await cp(path.join(MODELS_ROOT, 'linear'), dir, { recursive: true });
    return dirs;
  }

  test('an abort keeps the rows made before it, a hang is stopped at the deadline, the next folder is untouched', async () => {
    const dirs = await copies(['abort', 'hang', 'ok'], 'fake');
    const rows = await verifyDirs(dirs, ['cpu', 'wasm'], { timeoutS: 1, worker: FAKE, concurrency: 1 });
    const got = rows.map((r) => [r.folder, r.backend, r.pass, r.error ?? null]);
    assert.deepEqual(got, [
      ['abort', 'cpu', true, null],
      ['abort', 'wasm', false, "the folder's worker crashed: Aborted()"],
      ['hang', 'cpu', false, 'timed out after 1 s (--timeout)'],
      ['hang', 'wasm', false, 'timed out after 1 s (--timeout)'],
      ['ok', 'cpu', true, null],
      ['ok', 'wasm', true, null],
    ]);
  });

  test('real workers: each folder passes as it does alone, in the folders\' order', async () => {
    const dirs = await copies(['b', 'a'], 'real');
    const rows = await verifyDirs(dirs, ['cpu', 'wasm']);
    assert.deepEqual(rows.map((r) => [r.folder, r.backend, r.pass, r.leakedTensors]),
      [['b', 'cpu', true, 0], ['b', 'wasm', true, 0], ['a', 'cpu', true, 0], ['a', 'wasm', true, 0]]);
  });

  test('--json of 200 folders reaches a slow reader through a pipe whole (over 64 KiB)', async () => {
    // Two real copies of the linear model and 198 whose metadata is refused (fast, no worker): 400 rows on tf.js's
    // two backends (named, so the linear model's model.tflite adds no LiteRT.js rows).
    const names = Array.from({ length: 200 }, (_, i) => `linear${String(i).padStart(3, '0')}`);
    const dirs = await copies(names, 'many');
    for (const dir of dirs.slice(2)) await editJson(dir, 'metadata.json', (meta) => { meta.schema = '9.0'; });
    // Through a real pipe (node's own stdio 'pipe' is a socket with a larger buffer) to a reader that, once the
    // output starts, waits a second: the pipe is full while verify.js finishes writing and exits.
    const reader = '{ IFS= read -r -n 1 first; sleep 1; printf %s "$first"; cat; }';
    const command = `set -o pipefail; "${process.execPath}" "${path.join(ROOT, 'verify', 'verify.js')}" "${path.join(tmp, 'many')}" --backends cpu,wasm --json --no-report | ${reader}`;
    const child = spawn('bash', ['-c', command], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks = [];
    child.stdout.on('data', (chunk) => chunks.push(chunk));
    const code = await new Promise((resolve) => child.on('close', resolve));
    const text = Buffer.concat(chunks).toString('utf8');
    assert.ok(text.length > 65536, `only ${text.length} bytes`);
    const report = JSON.parse(text);
    assert.equal(code, 1);
    assert.equal(report.rows.length, 400);
    assert.deepEqual(report.rows.filter((r) => r.pass).map((r) => r.folder), ['linear000', 'linear000', 'linear001', 'linear001']);
    assert.match(report.rows.at(-1).error, /schema version 9.0 is not supported/);
  });
});
