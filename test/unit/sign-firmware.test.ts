/** npm run sign-firmware: a key pair, a signed manifest the device accepts, and its refusals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseManifest } from '../../src/firmware/manifest.ts';
import { signedBytes, verifyEd25519 } from '../../src/firmware/signature.ts';

const tool = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/sign-firmware.ts', ...args], { encoding: 'utf8' });

test('keygen, sign, verify: the manifest verifies with the printed key over the canonical bytes; bad input refused', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-sign-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const key = path.join(dir, 'release.key');
  const image = path.join(dir, 'app.bin');
  const manifest = path.join(dir, 'manifest.json');
  fs.writeFileSync(image, Buffer.alloc(3000, 7));

  const made = tool('keygen', '--out', key);
  assert.equal(made.status, 0, made.stderr);
  const publicKey = made.stdout.trim();
  assert.match(publicKey, /^[0-9a-f]{64}$/);
  assert.equal(fs.statSync(key).mode & 0o777, 0o600, 'the secret key is readable by its owner only');
  assert.notEqual(tool('keygen', '--out', key).status, 0, 'an existing key is never overwritten');

  const signed = tool('sign', '--key', key, '--image', image, '--version', '1.4.0-rc.2', '--path', '/firmware/image-1.4.0-rc.2.bin', '--out', manifest);
  assert.equal(signed.status, 0, signed.stderr);
  const m = parseManifest(fs.readFileSync(manifest, 'utf8'), 1 << 20);
  assert.ok(m.ok && m.value.key && m.value.signature);
  assert.equal(m.value.size, 3000);
  assert.ok(verifyEd25519(m.value.signature, signedBytes(m.value), Buffer.from(publicKey, 'hex')), 'the device\'s own check accepts it');

  assert.equal(tool('verify', '--manifest', manifest, '--keys', `${'ab'.repeat(32)},${publicKey}`, '--image', image).status, 0);
  const stranger = tool('verify', '--manifest', manifest, '--keys', 'ab'.repeat(32));
  assert.equal(stranger.status, 1);
  assert.match(stranger.stdout, /refused: key .* is not among the keys given/);
  fs.writeFileSync(image, Buffer.alloc(3000, 8));
  assert.match(tool('verify', '--manifest', manifest, '--keys', publicKey, '--image', image).stdout, /refused: the image is not the one the manifest names/);
  const notSemver = tool('sign', '--key', key, '--image', image, '--version', '1.4', '--path', '/f.bin');
  assert.equal(notSemver.status, 2);
  assert.match(notSemver.stderr, /not SemVer 2\.0/);
});
