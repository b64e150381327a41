// LiteRT.js in Node: the project's loader (verify/node/litert.js) gives its page-and-worker loader what Node lacks.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { litert, loadLiteRtNode } from '../../verify/node/litert.js';

test('LiteRT.js loads its wasm runtime in Node once, and later calls share it', { timeout: 30_000 }, async () => {
  const first = loadLiteRtNode();
  assert.equal(loadLiteRtNode(), first);
  const runtime = await first;
  assert.ok(runtime instanceof litert.LiteRt);
  assert.equal(litert.getGlobalLiteRt(), runtime);
});
