// Start the demo's production server from the checkout (`python -m web.serve`, as `make serve` does) and a
// headless Chromium for it: shared by the browser tests and the browser benchmark.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');  // the checkout
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// As root in a container without network: no sandbox, and none of Chrome's background connections.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic', '--enable-unsafe-swiftshader',
  // WebGPU on SwiftShader's Vulkan (no GPU here): without the flag headless Chromium gives no adapter.
  '--enable-unsafe-webgpu'];

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Start the server on a free port (args: more flags, e.g. ['--models', dir]) and wait until it answers; { proc, base }. */
export async function startServer({ args = [], timeoutMs = 90_000 } = {}) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(path.join(ROOT, '.venv', 'bin', 'python'), ['-m', 'web.serve', '--port', String(port), ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode}): ${output}`);
    try {
      if ((await fetch(`${base}/api/models`)).ok) return { proc, base };
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  proc.kill('SIGKILL');
  throw new Error(`server did not answer within ${timeoutMs} ms: ${output}`);
}

/** Headless Debian Chromium through playwright-core. */
export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}
