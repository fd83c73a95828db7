/**
 * EspInboundSa.open on every ESP suite: authentic packets (new, replayed, out of order, far ahead,
 * left of the window, sequence 0, corrupt inside the encryption: bad padding, dummy and non-IPv4
 * next headers) and forgeries of them. Checked against a plain model of the RFC 4303 3.4.3 window:
 * what is accepted, what comes out (exactly the inner packet), and that nothing unauthenticated
 * moves the window.
 */
import { createAuthCipher, type AuthCipher } from '../../../src/crypto/index.ts';
import { AES128_CBC, AES128_GCM16, AES256_GCM16, CHACHA20_POLY1305, HMAC_SHA256_128 } from '../../../src/crypto/algorithms/index.ts';
import type { EspSuite } from '../../../src/crypto/suites.ts';
import { EspInboundSa, NEXT_HEADER_IPV4, NEXT_HEADER_NONE } from '../../../src/esp/index.ts';
import { equalBytes, writeU32 } from '../../../src/util/bytes.ts';
import { DropCounter, silentLogger } from '../../../src/util/log.ts';
import { hex, mutate, noise } from '../mutate.ts';
import type { Rand } from '../rand.ts';
import { fuzzTarget, violated } from '../target.ts';

const WINDOW = 128;

/** RFC 4303 3.4.3, written the obvious way: the highest sequence number and the ones seen in the window. */
class WindowModel {
  top = 0;
  private readonly seen = new Set<number>();

  accepts(seq: number): boolean {
    if (seq === 0) return false;
    if (seq > this.top) return true;
    return this.top - seq < WINDOW && !this.seen.has(seq);
  }

  update(seq: number): void {
    if (seq > this.top) this.top = seq;
    this.seen.add(seq);
    for (const s of this.seen) if (this.top - s >= WINDOW) this.seen.delete(s);
  }
}

interface EspState {
  sa: EspInboundSa;
  cipher: AuthCipher;
  spi: number;
  suite: string;
  model: WindowModel;
  /** Recent authentic packets, for replays and forgeries. */
  recent: Uint8Array[];
}

interface EspInput {
  packet: Uint8Array;
  /** Set when the packet is exactly what the peer sealed. */
  seq?: number;
  /** What open() must return when the window lets the packet in. */
  inner?: Uint8Array;
  from: string;
  /** The authentic packet a forgery was made from. */
  original?: Uint8Array;
  outcome?: string;
}

const SUITES: { name: string; suite: EspSuite; keys: (rand: Rand) => { encrKey: Uint8Array; integKey?: Uint8Array } }[] = [
  { name: 'aes128gcm16', suite: { encr: AES128_GCM16, integ: undefined, dh: undefined }, keys: (r) => ({ encrKey: r.bytes(20) }) },
  { name: 'aes256gcm16', suite: { encr: AES256_GCM16, integ: undefined, dh: undefined }, keys: (r) => ({ encrKey: r.bytes(36) }) },
  { name: 'chacha20poly1305', suite: { encr: CHACHA20_POLY1305, integ: undefined, dh: undefined }, keys: (r) => ({ encrKey: r.bytes(36) }) },
  { name: 'aes128-sha256', suite: { encr: AES128_CBC, integ: HMAC_SHA256_128, dh: undefined }, keys: (r) => ({ encrKey: r.bytes(16), integKey: r.bytes(32) }) },
];

/** Seals `plaintext` as the peer would (any IV decrypts; the AEADs use the sequence number). */
function seal(s: EspState, seq: number, plaintext: Uint8Array): Uint8Array {
  const header = new Uint8Array(8);
  writeU32(header, 0, s.spi);
  writeU32(header, 4, seq);
  const iv = s.cipher.encr.aead ? Uint8Array.of(0, 0, 0, 0, seq >>> 24, (seq >>> 16) & 0xff, (seq >>> 8) & 0xff, seq & 0xff) : s.cipher.nextIv();
  const sealed = s.cipher.seal(header, iv, plaintext);
  const packet = new Uint8Array(8 + iv.length + sealed.length);
  packet.set(header, 0);
  packet.set(iv, 8);
  packet.set(sealed, 8 + iv.length);
  return packet;
}

