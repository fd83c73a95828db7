/**
 * decodeMessage without keys (cleartext messages: IKE_SA_INIT and anything else) and with keys
 * (SK payloads): valid messages as the real encoder builds them, mutated in their header, their
 * payload chain and the substructures whose lengths and counts drive the decoder's loops.
 */
import { createAuthCipher, type AuthCipher } from '../../../src/crypto/index.ts';
import { AES128_CBC, AES128_GCM16, CHACHA20_POLY1305, HMAC_SHA256_128 } from '../../../src/crypto/algorithms/index.ts';
import {
  CfgType, CpAttributeType, decodeMessage, deletePayload, encodeMessage, ExchangeType, IdType, idPayload, ipv4Selector,
  kePayload, noncePayload, notifyPayload, NotifyType, PayloadType, ProtocolId, proposals, saPayload, tsPayload,
  type IkeMessage, type Payload,
} from '../../../src/ike/codec/index.ts';
import { MAX_PAYLOADS } from '../../../src/ike/codec/chain.ts';
import { equalBytes, fromHex, readU16, utf8 } from '../../../src/util/bytes.ts';
import { hex, mutate, noise, type Field } from '../mutate.ts';
import type { Rand } from '../rand.ts';
import { fuzzTarget, violated } from '../target.ts';

const SPI_I = fromHex('0102030405060708');
const SPI_R = fromHex('1112131415161718');

/** Payloads of every kind the codec knows, as a gateway or an initiator sends them. */
export function samplePayloads(rand: Rand): Payload[] {
  const all: (() => Payload)[] = [
    () => saPayload(proposals(ProtocolId.IKE, new Uint8Array(0), [
      [{ type: 1, id: 20, keyLength: 128 }, { type: 2, id: 5 }, { type: 4, id: 31 }],
      [{ type: 1, id: 12, keyLength: 256 }, { type: 3, id: 12 }, { type: 2, id: 5 }, { type: 4, id: 19 }],
    ])),
    () => saPayload(proposals(ProtocolId.ESP, fromHex('c0ffee01'), [[{ type: 1, id: 20, keyLength: 128 }, { type: 5, id: 0 }]])),
    () => kePayload(31, rand.bytes(32)),
    () => noncePayload(rand.bytes(32)),
    () => notifyPayload(NotifyType.NAT_DETECTION_SOURCE_IP, rand.bytes(20)),
    () => notifyPayload(NotifyType.REKEY_SA, new Uint8Array(0), ProtocolId.ESP, fromHex('c0ffee02')),
    () => notifyPayload(NotifyType.COOKIE, rand.bytes(16)),
    () => idPayload('IDr', IdType.FQDN, utf8('gateway.example.net')),
    () => idPayload('IDi', IdType.RFC822_ADDR, utf8('dev@example.org')),
    () => ({ kind: 'AUTH', method: 2, data: rand.bytes(32) }),
    () => ({ kind: 'CP', cfgType: CfgType.REPLY, attributes: [
      { type: CpAttributeType.INTERNAL_IP4_ADDRESS, value: Uint8Array.of(192, 0, 2, 7) },
      { type: CpAttributeType.INTERNAL_IP4_DNS, value: Uint8Array.of(198, 51, 100, 53) },
    ] }),
    () => tsPayload('TSi', [ipv4Selector(fromHex('c0000207'), fromHex('c0000207'))]),
    () => tsPayload('TSr', [ipv4Selector(fromHex('c6336400'), fromHex('c63364ff')), ipv4Selector(fromHex('c6336500'), fromHex('c63365ff'), 17, 53, 53)]),
    () => deletePayload(ProtocolId.ESP, [fromHex('01020304'), fromHex('05060708')]),
    () => deletePayload(ProtocolId.IKE),
    () => ({ kind: 'V', data: utf8('vendor') }),
    () => ({ kind: 'CERTREQ', encoding: 4, authorities: Array.from({ length: rand.int(3) }, () => rand.bytes(20)) }),
    () => ({ kind: 'CERT', encoding: 4, data: rand.bytes(1 + rand.int(600)) }),
    () => ({ kind: 'raw', type: 200, critical: rand.chance(0.5), body: rand.bytes(4) }), // unknown
  ];
  // A few of them, in any order: real exchanges carry 2..10.
  const n = 1 + rand.int(8);
  return Array.from({ length: n }, () => rand.pick(all)());
}

function sampleMessage(rand: Rand, response: boolean): IkeMessage {
  return {
    spiI: SPI_I, spiR: rand.chance(0.2) ? new Uint8Array(8) : SPI_R,
    exchange: rand.pick([ExchangeType.IKE_SA_INIT, ExchangeType.IKE_AUTH, ExchangeType.CREATE_CHILD_SA, ExchangeType.INFORMATIONAL, 99]),
    initiator: !response, response, messageId: rand.chance(0.7) ? rand.int(4) : rand.u32(),
    payloads: samplePayloads(rand),
  };
}

