/** ESP SAs: RFC 7634 ESP example, round trips for every suite, tampering, replay, padding, sequence exhaustion. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthCipher, espSuiteFromTransforms } from '../../src/crypto/index.ts';
import type { EspSuite, Result } from '../../src/crypto/index.ts';
import { EspDrop, EspInboundSa, EspOutboundSa } from '../../src/esp/index.ts';
import type { EspSaParams } from '../../src/esp/index.ts';
import type { Random } from '../../src/platform.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';
import { DropCounter, silentLogger } from '../../src/util/log.ts';

let seed = 7;
const random: Random = { bytes: (n) => Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) };

function ok<T>(r: Result<T>): T {
  if (!r.ok) assert.fail(r.error);
  return r.value;
}

const SUITES: Record<string, EspSuite> = {
  aes128gcm16: ok(espSuiteFromTransforms([{ type: 1, id: 20, keyLength: 128 }, { type: 5, id: 0 }])),
  aes256gcm16: ok(espSuiteFromTransforms([{ type: 1, id: 20, keyLength: 256 }, { type: 5, id: 0 }])),
  chacha20poly1305: ok(espSuiteFromTransforms([{ type: 1, id: 28 }, { type: 5, id: 0 }])),
  'aes128-sha256': ok(espSuiteFromTransforms([{ type: 1, id: 12, keyLength: 128 }, { type: 3, id: 12 }, { type: 5, id: 0 }])),
  'aes256-sha256': ok(espSuiteFromTransforms([{ type: 1, id: 12, keyLength: 256 }, { type: 3, id: 12 }, { type: 5, id: 0 }])),
};

function params(suite: EspSuite, spi = 0xc0ffee01): EspSaParams {
  return {
    spi, suite, encrKey: new Uint8Array(suite.encr.keyLength).fill(0x42),
    ...(suite.integ ? { integKey: new Uint8Array(suite.integ.keyLength).fill(0x24) } : {}),
  };
}

function pair(suite: EspSuite): { out: EspOutboundSa; inb: EspInboundSa; drops: DropCounter } {
  const drops = new DropCounter(silentLogger());
  return { out: new EspOutboundSa(params(suite), { random, drops }), inb: new EspInboundSa(params(suite), { random, drops }), drops };
}

/** A fake inner IPv4 packet of a given length. */
function ipv4(length: number): Uint8Array {
  const p = Uint8Array.from({ length }, (_, i) => (i * 31) & 0xff);
  if (length > 0) p[0] = 0x45;
  return p;
}

// RFC 7634 appendix A: ESP with ChaCha20-Poly1305, SPI 0x01020304, seq 5, IV 1011121314151617.
const RFC7634_KEY = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3');
const RFC7634_INNER = fromHex(
  '4500005 4a6f20000 4001e778 c6336405 c0000205 08005b7a 3a080000 553bec10 00073627 08090a0b 0c0d0e0f 10111213' +
  '14151617 18191a1b 1c1d1e1f 20212223 24252627 28292a2b 2c2d2e2f 30313233 34353637');
const RFC7634_ESP = fromHex(
  '01020304 00000005 1011121314151617' +
  '24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c614ee8099d52844eb61aa95dfab4c02f7' +
  '2aa71e7c4c4f64c9befe2facc638e8f3cbec163fac469b502773f6fb94e664da9165b82829f641e076aaa8266b7fb0f7' +
  'b11b369907e1ad43');

test('RFC 7634 appendix A ESP example decapsulates to the inner ICMP packet', () => {
  const drops = new DropCounter(silentLogger());
  const inb = new EspInboundSa({ spi: 0x01020304, suite: SUITES.chacha20poly1305!, encrKey: RFC7634_KEY }, { random, drops });
  const inner = inb.open(RFC7634_ESP);
  assert.equal(drops.total(), 0);
  assert.deepEqual(inner, RFC7634_INNER);
  assert.equal(inb.highestSequence, 5);
  assert.equal(inb.packets, 1);
  assert.equal(inb.bytes, 84);
});

