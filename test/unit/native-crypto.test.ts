/**
 * Both crypto backends give the same answers: the RFC vectors (test/native/crypto-vectors.ts) and a
 * differential run of random keys and messages, tampered tags and AAD, random and low-order peer
 * values, Ed25519 signatures (valid and tampered), P-384/P-521, HMAC-SHA-1, AES-192 and (vectors) MODP, on noble in Node and on the native module (hosts/native/crypto: PSA Crypto + libsodium)
 * in the ESP32 build's Linux twin, whose main runs the same cases (test/native/crypto-main.ts).
 * "refused" must agree too.
 *
 * The twin part needs the Moddable SDK and the 32-bit libraries (scripts/setup.sh); it skips
 * without them, except under CI=true.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import * as noble from '../../src/crypto/backend.ts';
import type { CryptoBackend } from '../../src/crypto/backend-api.ts';
import { ESP32_TEMPLATE } from '../../scripts/build-esp32.ts';
import { findModdableSdk, REPO_ROOT } from '../../scripts/moddable-sdk.ts';
import { buildXsDevice } from '../../scripts/xs-device.ts';
import { ROOMY } from '../../hosts/xs-device/budget.ts';
import { runCase, type CryptoCase } from '../native/crypto-cases.ts';
import { randomCases, sealedFollowUps } from '../native/crypto-random-cases.ts';
import { VECTORS } from '../native/crypto-vectors.ts';
import { toHex } from '../../src/util/bytes.ts';
import { seededRandom } from './seeded-random.ts';

noble satisfies CryptoBackend;

/** Ed25519 signatures made here (noble signs), verified as they are and with a bit flipped in each part. */
function signatureCases(random: ReturnType<typeof seededRandom>, count: number): CryptoCase[] {
  const out: CryptoCase[] = [];
  for (let i = 0; i < count; i++) {
    const secret = random.bytes(32);
    const message = random.bytes(Math.floor(random.next() * 300));
    const [signature, publicKey] = [toHex(ed25519.sign(message, secret)), toHex(ed25519.getPublicKey(secret))];
    const flip = (h: string, at: number) => h.slice(0, 2 * at) + (parseInt(h.slice(2 * at, 2 * at + 2), 16) ^ 0x10).toString(16).padStart(2, '0') + h.slice(2 * at + 2);
    out.push({ op: 'ed25519-verify', signature, message: toHex(message), publicKey });
    out.push({ op: 'ed25519-verify', signature: flip(signature, i % 64), message: toHex(message), publicKey });
    out.push({ op: 'ed25519-verify', signature, message: toHex(message), publicKey: flip(publicKey, i % 32) });
    if (message.length) out.push({ op: 'ed25519-verify', signature, message: flip(toHex(message), i % message.length), publicKey });
  }
  return out;
}

/** Every case: the vectors, 40 random rounds, Ed25519 signatures, and the opens of what those sealed (tampered too). */
function allCases(): CryptoCase[] {
  const random = seededRandom(0x25c0de);
  const first = [...VECTORS.map((v) => v.c), ...randomCases(random, 40), ...signatureCases(random, 20)];
  return [...first, ...sealedFollowUps(first, first.map((c) => runCase(noble, c)), random)];
}

test('noble gives the RFC answers, refusals included', () => {
  for (const v of VECTORS) assert.equal(runCase(noble, v.c), v.expect, v.name);
});

const found = findModdableSdk();
const missing = !found.ok ? found.reason : !fs.existsSync('/usr/lib/i386-linux-gnu/libsodium.so') || !fs.existsSync('/usr/lib/i386-linux-gnu/libmbedcrypto.so') ? '32-bit libsodium/libmbedcrypto missing (scripts/setup.sh)' : undefined;

test('the native backend in the twin agrees with noble on every vector and random input', {
  skip: missing && process.env.CI !== 'true' ? missing : false,
  timeout: 5 * 60_000,
}, async (t) => {
  if (!found.ok || missing) throw new Error(`CI=true and the twin cannot be built: ${missing}`);
  const cases = allCases();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-native-crypto-'));
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  fs.writeFileSync(path.join(work, 'cases.json'), JSON.stringify(cases));
  fs.writeFileSync(path.join(work, 'main.ts'), `import { runAll } from ${JSON.stringify(path.join(REPO_ROOT, 'test/native/crypto-main.ts'))};\nimport cases from './cases.json';\nrunAll(cases as never);\n`);
  fs.writeFileSync(path.join(work, 'manifest.json'), JSON.stringify({ config: { psk: 'native-crypto-test-psk-0123456789ab', crypto: 'native' } }));
  const build = await buildXsDevice(found.sdk, { manifest: path.join(work, 'manifest.json'), main: path.join(work, 'main.ts'), creation: ROOMY }, work);
  assert.match(fs.readFileSync(ESP32_TEMPLATE, 'utf8'), /"crypto": "native"/, 'the ESP32 manifest ships the native backend');

  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(build.binary, ['--serial', '/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (d: string) => {
      text += d;
      if (text.includes('crypto-cases-done\n') || text.includes('@ikelet abort') || text.includes('@ikelet exception')) child.stdin.end('exit\n');
    });
    child.on('error', reject);
    child.on('exit', () => resolve(text));
  });
  assert.doesNotMatch(out, /@ikelet (abort|exception)/, 'the program ran to its end');
  const native = new Map([...out.matchAll(/^crypto-case (\d+) (.*)$/gm)].map((m) => [Number(m[1]), m[2]!]));
  assert.equal(native.size, cases.length, 'a result for every case');
  const refused = { noble: 0, native: 0 };
  cases.forEach((c, i) => {
    const expected = runCase(noble, c);
    const got = native.get(i)!;
    if (expected === 'refused') refused.noble++;
    if (got === 'refused') refused.native++;
    const name = i < VECTORS.length ? VECTORS[i]!.name : `random case ${i} (${c.op})`;
    assert.doesNotMatch(got, /^threw/, `${name}: native threw`);
    assert.equal(got, expected, `${name}: native and noble disagree`);
    if (i < VECTORS.length) assert.equal(got, VECTORS[i]!.expect, name);
  });
  t.diagnostic(`${cases.length} cases agree (refused: ${refused.native}); twin built in ${work}`);
  assert.ok(refused.native >= 100, 'the refusals were exercised');
});
