// LiteRT.js (@litertjs/core) in Node. Its loader is written for pages and workers: it runs the wasm build's
// script with a <script> tag or importScripts and then reads `self.ModuleFactory`. Node has neither, so this
// module gives it both while it loads: importScripts evaluates the emscripten script (which reads its .wasm with
// node:fs when it sees Node) with a CommonJS `require`, and publishes its factory on `self` (globalThis).
// The runtime's start-up log (INFO/WARNING lines on every environment and model) and its note that Node has no
// WebGPU are kept off the terminal; anything else it prints passes through.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';

import * as litert from '@litertjs/core';

import { quietModule } from '../js/litert.js';

export { litert };

/** The folder of LiteRT.js's wasm builds, inside the installed package. */
export const WASM_DIR = fileURLToPath(new URL('../wasm/', pathToFileURL(createRequire(import.meta.url).resolve('@litertjs/core'))));

/** Run one classic script the way a worker's importScripts does: its top-level `var`s become globals. */
function importScriptsInNode(...urls) {
  for (const url of urls) {
    const file = url.startsWith('file:') ? fileURLToPath(url) : url;
    const wrapped = `(function (require, __filename, __dirname) {\n${readFileSync(file, 'utf8')}\n;self.ModuleFactory = ModuleFactory;\n})`;
    vm.runInThisContext(wrapped, { filename: file })(createRequire(file), file, path.dirname(file));
  }
}

/** Run load() with LiteRT.js's "no WebGPU device" warning silenced (Node has no navigator.gpu). */
async function withoutWebGpuWarning(load) {
  const { warn } = console;
  console.warn = (...args) => (String(args[0]).startsWith('Failed to create default WebGPU device') ? undefined : warn(...args));
  try {
    return await load();
  } finally {
    console.warn = warn;
  }
}

let loading;
/**
 * Load LiteRT.js's wasm runtime once per thread; resolves to the LiteRt instance. The build is LiteRT.js's own
 * choice for this engine (relaxed-SIMD where it validates, the compat build otherwise); options.threads asks for
 * the threaded build, which LiteRT.js allows only with relaxed SIMD.
 */
export function loadLiteRtNode(options = {}) {
  loading ??= withWorkerGlobals(() => withoutWebGpuWarning(() => litert.loadLiteRt(WASM_DIR, options))).catch((err) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

/**
 * Run load() with the worker globals LiteRT.js's loader needs, removed again after: other emscripten modules
 * (tfjs-backend-wasm's) take a global importScripts to mean a worker, and then look for their .wasm by URL.
 */
async function withWorkerGlobals(load) {
  const added = ['self', 'importScripts'].filter((name) => !(name in globalThis));
  globalThis.self ??= globalThis;
  globalThis.importScripts ??= importScriptsInNode;
  globalThis.Module = quietModule();
  try {
    return await load();
  } finally {
    for (const name of added) delete globalThis[name];
  }
}
