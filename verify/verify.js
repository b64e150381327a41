#!/usr/bin/env node
// tfjs-bridge-verify: check that tf.js predicts what Python predicted for exported model folders.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { fastest, formatTable } from './js/table.js';
import { ALL_BACKENDS as BACKENDS, DEFAULT_TIMEOUT_S, verifyDirs } from './node/isolate.js';
import { discoverModels, isModelFolder } from './node/load.js';

// The tf.js the folders' workers run, read without importing it here (this thread never runs a model).
const TFJS_VERSION = createRequire(import.meta.url)('@tensorflow/tfjs/package.json').version;

const USAGE = `usage: tfjs-bridge-verify [DIR ...] [--backends ${BACKENDS.join(',')}] [--json] [--json-out FILE] [--no-report] [--timeout SECONDS] [--help] [--version]

Run each model folder's goldens.json on tf.js backends (and LiteRT.js, for a model.tflite) in Node and compare
with the Python outputs; then name, per model, the fastest backend among those that passed.
Each DIR is a model folder (holding metadata.json) or a folder of model folders; default: web_models.

  --backends LIST  comma-separated backends: tf.js's cpu and wasm, LiteRT.js's litert-wasm (default: all three,
                   litert-wasm only for folders exported with --runtime tfjs,litert)
  --json           print one JSON object {verified_at, tfjs, rows} instead of the table
  --json-out FILE  also write that JSON object to FILE (what \`tfjs-bridge verify --explain\` reads)
  --no-report      do not write parity-report.json into each folder of model folders
  --timeout S      seconds each model folder may take on all its backends (default ${DEFAULT_TIMEOUT_S}); a folder
                   past it is a failed row, the others are still checked (each folder runs in its own worker)
  --help           show this help
  --version        show the version

Exit status: 0 all checks passed, 1 a check failed (a parity failure, or a backend tf.js or LiteRT.js cannot
run the model on: UNSUPPORTED rows), 2 usage error or no model folders.`;

/** Print one error line and exit with code. */
function fail(message, code = 2) {
  console.error(`error: ${message}`);
  process.exit(code);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      backends: { type: 'string' },
      json: { type: 'boolean', default: false },
      'json-out': { type: 'string' },
      'no-report': { type: 'boolean', default: false },
      timeout: { type: 'string', default: String(DEFAULT_TIMEOUT_S) },
      help: { type: 'boolean', default: false },
      version: { type: 'boolean', default: false },
    },
  });
} catch (err) {
  // parseArgs's own message runs on with advice about '--'; the option's name is what matters.
  const option = /'([^']*)'/.exec(err.message)?.[1];
  fail(err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? `unknown option '${option}' (see --help)` : `${err.message} (see --help)`);
}
const { values: options, positionals } = parsed;
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
if (options.version) {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
  console.log(pkg.version);
  process.exit(0);
}
const explicit = options.backends !== undefined;
const backends = (options.backends ?? BACKENDS.join(',')).split(',').filter(Boolean);
const unknown = backends.filter((b) => !BACKENDS.includes(b));
if (unknown.length || !backends.length) fail(`unknown backend '${unknown.join(',')}': choose from ${BACKENDS.join(', ')}`);
const timeoutS = Number(options.timeout);
if (!/^\d+(\.\d+)?$/.test(options.timeout) || !(timeoutS > 0) || timeoutS > 86400) {
  fail(`--timeout ${options.timeout}: give seconds, more than 0 and at most 86400`);
}

// Each DIR is a model folder itself or a folder of them; only the latter get a parity-report.json.
const HOW = 'export one with `tfjs-bridge export MODEL`';
const targets = [];
for (const arg of positionals.length ? positionals : ['web_models']) {
  const dir = path.resolve(arg);
  if (!(await stat(dir).catch(() => null))?.isDirectory()) fail(positionals.length ? `${arg}: no such folder` : `no ${arg} folder here: ${HOW}`);
  const single = await isModelFolder(dir);
  targets.push({ dir, single, models: single ? [dir] : await discoverModels(dir) });
}
if (!targets.some((t) => t.models.length)) {
  fail(`no model folders in ${positionals.join(', ') || 'web_models'}: ${HOW}`);
}

const verifiedAt = new Date().toISOString();
const rows = [];
for (const target of targets) {
  const found = await verifyDirs(target.models, backends, { timeoutS, explicit });
  rows.push(...found);
  // The web app shows each model's last parity status from this file (GET /api/models).
  if (!target.single && !options['no-report']) {
    const report = { verified_at: verifiedAt, tfjs: TFJS_VERSION, rows: found };
    await writeFile(path.join(target.dir, 'parity-report.json'), `${JSON.stringify(report, null, 1)}\n`);
  }
}
const failed = rows.filter((r) => !r.pass).length;
const unsupported = rows.filter((r) => r.unsupported).length;
/** The closing line: passes, and tf.js limitations counted apart from parity failures. */
function summary() {
  if (!failed) return `all ${rows.length} checks passed`;
  if (!unsupported) return `${failed} of ${rows.length} checks FAILED`;
  const rest = failed - unsupported;
  return `${failed} of ${rows.length} checks did not pass: ${unsupported} unsupported by the runtime (tf.js or LiteRT.js; not parity failures)`
    + (rest ? `, ${rest} FAILED` : '');
}
const report = JSON.stringify({ verified_at: verifiedAt, tfjs: TFJS_VERSION, rows });
if (options['json-out']) await writeFile(options['json-out'], `${report}\n`);
// Exit once stdout is drained: process.exit right after writing cut piped output at 64 KiB.
const best = fastest(rows);
const fastestLines = best.length ? `\n${best.map((b) => `fastest for ${b.model}: ${b.backend} (${b.ms.toFixed(1)} ms)`).join('\n')}\n` : '';
const text = options.json ? `${report}\n` : `${formatTable(rows)}\n${fastestLines}\n${summary()}\n`;
process.stdout.write(text, () => process.exit(failed ? 1 : 0));