/**
 * The fields of an encoded message worth mutating: the header's, every generic payload header's,
 * and the length/count fields inside SA, N, D, TS and CP bodies. `chainStart`/`firstType` locate a
 * chain (the message's, or an SK plaintext's).
 */
function ikeFields(b: Uint8Array, chainStart = 28, firstType = b[16] ?? 0, header = true): Field[] {
  const fields: Field[] = header
    ? [{ at: 16, size: 1 }, { at: 17, size: 1 }, { at: 18, size: 1 }, { at: 19, size: 1 }, { at: 20, size: 4 }, { at: 24, size: 4 }]
    : [];
  let type = firstType;
  let at = chainStart;
  for (let n = 0; type !== PayloadType.NONE && at + 4 <= b.length && n < MAX_PAYLOADS; n++) {
    fields.push({ at, size: 1 }, { at: at + 1, size: 1 }, { at: at + 2, size: 2 });
    const length = readU16(b, at + 2);
    const body = at + 4;
    if (type === PayloadType.SK || length < 4) break;
    switch (type) {
      case PayloadType.SA:
        saFields(b, body, at + length, fields);
        break;
      case PayloadType.N:
      case PayloadType.D:
        fields.push({ at: body + 1, size: 1 }, { at: body + 2, size: 2 });
        break;
      case PayloadType.TSi:
      case PayloadType.TSr:
        fields.push({ at: body, size: 1 });
        for (let ts = body + 4; ts + 4 <= at + length; ts += Math.max(8, readU16(b, ts + 2))) fields.push({ at: ts, size: 1 }, { at: ts + 2, size: 2 });
        break;
      case PayloadType.CP:
        for (let a = body + 4; a + 4 <= at + length; a += 4 + readU16(b, a + 2)) fields.push({ at: a, size: 2 }, { at: a + 2, size: 2 });
        break;
      default:
    }
    type = b[at]!;
    at += length;
  }
  return fields;
}

function saFields(b: Uint8Array, start: number, end: number, fields: Field[]): void {
  for (let p = start; p + 8 <= end; ) {
    const length = readU16(b, p + 2);
    fields.push({ at: p, size: 1 }, { at: p + 2, size: 2 }, { at: p + 6, size: 1 }, { at: p + 7, size: 1 });
    const spi = b[p + 6]!;
    for (let t = p + 8 + spi; t + 8 <= p + length; ) {
      const tl = readU16(b, t + 2);
      fields.push({ at: t, size: 1 }, { at: t + 2, size: 2 }, { at: t + 8, size: 2 }, { at: t + 10, size: 2 });
      if (tl < 8) break;
      t += tl;
    }
    if (length < 8) break;
    p += length;
  }
}

/** Keeps the IKE header's length field true to the datagram, so mutations reach past decodeHeader. */
function fixLength(b: Uint8Array): Uint8Array {
  if (b.length >= 28) {
    b[24] = (b.length >>> 24) & 0xff;
    b[25] = (b.length >>> 16) & 0xff;
    b[26] = (b.length >>> 8) & 0xff;
    b[27] = b.length & 0xff;
  }
  return b;
}

function mutatedMessage(rand: Rand, valid: Uint8Array, fields: Field[]): Uint8Array {
  const m = mutate(rand, valid, { fields, maxEdits: 6 });
  return rand.chance(0.6) ? fixLength(m) : m;
}

interface PlainInput {
  bytes: Uint8Array;
  /** The valid message it was mutated from. */
  from?: Uint8Array;
  outcome?: string;
}

export const ikeDecode = fuzzTarget<undefined, PlainInput>({
  name: 'ike-decode',
  about: 'decodeMessage without keys: mutated cleartext messages (every payload kind), garbage; never throws, never claims authentication',
  episode: 1_000_000,
  setup: () => undefined,
  make(rand) {
    if (rand.chance(0.1)) {
      const b = noise(rand, 400);
      if (b.length >= 28 && rand.chance(0.7)) b[17] = 0x20;
      return { bytes: rand.chance(0.5) ? fixLength(b) : b };
    }
    const valid = encodeMessage(sampleMessage(rand, rand.chance(0.5)));
    return { bytes: mutatedMessage(rand, valid, ikeFields(valid)), from: valid };
  },
  feed(_s, input) {
    const r = decodeMessage(input.bytes);
    input.outcome = r.ok ? 'decoded' : r.error.code;
    if (!r.ok) violated(!r.error.authenticated, 'an error claims authentication without keys');
    else violated(r.value.message.encrypted === undefined, 'payloads decrypted without keys');
  },
  label: (_s, i) => i.outcome ?? '',
  show: (i) => `${hex(i.bytes)} (${i.from ? `mutated from ${hex(i.from)}` : 'noise'})`,
});

interface SkState {
  /** Each cipher with messages it sealed (forgeries start from them: sealing every input would cost more than decoding it). */
  ciphers: { name: string; cipher: AuthCipher; sealed: Uint8Array[] }[];
  /** Accepts any ICV: mutations reach the inner chain and the padding. */
  passThrough: AuthCipher;
}