/** Inner packet | pad 1,2,3.. | pad length | next header, aligned; sometimes corrupt. */
function plaintext(rand: Rand, s: EspState, inner: Uint8Array): { bytes: Uint8Array; wellFormed: boolean } {
  const align = Math.max(4, s.cipher.blockSize);
  let pad = (align - ((inner.length + 2) % align)) % align;
  if (rand.chance(0.2)) pad += align * rand.int(3); // longer padding is allowed (up to 255)
  const bytes = new Uint8Array(inner.length + pad + 2);
  bytes.set(inner);
  for (let i = 0; i < pad; i++) bytes[inner.length + i] = i + 1;
  bytes[bytes.length - 2] = pad;
  bytes[bytes.length - 1] = NEXT_HEADER_IPV4;
  if (rand.chance(0.8)) return { bytes, wellFormed: true };
  switch (rand.int(4)) {
    case 0: bytes[bytes.length - 1] = NEXT_HEADER_NONE; break;
    case 1: bytes[bytes.length - 1] = rand.pick([0, 41, 50, 255]); break;
    case 2: // a pad length beyond the plaintext (a shorter wrong one could meet inner bytes that look like padding)
      if (bytes.length - 1 <= 255) bytes[bytes.length - 2] = rand.between(bytes.length - 1, 255);
      else bytes[bytes.length - 1] = NEXT_HEADER_NONE;
      break;
    default: if (pad > 0) bytes[inner.length + rand.int(pad)] ^= 1 + rand.int(255);
      else bytes[bytes.length - 1] = 0;
  }
  return { bytes, wellFormed: false };
}

function nextSeq(rand: Rand, m: WindowModel): number {
  return rand.weighted<() => number>([
    [60, () => m.top + 1],
    [15, () => m.top + 1 + rand.int(300)],
    [20, () => Math.max(0, m.top - rand.int(WINDOW + 40))],
    [3, () => 0],
    [0.03, () => rand.pick([0x7fffffff, 0xfffffffe, 0xffffffff, rand.u32()])], // the window then stays at the end of the space
  ])() >>> 0;
}

export const espOpen = fuzzTarget<EspState, EspInput>({
  name: 'esp-open',
  about: 'EspInboundSa.open: authentic, replayed, reordered, corrupt-inside and forged packets on every suite, against a model of the anti-replay window',
  episode: 5_000,
  retainedLimit: 64 * 1024,
  setup(rand) {
    const { name, suite, keys } = rand.pick(SUITES);
    const k = keys(rand);
    const spi = rand.chance(0.5) ? 0x100 + rand.int(0xffff) : rand.u32() | 0x100;
    const random = { bytes: (n: number) => rand.bytes(n) };
    const sa = new EspInboundSa({ spi, suite, encrKey: k.encrKey, integKey: k.integKey }, { random, drops: new DropCounter(silentLogger()) });
    const cipher = k.integKey
      ? createAuthCipher({ encr: suite.encr, encrKey: k.encrKey, integ: suite.integ, integKey: k.integKey, random })
      : createAuthCipher({ encr: suite.encr, encrKey: k.encrKey, random });
    return { sa, cipher, spi: spi >>> 0, suite: name, model: new WindowModel(), recent: [] };
  },
  make(rand, s) {
    const kind = rand.weighted([[6, 'authentic'], [1, 'replay'], [3, 'forged'], [1, 'noise']] as const);
    if ((kind === 'replay' || kind === 'forged') && s.recent.length) {
      const original = rand.pick(s.recent);
      if (kind === 'replay') return { packet: original, from: 'a replay' };
      return { packet: mutate(rand, original, { fields: [{ at: 0, size: 4 }, { at: 4, size: 4 }] }), from: 'a forgery', original };
    }
    if (kind === 'noise') {
      const packet = noise(rand, 200);
      if (packet.length >= 4 && rand.chance(0.7)) writeU32(packet, 0, s.spi);
      return { packet, from: 'noise' };
    }
    const inner = rand.chance(0.05) ? rand.bytes(rand.between(1000, 1400)) : rand.bytes(rand.int(120));
    const seq = nextSeq(rand, s.model);
    const p = plaintext(rand, s, inner);
    const packet = seal(s, seq, p.bytes);
    s.recent.push(packet);
    if (s.recent.length > 16) s.recent.shift();
    return { packet, seq, inner: p.wellFormed ? inner : undefined, from: `authentic, seq ${seq}${p.wellFormed ? '' : ', corrupt inside'}` };
  },
  feed(s, input) {
    const out = s.sa.open(input.packet);
    const m = s.model;
    if (input.seq === undefined) {
      // A replay of an authentic packet is checked like a forgery: the window must refuse it.
      violated(out === undefined, 'a forged or replayed packet was accepted');
      input.outcome = 'refused';
    } else if (!m.accepts(input.seq)) {
      violated(out === undefined, `sequence ${input.seq} accepted, outside the window (top ${m.top})`);
      input.outcome = 'window refused';
    } else {
      m.update(input.seq);
      if (input.inner) violated(out !== undefined && equalBytes(out, input.inner), `authentic packet ${input.seq} not delivered intact`);
      else violated(out === undefined, 'a packet with corrupt padding or next header was delivered');
      input.outcome = input.inner ? 'delivered' : 'corrupt inside, refused';
    }
    violated(s.sa.highestSequence === m.top, `window top ${s.sa.highestSequence}, expected ${m.top}`);
  },
  retained: (s) => s.sa,
  label: (s, i) => `${s.suite} ${i.outcome ?? ''}`,
  show: (i) => `${hex(i.packet)} (${i.from}${i.original ? ` of ${hex(i.original)}` : ''})`,
});
