// npm run verify [-- --models DIR] [--backends cpu,wasm]: parity of every exported model, as a table.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { BACKENDS, MODELS_ROOT, formatTable, verifyAll } from './node/harness.js';

function fail(message, code) {
  console.error(`error: ${message}`);
  process.exit(code);
}

let options;
try {
  ({ values: options } = parseArgs({
    options: { models: { type: 'string', default: MODELS_ROOT }, backends: { type: 'string', default: BACKENDS.join(',') } },
  }));
} catch (err) {
  fail(err.message, 2);
}
const backends = options.backends.split(',').filter(Boolean);
const unknown = backends.filter((b) => !BACKENDS.includes(b));
if (unknown.length || !backends.length) fail(`unknown backend '${unknown}': choose from ${BACKENDS.join(', ')}`, 2);

const rows = await verifyAll(path.resolve(options.models), backends);
if (!rows.length) fail(`no exported models under ${options.models}: run \`make demo SERVE=0\` or \`python -m export\``, 2);
console.log(formatTable(rows));
// The web app shows each model's last parity status from this file (GET /api/models).
const report = { verified_at: new Date().toISOString(), rows };
await writeFile(path.join(path.resolve(options.models), 'parity-report.json'), `${JSON.stringify(report, null, 1)}\n`);
const failed = rows.filter((r) => !r.pass).length;
console.log(failed ? `\n${failed} of ${rows.length} checks FAILED` : `\nall ${rows.length} checks passed`);
process.exit(failed ? 1 : 0);