interface SkInput {
  bytes: Uint8Array;
  cipher: AuthCipher;
  cipherName: string;
  /** The message as the peer sealed it: anything else must be refused unauthenticated. */
  authentic: Uint8Array | undefined;
  /** What it was made from: a valid message, or how. */
  from: Uint8Array | string;
  outcome?: string;
}

export const passThrough: AuthCipher = {
  encr: AES128_CBC, integ: undefined, ivLength: 0, icvLength: 0, blockSize: 1,
  seal: (_prefix, _iv, plaintext) => plaintext.slice(),
  open: (_prefix, _iv, data) => data.slice(),
  nextIv: () => new Uint8Array(0),
  wipe: () => {},
};

/** A cipher that mutates the plaintext (same length) before sealing it: authentic but malformed inside. */
export function corrupting(rand: Rand, cipher: AuthCipher): AuthCipher {
  return {
    ...cipher,
    seal: (prefix, iv, plaintext) => {
      const inner = plaintext.slice();
      const fields = ikeFields(inner, 0, prefix[prefix.length - 4] ?? 0, false);
      fields.push({ at: inner.length - 1, size: 1 }); // the pad length
      const m = mutate(rand, inner, { fields, maxEdits: 4 });
      const same = new Uint8Array(inner.length);
      same.set(m.subarray(0, inner.length));
      return cipher.seal(prefix, iv, same);
    },
  };
}

/** A message with an SK payload (and now and then a payload beside it). */
function skMessage(rand: Rand): IkeMessage {
  const msg = sampleMessage(rand, rand.chance(0.5));
  return { ...msg, exchange: msg.exchange === ExchangeType.IKE_SA_INIT ? ExchangeType.IKE_AUTH : msg.exchange, payloads: rand.chance(0.9) ? [] : msg.payloads.slice(0, 1), encrypted: samplePayloads(rand) };
}

export const ikeDecodeSk = fuzzTarget<SkState, SkInput>({
  name: 'ike-decode-sk',
  about: 'decodeMessage with keys (AES-GCM, ChaCha20-Poly1305, AES-CBC+HMAC, and a pass-through cipher to reach the inner chain): forged = never decrypted payloads nor an authenticated error; authentic but corrupt inside = no throw',
  episode: 20_000,
  setup(rand) {
    const random = { bytes: (n: number) => rand.bytes(n) };
    const ciphers = [
      { name: 'aes128gcm16', cipher: createAuthCipher({ encr: AES128_GCM16, encrKey: rand.bytes(20), random }), sealed: [] as Uint8Array[] },
      { name: 'chacha20poly1305', cipher: createAuthCipher({ encr: CHACHA20_POLY1305, encrKey: rand.bytes(36), random }), sealed: [] as Uint8Array[] },
      { name: 'aes128-sha256', cipher: createAuthCipher({ encr: AES128_CBC, encrKey: rand.bytes(16), integ: HMAC_SHA256_128, integKey: rand.bytes(32), random }), sealed: [] as Uint8Array[] },
    ];
    for (const c of ciphers) for (let i = 0; i < 64; i++) c.sealed.push(encodeMessage(skMessage(rand), c.cipher));
    return { ciphers, passThrough };
  },
  make(rand, s) {
    const sk = skMessage(rand);
    if (rand.chance(0.35)) {
      const valid = encodeMessage(sk, s.passThrough);
      const fields = ikeFields(valid);
      return { bytes: mutatedMessage(rand, valid, fields), cipher: s.passThrough, cipherName: 'pass-through', authentic: undefined, from: valid };
    }
    const { name, cipher, sealed } = rand.pick(s.ciphers);
    if (rand.chance(0.3)) {
      const bytes = encodeMessage(sk, corrupting(rand, cipher));
      return { bytes, cipher, cipherName: name, authentic: bytes, from: 'sealed after corrupting the plaintext' };
    }
    const valid = rand.pick(sealed);
    const bytes = rand.chance(0.1) ? valid : mutatedMessage(rand, valid, ikeFields(valid));
    return { bytes, cipher, cipherName: name, authentic: valid, from: valid };
  },
  feed(_s, input) {
    const r = decodeMessage(input.bytes, input.cipher);
    input.outcome = `${input.cipherName === 'pass-through' ? 'inner ' : ''}${r.ok ? 'decoded' : `${r.error.authenticated ? 'authenticated ' : ''}${r.error.code}`}`;
    if (input.authentic && !equalBytes(input.bytes, input.authentic)) {
      // It may still decode as a cleartext message (its SK payload renamed away), but never with decrypted payloads.
      if (r.ok) violated(r.value.message.encrypted === undefined, 'a forged message yielded decrypted payloads');
      else violated(!r.error.authenticated, `a forged message passed as authenticated (${r.error.code})`);
    }
  },
  label: (_s, i) => i.outcome ?? '',
  show: (i) => `${hex(i.bytes)} (${i.cipherName}; ${typeof i.from === 'string' ? i.from : `${i.authentic ? 'forged' : 'mutated'} from ${hex(i.from)}`})`,
});