test('outbound packets use the RFC 4303 trailer layout (pad 1,2,.. | pad length | next header 4)', () => {
  const drops = new DropCounter(silentLogger());
  const out = new EspOutboundSa({ spi: 0x01020304, suite: SUITES.chacha20poly1305!, encrKey: RFC7634_KEY }, { random, drops }, { lastSequence: 4 });
  const packet = out.protect(RFC7634_INNER)!;
  assert.equal(toHex(packet.subarray(0, 8)), '01020304' + '00000005');
  // IV = sequence number XOR a per-SA mask (unique per packet, without the zero runs PPP must escape): 5 ^ 6 = 3.
  const next = out.protect(RFC7634_INNER)!;
  assert.equal(toHex(packet.subarray(8, 16).map((b, i) => b ^ next[8 + i]!)), '0000000000000003');
  const cipher = createAuthCipher({ encr: SUITES.chacha20poly1305!.encr, encrKey: RFC7634_KEY, random });
  const plaintext = cipher.open(packet.subarray(0, 8), packet.subarray(8, 16), packet.subarray(16))!;
  // Same plaintext as the RFC example, which pads 84 bytes with 01 02, pad length 02, next header 04.
  assert.equal(toHex(plaintext), toHex(RFC7634_INNER) + '01020204');
});

test('round trip for every ESP suite and many inner lengths, with aligned ciphertext', () => {
  for (const [name, suite] of Object.entries(SUITES)) {
    const { out, inb, drops } = pair(suite);
    const align = suite.encr.aead ? 4 : 16;
    let sent = 0;
    for (let length = 20; length <= 120; length++) {
      const inner = ipv4(length);
      const packet = out.protect(inner)!;
      sent += length;
      const body = packet.length - 8 - suite.encr.ivLength - (suite.encr.aead ? 16 : 16);
      assert.equal(body % align, 0, `${name} length ${length}`);
      assert.deepEqual(inb.open(packet), inner, `${name} length ${length}`);
    }
    assert.equal(drops.total(), 0, name);
    assert.equal(out.packets, 101);
    assert.equal(out.bytes, sent);
    assert.equal(inb.packets, 101);
    assert.equal(inb.bytes, sent);
    assert.equal(out.sequence, 101);
  }
});

test('a flipped bit anywhere is an ICV failure, counted not thrown, and does not move the window', () => {
  for (const [name, suite] of Object.entries(SUITES)) {
    const { out, inb, drops } = pair(suite);
    const packet = out.protect(ipv4(60))!;
    let failures = 0;
    for (let bit = 64; bit < packet.length * 8; bit++) { // past SPI and seq: those hit other checks
      const t = packet.slice();
      t[bit >> 3]! ^= 1 << (bit & 7);
      assert.equal(inb.open(t), undefined);
      failures++;
    }
    assert.equal(drops.count(EspDrop.BAD_ICV), failures, name);
    // The authentic packet still gets through: failed packets never touched the replay window.
    assert.deepEqual(inb.open(packet), ipv4(60), name);
    // A flipped sequence number (authenticated as AAD) also fails the ICV.
    const t = packet.slice();
    t[7]! ^= 0x40;
    assert.equal(inb.open(t), undefined);
    assert.equal(drops.count(EspDrop.BAD_ICV), failures + 1);
  }
});

test('replays, reordering and the window through the SA', () => {
  const { out, inb, drops } = pair(SUITES.aes128gcm16!);
  const packets = Array.from({ length: 200 }, (_, i) => out.protect(ipv4(40 + (i % 7)))!);
  assert.ok(inb.open(packets[150]!));
  assert.ok(inb.open(packets[100]!)); // out of order, inside the window
  assert.equal(inb.open(packets[100]!), undefined); // duplicate
  assert.equal(drops.count(EspDrop.REPLAY), 1);
  assert.equal(inb.open(packets[10]!), undefined); // seq 11 is more than 128 behind 151
  assert.equal(drops.count(EspDrop.TOO_OLD), 1);
  assert.ok(inb.open(packets[199]!));
  assert.equal(inb.highestSequence, 200);
});

test('unknown SPI, truncation, zero sequence: dropped and counted by the inbound SA', () => {
  const drops = new DropCounter(silentLogger());
  const b = new EspInboundSa(params(SUITES.aes256gcm16!, 0x2000), { random, drops });
  const outB = new EspOutboundSa(params(SUITES.aes256gcm16!, 0x2000), { random, drops });
  assert.deepEqual(b.open(outB.protect(ipv4(50))!), ipv4(50));
  const outX = new EspOutboundSa(params(SUITES.aes256gcm16!, 0x3000), { random, drops });
  assert.equal(b.open(outX.protect(ipv4(50))!), undefined);
  assert.equal(drops.count(EspDrop.UNKNOWN_SPI), 1);
  assert.equal(b.open(fromHex('000020')), undefined);
  assert.equal(b.open(fromHex('00002000 00000001 00')), undefined);
  assert.equal(drops.count(EspDrop.TRUNCATED), 2);
  const zero = outB.protect(ipv4(50))!;
  zero.fill(0, 4, 8);
  assert.equal(b.open(zero), undefined);
  assert.equal(drops.count(EspDrop.ZERO_SEQUENCE), 1);
});

