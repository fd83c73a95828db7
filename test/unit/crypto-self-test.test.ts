/**
 * The boot self-test (src/crypto/self-test.ts): every algorithm the agent speaks has its known
 * answer, a primitive that answers wrong is named, and startAgent() then keeps the tunnel down
 * (it never even talks to the modem) with one clear log line.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { startAgent } from '../../src/agent/start.ts';
import { catalogOf, type Catalog } from '../../src/crypto/algorithm.ts';
import { AES128_GCM16, CHACHA20_POLY1305, CURVE25519, PRF_HMAC_SHA256 } from '../../src/crypto/algorithms/index.ts';
import { CATALOG } from '../../src/crypto/catalog.ts';
import type { AeadEncr } from '../../src/crypto/encr.ts';
import { cryptoSelfTest } from '../../src/crypto/self-test.ts';
import type { Platform } from '../../src/platform.ts';

test('every algorithm of the full catalog answers its known answers (noble)', () => {
  assert.equal(cryptoSelfTest(CATALOG), undefined);
  assert.ok(CATALOG.encr.length + CATALOG.prf.length + CATALOG.integ.length + CATALOG.dh.length >= 10);
});

test('a primitive that answers wrong, or throws, is named', () => {
  const flipped: AeadEncr = {
    ...CHACHA20_POLY1305,
    cipher: (key) => {
      const k = CHACHA20_POLY1305.cipher(key);
      return { ...k, seal: (n, a, p) => { const s = k.seal(n, a, p); s[5]! ^= 1; return s; } };
    },
  };
  const catalog = (encr: AeadEncr): Catalog => catalogOf([encr, PRF_HMAC_SHA256, CURVE25519]);
  assert.equal(cryptoSelfTest(catalog(flipped)), 'chacha20poly1305');
  assert.equal(cryptoSelfTest(catalog({ ...AES128_GCM16, cipher: () => { throw new Error('no key slot'); } })), 'aes128gcm16');
  // An open that accepts a tampered text fails too, though its seal is right.
  const lax: AeadEncr = { ...AES128_GCM16, cipher: (key) => { const k = AES128_GCM16.cipher(key); return { ...k, open: (n, a, s) => k.open(n, a, s) ?? new Uint8Array(s.length - 16) }; } };
  assert.equal(cryptoSelfTest(catalog(lax)), 'aes128gcm16');
});

function platform(): { platform: Platform; writes: Uint8Array[]; logs: string[]; run(ms: number): void } {
  const config = (JSON.parse(fs.readFileSync('manifests/lab/manifest.json', 'utf8')) as { config: unknown }).config;
  let now = 0;
  let timer: { at: number; fire: () => void } | undefined;
  const writes: Uint8Array[] = [];
  const logs: string[] = [];
  const p: Platform = {
    serial: { write: (b) => void writes.push(b), onReceive: () => {} },
    clock: { now: () => now },
    timer: { schedule: (at, fire) => { timer = at === undefined ? undefined : { at, fire }; } },
    random: { bytes: (n) => new Uint8Array(n).fill(7) },
    log: (level, component, message) => void logs.push(`${level} ${component}: ${message}`),
    config,
  };
  return {
    platform: p, writes, logs,
    run(ms) {
      const end = now + ms;
      while (timer && timer.at <= end) {
        now = Math.max(now, timer.at);
        const t = timer;
        timer = undefined;
        t.fire();
      }
      now = end;
    },
  };
}

test('startAgent keeps the tunnel down when the self-test fails, and says why once', () => {
  const failing = platform();
  startAgent(failing.platform, () => 'x25519');
  failing.run(60_000);
  assert.deepEqual(failing.writes, [], 'not a byte to the modem');
  const said = failing.logs.filter((l) => l.includes('self-test failed'));
  assert.equal(said.length, 1);
  assert.match(said[0]!, /^error crypto: self-test failed: x25519 gave a wrong answer; the tunnel stays down/);

  const passing = platform();
  startAgent(passing.platform, () => undefined);
  passing.run(5_000);
  assert.ok(passing.writes.length > 0, 'the agent talks to the modem');
  assert.ok(!passing.logs.some((l) => l.includes('self-test')));
});
