/** Randomized mutations of valid messages: decode must never throw, whatever the bytes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AES128_CBC, HMAC_SHA256_128, createAuthCipher } from '../../src/crypto/index.ts';
import type { AuthCipher } from '../../src/crypto/index.ts';
import {
  ExchangeType, IdType, NotifyType, ProtocolId, cpRequest, decodeMessage, deletePayload, encodeMessage, idPayload,
  ipv4Selector, kePayload, noncePayload, notifyPayload, proposals, saPayload, tsPayload,
} from '../../src/ike/codec/index.ts';
import type { IkeMessage } from '../../src/ike/codec/index.ts';
import { fromHex, utf8 } from '../../src/util/bytes.ts';

/** Deterministic PRNG so a failure is reproducible. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

function mutate(b: Uint8Array, rnd: () => number): Uint8Array {
  const pick = (n: number): number => Math.floor(rnd() * n);
  const out = Array.from(b);
  const edits = 1 + pick(4);
  for (let e = 0; e < edits; e++) {
    const at = pick(out.length + 1);
    switch (pick(6)) {
      case 0: out[at] = pick(256); break; // random byte
      case 1: out[at] = (out[at] ?? 0) ^ (1 << pick(8)); break; // bit flip
      case 2: out.splice(at, 1 + pick(8)); break; // delete
      case 3: out.splice(at, 0, ...Array.from({ length: 1 + pick(8) }, () => pick(256))); break; // insert
      case 4: out.length = pick(out.length + 1); break; // truncate
      case 5: out[at] = [0, 0xff, 0x7f, 0x80][pick(4)]!; break; // boundary values in length fields
    }
  }
  const bytes = Uint8Array.from(out.filter((x) => x !== undefined));
  // Keep the header length consistent half of the time, so mutations reach the payload parsers.
  if (bytes.length >= 28 && rnd() < 0.5) {
    bytes[24] = 0; bytes[25] = 0; bytes[26] = bytes.length >> 8; bytes[27] = bytes.length & 0xff;
  }
  return bytes;
}

const everything: IkeMessage = {
  spiI: fromHex('0102030405060708'), spiR: fromHex('1112131415161718'), exchange: ExchangeType.IKE_AUTH,
  initiator: true, response: false, messageId: 1,
  payloads: [
    saPayload(proposals(ProtocolId.IKE, new Uint8Array(0), [[{ type: 1, id: 20, keyLength: 128 }, { type: 2, id: 5 }, { type: 4, id: 31 }]])),
    kePayload(31, new Uint8Array(32).fill(1)),
    noncePayload(new Uint8Array(32).fill(2)),
    notifyPayload(NotifyType.NAT_DETECTION_SOURCE_IP, new Uint8Array(20).fill(3)),
    idPayload('IDi', IdType.RFC822_ADDR, utf8('dev@example.org')),
    { kind: 'AUTH', method: 2, data: new Uint8Array(32).fill(4) },
    cpRequest(),
    tsPayload('TSi', [ipv4Selector(fromHex('0a000001'), fromHex('0a000001'))]),
    tsPayload('TSr', [ipv4Selector(fromHex('c6336400'), fromHex('c63364ff'))]),
    deletePayload(ProtocolId.ESP, [fromHex('01020304')]),
    { kind: 'V', data: utf8('vendor') },
  ],
};

test('thousands of mutated cleartext messages never make decode throw', () => {
  const rnd = prng(0xc0ffee);
  const base = encodeMessage(everything);
  let decodedOk = 0;
  for (let i = 0; i < 5000; i++) {
    const r = decodeMessage(mutate(base, rnd));
    if (r.ok) decodedOk++;
    else assert.equal(typeof r.error.message, 'string');
  }
  assert.ok(decodedOk < 5000);
});

/** A pass-through "cipher" so mutations reach the inner payload parser behind the SK payload. */
const nullCipher: AuthCipher = {
  encr: AES128_CBC, integ: undefined, ivLength: 0, icvLength: 0, blockSize: 1,
  seal: (_prefix, _iv, plaintext) => plaintext.slice(),
  open: (_prefix, _iv, data) => data.slice(),
  nextIv: () => new Uint8Array(0),
  wipe: () => {},
};

test('mutated SK contents never make decode throw (inner chain, padding)', () => {
  const rnd = prng(42);
  const msg: IkeMessage = { ...everything, payloads: [], encrypted: everything.payloads };
  const base = encodeMessage(msg, nullCipher);
  assert.deepEqual(decodeMessage(base, nullCipher).ok, true);
  for (let i = 0; i < 5000; i++) decodeMessage(mutate(base, rnd), nullCipher);
});

test('mutated real SK messages never make decode throw', () => {
  const rnd = prng(7);
  const cipher = createAuthCipher({
    encr: AES128_CBC, encrKey: new Uint8Array(16).fill(1), integ: HMAC_SHA256_128, integKey: new Uint8Array(32).fill(2),
    random: { bytes: (n) => new Uint8Array(n).fill(9) },
  });
  const base = encodeMessage({ ...everything, payloads: [], encrypted: everything.payloads }, cipher);
  for (let i = 0; i < 2000; i++) decodeMessage(mutate(base, rnd), cipher);
});

test('random garbage never makes decode throw', () => {
  const rnd = prng(99);
  for (let i = 0; i < 3000; i++) {
    const len = Math.floor(rnd() * 120);
    const b = Uint8Array.from({ length: len }, () => Math.floor(rnd() * 256));
    if (len >= 28 && rnd() < 0.7) { b[17] = 0x20; b[24] = 0; b[25] = 0; b[26] = 0; b[27] = len; }
    decodeMessage(b, nullCipher);
  }
});