/** Seals a hand-made trailer with valid ICV to test the checks that come after it. */
function craft(suite: EspSuite, spi: number, seq: number, plaintext: Uint8Array): Uint8Array {
  const p = params(suite, spi);
  const cipher = p.integKey
    ? createAuthCipher({ encr: suite.encr, encrKey: p.encrKey, integ: suite.integ!, integKey: p.integKey, random })
    : createAuthCipher({ encr: suite.encr, encrKey: p.encrKey, random });
  const header = fromHex(spi.toString(16).padStart(8, '0') + seq.toString(16).padStart(8, '0'));
  const iv = new Uint8Array(suite.encr.ivLength).fill(seq);
  const sealed = cipher.seal(header, iv, plaintext);
  const out = new Uint8Array(8 + iv.length + sealed.length);
  out.set(header, 0); out.set(iv, 8); out.set(sealed, 8 + iv.length);
  return out;
}

test('authentic packets with bad padding, dummy or non-IPv4 next header are dropped and counted', () => {
  for (const suite of [SUITES.aes128gcm16!, SUITES['aes128-sha256']!]) {
    const drops = new DropCounter(silentLogger());
    const inb = new EspInboundSa(params(suite, 0x77), { random, drops });
    const block = suite.encr.aead ? 4 : 16;
    const trailer = (body: number[], pad: number[], padLength: number, nh: number): Uint8Array => {
      const bytes = [...body, ...pad, padLength, nh];
      while (bytes.length % block !== 0) bytes.unshift(0x45);
      return Uint8Array.from(bytes);
    };
    assert.equal(inb.open(craft(suite, 0x77, 1, trailer([1, 2], [1, 3], 2, 4))), undefined); // wrong pad bytes
    assert.equal(inb.open(craft(suite, 0x77, 2, Uint8Array.from([...new Array(block - 2).fill(0), 200, 4]))), undefined); // pad longer than data
    assert.equal(drops.count(EspDrop.BAD_PADDING), 2);
    assert.equal(inb.open(craft(suite, 0x77, 3, trailer([1, 2], [], 0, 59))), undefined);
    assert.equal(drops.count(EspDrop.DUMMY), 1);
    assert.equal(inb.open(craft(suite, 0x77, 4, trailer([1, 2], [], 0, 41))), undefined); // IPv6
    assert.equal(drops.count(EspDrop.NOT_IPV4), 1);
    // The packets were authentic, so their sequence numbers are now used up.
    assert.equal(inb.open(craft(suite, 0x77, 4, trailer([1, 2], [], 0, 4))), undefined);
    assert.equal(drops.count(EspDrop.REPLAY), 1);
    assert.ok(inb.open(craft(suite, 0x77, 5, trailer([1, 2], [], 0, 4))));
  }
});

test('sequence numbers: rekey signal, then refusal at the 32-bit limit (no wrap)', () => {
  const drops = new DropCounter(silentLogger());
  const suite = SUITES.aes128gcm16!;
  const out = new EspOutboundSa(params(suite), { random, drops }, { lastSequence: 0xfffffffd, rekeySequence: 0xfffffffe });
  assert.equal(out.rekeyNeeded, false);
  const p1 = out.protect(ipv4(30))!;
  assert.equal(toHex(p1.subarray(4, 8)), 'fffffffe');
  assert.equal(out.rekeyNeeded, true);
  assert.equal(out.exhausted, false);
  const p2 = out.protect(ipv4(30))!;
  assert.equal(toHex(p2.subarray(4, 8)), 'ffffffff');
  assert.equal(out.exhausted, true);
  assert.equal(out.protect(ipv4(30)), undefined);
  assert.equal(out.protect(ipv4(30)), undefined);
  assert.equal(drops.count(EspDrop.SEQ_EXHAUSTED), 2);
  assert.equal(out.packets, 2);
  const fresh = new EspOutboundSa(params(suite), { random, drops });
  assert.equal(fresh.rekeyNeeded, false);
});

test('CBC packets carry a fresh random IV each time', () => {
  const { out } = pair(SUITES['aes256-sha256']!);
  const a = out.protect(ipv4(40))!;
  const b = out.protect(ipv4(40))!;
  assert.notEqual(toHex(a.subarray(8, 24)), toHex(b.subarray(8, 24)));
});
