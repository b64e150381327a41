// A model folder swapped for a link to a folder holding a secret, right after the reader's first look at it and
// in a loop beside reads: the Node reader never returns the secret, because it opens the folder (never through a
// link) and looks its files up through that open folder (/proc/self/fd/N/<name> on Linux).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { folderIO } from '../../verify/node/load.js';

const SECRET = 'TOP-SECRET-0123456789';
const REAL = '{"weightsManifest": []}';
let root;
before(async () => { root = await mkdtemp(path.join(tmpdir(), 'tfjs-bridge-swap-')); });
after(async () => root && rm(root, { recursive: true, force: true }));

/** A models root with folder m holding model.json, and a secret folder beside it; { folder, secret }. */
async function layout(name) {
  const folder = path.join(root, name, 'models', 'm');
  const secret = path.join(root, name, 'secret');
  await mkdir(folder, { recursive: true });
  await mkdir(secret);
  await writeFile(path.join(folder, 'model.json'), REAL);
  await writeFile(path.join(secret, 'model.json'), SECRET);
  return { folder, secret };
}

/** Swap folder for a link to secret (or back), synchronously. */
function swap(folder, secret, toLink) {
  if (toLink) {
    fs.renameSync(folder, `${folder}.parked`);
    fs.symlinkSync(secret, folder);
  } else {
    fs.unlinkSync(folder);
    fs.renameSync(`${folder}.parked`, folder);
  }
}

/** Run read with node:fs/promises' `name` wrapped to swap folder for the link right after its first call. */
async function swappingAfterFirst(name, folder, secret, read) {
  const real = fs.promises[name];
  let swapped = false;
  fs.promises[name] = async (...args) => {
    const result = await real(...args);
    if (!swapped) {
      swapped = true;
      swap(folder, secret, true);
    }
    return result;
  };
  syncBuiltinESMExports(); // load.js's named imports of node:fs/promises now see the wrapper
  try {
    const outcome = await read().then((b) => new TextDecoder().decode(b), (err) => err);
    assert.ok(swapped && fs.lstatSync(folder).isSymbolicLink(), 'the folder was a link by the time the file was read');
    return outcome;
  } finally {
    fs.promises[name] = real;
    syncBuiltinESMExports();
  }
}

test('a swap right after the folder is first looked at is refused, never read through', async () => {
  const { folder, secret } = await layout('after-lstat');
  const outcome = await swappingAfterFirst('lstat', folder, secret, () => folderIO(folder).readBytes('model.json', 1000));
  assert.match(outcome.message, /^the model folder was replaced while being opened; refused$/);
});

test('a swap right after the folder is opened cannot redirect the read: the file is read from the opened folder', async () => {
  const { folder, secret } = await layout('after-open');
  const outcome = await swappingAfterFirst('open', folder, secret, () => folderIO(folder).readBytes('model.json', 1000));
  assert.equal(outcome, REAL);
});

test('a folder swapped for a link in a loop beside reads never yields what the link reaches', async () => {
  const { folder, secret } = await layout('loop');
  const io = folderIO(folder);
  let swaps = 0;
  const outcomes = { real: 0, refused: 0 };
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    const reading = io.readBytes('model.json', 1000).then((b) => new TextDecoder().decode(b), () => null);
    swap(folder, secret, swaps % 2 === 0); // between the read's steps: each await lets it go on
    swaps += 1;
    const text = await reading;
    assert.notEqual(text, SECRET, 'read the file behind the link');
    outcomes[text === REAL ? 'real' : 'refused'] += 1;
  }
  assert.ok(swaps > 100 && outcomes.real > 10 && outcomes.refused > 10, JSON.stringify({ swaps, ...outcomes }));
  console.log(`Node reader: ${swaps} swaps in 2 s, ${outcomes.real} reads of the real folder, ${outcomes.refused} refused; the secret never read`);
});
