// tfjs-bridge-verify as a user runs it: usage errors exit 2 in one line, results exit 0 or 1, --json is one object.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { MODELS_ROOT, ROOT } from '../support/paths.js';
import { editJson, resealGoldens } from './broken.js';

const VERIFY = path.join(ROOT, 'verify', 'verify.js');

/** Run the CLI with args; { code, stdout, stderr } whatever the exit status. */
async function cli(args, options = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [VERIFY, ...args], { cwd: ROOT, ...options });
    return { code: 0, stdout, stderr };
  } catch (err) {
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Assert a usage error: exit 2, nothing on stdout, one `error: ...` line on stderr matching pattern. */
function assertUsageError(result, pattern) {
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^error: [^\n]+\n$/);
  assert.match(result.stderr, pattern);
}

describe('tfjs-bridge-verify', () => {
  const linear = path.join(MODELS_ROOT, 'linear');
  let tmp;
  before(async () => { tmp = await mkdtemp(path.join(tmpdir(), 'tfjs-bridge-cli-')); });
  after(async () => tmp && rm(tmp, { recursive: true, force: true }));

  test('--help prints usage and exits 0', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^usage: tfjs-bridge-verify \[DIR \.\.\.\] \[--backends cpu,wasm,litert-wasm\] \[--json\] \[--json-out FILE\] \[--no-report\] \[--timeout SECONDS\] \[--help\] \[--version\]/);
  });
  test('--version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
    assert.deepEqual(await cli(['--version']), { code: 0, stdout: `${version}\n`, stderr: '' });
  });
  test('an unknown option exits 2 with one line', async () => {
    assertUsageError(await cli(['--models', MODELS_ROOT]), /unknown option '--models'/);
  });
  test('an unknown backend exits 2 with one line', async () => {
    assertUsageError(await cli([linear, '--backends', 'cpu,webgpu']), /unknown backend 'webgpu': choose from cpu, wasm/);
  });
  test('a DIR that does not exist exits 2 with one line', async () => {
    assertUsageError(await cli([path.join(tmp, 'nowhere')]), /nowhere: no such folder/);
  });
  test('a folder without model folders exits 2 saying how to export', async () => {
    assertUsageError(await cli([tmp]), /no model folders in .*: export one with `tfjs-bridge export MODEL`/);
  });
  test('the default folder is web_models, with the same advice when it is missing', async () => {
    assertUsageError(await cli([], { cwd: tmp }), /no web_models folder here: export one with `tfjs-bridge export MODEL`/);
  });

  test('a single model folder as DIR: table, exit 0, no report written into it', async () => {
    const dir = path.join(tmp, 'single');
    await cp(linear, dir, { recursive: true });
    const r = await cli([dir, '--backends', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^model {2,}format {2,}quant {2,}backend/);
    assert.match(r.stdout, /\nsingle {2,}graph {2,}float32 {2,}cpu .* pass\n/);
    assert.match(r.stdout, /\nall 1 checks passed\n$/);
    await assert.rejects(access(path.join(dir, 'parity-report.json')));
  });

  test('--json prints one object with per-output figures; --json-out writes it to a file too', async () => {
    const file = path.join(tmp, 'report.json');
    const r = await cli([linear, '--backends', 'cpu,wasm', '--json', '--json-out', file]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(await readFile(file, 'utf8'), r.stdout);
    assert.equal(report.tfjs, '4.22.0');
    assert.ok(!Number.isNaN(Date.parse(report.verified_at)));
    assert.deepEqual(report.rows.map((row) => [row.folder, row.backend, row.pass]), [['linear', 'cpu', true], ['linear', 'wasm', true]]);
    for (const row of report.rows) {
      assert.ok(row.maxAbsDiff <= row.tolerance);
      assert.deepEqual(row.outputs.map((o) => o.name), ['output']);
    }
  });

  test('a failing check exits 1 and the report records it; --no-report writes none', async () => {
    const models = path.join(tmp, 'models');
    await cp(linear, path.join(models, 'linear'), { recursive: true });
    await cp(linear, path.join(models, 'wrong'), { recursive: true });
    // Python's outputs shifted by 1: a model that no longer predicts what Python did, with goldens resealed.
    await editJson(path.join(models, 'wrong'), 'goldens.json', (g) => { g.outputs.output.values = g.outputs.output.values.map((v) => v + 1); });
    await resealGoldens(path.join(models, 'wrong'));
    const r = await cli([models, '--backends', 'cpu']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /\nwrong {2,}graph .* FAIL\n/);
    assert.match(r.stdout, /\n1 of 2 checks FAILED\n$/);
    const report = JSON.parse(await readFile(path.join(models, 'parity-report.json'), 'utf8'));
    assert.deepEqual(report.rows.map((row) => [row.model, row.pass]), [['linear', true], ['wrong', false]]);
    await writeFile(path.join(models, 'parity-report.json'), 'stale');
    assert.equal((await cli([models, '--backends', 'cpu', '--no-report'])).code, 1);
    assert.equal(await readFile(path.join(models, 'parity-report.json'), 'utf8'), 'stale');
  });
});
