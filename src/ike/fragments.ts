/**
 * IKE fragmentation (RFC 7383): a protected message too big for the path goes as Encrypted
 * Fragment (SKF) payloads, each sealed on its own; the peer's fragments are verified one by one
 * before they are kept, and reassembled under bounds (count, total size, time, one message at a
 * time per direction), so a peer, or whoever forges fragments, cannot make us hold more.
 */
import type { AuthCipher } from '../crypto/auth-cipher.ts';
import { readU16, writeU16 } from '../util/bytes.ts';
import { decodeChain, encodeChain, firstType, walkChain } from './codec/chain.ts';
import { IKE_HEADER_LENGTH, PAYLOAD_HEADER_LENGTH, PayloadType } from './codec/constants.ts';
import { fail } from './codec/errors.ts';
import { decodeHeader, writeHeader, type HeaderFields } from './codec/header.ts';
import { encodeMessage, openSealed, sealedLength, sealInto, type DecodedMessage } from './codec/message.ts';
import type { DecodeResult, IkeHeader, Payload } from './codec/types.ts';

/** The SKF header: generic header + Fragment Number + Total Fragments, all authenticated (RFC 7383 2.5). */
const SKF_HEADER_LENGTH = PAYLOAD_HEADER_LENGTH + 4;
/** Bounds on what we reassemble: an RSA-4096 chain of three in 576-byte fragments fits with room. */
export const MAX_FRAGMENTS = 48;
export const MAX_REASSEMBLED_BYTES = 24 * 1024;
/** A set that does not complete in this long is dropped (the peer retransmits the whole set). */
export const REASSEMBLY_TIMEOUT_MS = 30_000;
/** No fragment smaller than this: a broken MTU must not make a message into thousands of them. */
const MIN_FRAGMENT_MESSAGE = 256;

/**
 * The largest IKE message sent whole over a link of `linkMtu` (IPv4 20 + UDP 8 + the NAT-T marker
 * 4 below it). At most 1280 as strongSwan's default: the carrier's path behind a 1500-byte PPP
 * link is often narrower. Unknown MTU: 576, what every IPv4 path takes (RFC 7383 2.5.1).
 */
export function maxIkeMessage(linkMtu: number | undefined, natT: boolean): number {
  return Math.min(linkMtu ?? 576, 1280) - 20 - 8 - (natT ? 4 : 0);
}

/**
 * A protected message: whole when it fits in `maxMessage` bytes (or `maxMessage` is undefined:
 * the peer did not offer fragmentation), else as fragments.
 */
export function encodeProtected(header: HeaderFields, encrypted: readonly Payload[], cipher: AuthCipher, maxMessage: number | undefined): Uint8Array[] {
  const whole = IKE_HEADER_LENGTH + PAYLOAD_HEADER_LENGTH + sealedLength(cipher, encodeChain(encrypted, PayloadType.NONE).length);
  if (maxMessage === undefined || whole <= maxMessage) return [encodeMessage({ ...header, payloads: [], encrypted: [...encrypted] }, cipher)];
  return encodeFragments(header, encrypted, cipher, maxMessage);
}

/**
 * The encrypted payloads as a set of fragment messages of at most `maxMessage` bytes each
 * (header fields shared, Message ID the same for all). Throws only on programming errors.
 */
export function encodeFragments(header: HeaderFields, encrypted: readonly Payload[], cipher: AuthCipher, maxMessage: number): Uint8Array[] {
  const inner = encodeChain(encrypted, PayloadType.NONE);
  // The largest chunk whose padded plaintext (chunk + padding + pad length) fits beside the headers, IV and ICV.
  const room = Math.max(MIN_FRAGMENT_MESSAGE, maxMessage) - IKE_HEADER_LENGTH - SKF_HEADER_LENGTH - cipher.ivLength - cipher.icvLength;
  const chunk = Math.floor(room / cipher.blockSize) * cipher.blockSize - 1;
  const total = Math.max(1, Math.ceil(inner.length / chunk));
  if (total > MAX_FRAGMENTS) throw new Error(`message needs ${total} fragments, more than ${MAX_FRAGMENTS}`);
  const out: Uint8Array[] = [];
  for (let n = 1; n <= total; n++) {
    const part = inner.subarray((n - 1) * chunk, Math.min(inner.length, n * chunk));
    const length = IKE_HEADER_LENGTH + SKF_HEADER_LENGTH + sealedLength(cipher, part.length);
    const wire = new Uint8Array(length);
    writeHeader(wire, header, PayloadType.SKF, length);
    const at = IKE_HEADER_LENGTH;
    wire[at] = n === 1 ? firstType(encrypted, PayloadType.NONE) : PayloadType.NONE;
    writeU16(wire, at + 2, length - at);
    writeU16(wire, at + 4, n);
    writeU16(wire, at + 6, total);
    sealInto(wire, at + SKF_HEADER_LENGTH, cipher, part);
    out.push(wire);
  }
  return out;
}

/** One verified fragment. */
export interface Fragment {
  header: IkeHeader;
  number: number;
  total: number;
  /** The SKF's next payload: the first inner payload's type (fragment 1 only). */
  next: number;
  plaintext: Uint8Array;
}

/** True when the message ends with an SKF payload (only generic headers are looked at). */
export function isFragment(bytes: Uint8Array): boolean {
  const h = decodeHeader(bytes);
  if (!h.ok) return false;
  const walked = walkChain(bytes, IKE_HEADER_LENGTH, bytes.length, h.value.nextPayload, true);
  return walked.ok && walked.value.skType === PayloadType.SKF;
}

/** Verifies and decrypts one fragment message; nothing in it is read before its ICV checks but the headers. */
export function openFragment(bytes: Uint8Array, cipher: AuthCipher): DecodeResult<Fragment> {
  const h = decodeHeader(bytes);
  if (!h.ok) return h;
  const walked = walkChain(bytes, IKE_HEADER_LENGTH, bytes.length, h.value.nextPayload, true);
  if (!walked.ok) return walked;
  const at = walked.value.skOffset;
  if (at === undefined || walked.value.skType !== PayloadType.SKF) return fail('bad-syntax', 'not a fragment');
  if (bytes.length - at < SKF_HEADER_LENGTH) return fail('truncated', 'SKF payload header');
  const number = readU16(bytes, at + 4);
  const total = readU16(bytes, at + 6);
  const plain = openSealed(bytes, at + SKF_HEADER_LENGTH, cipher);
  if (!plain.ok) return plain;
  if (number < 1 || number > total) return { ok: false, error: { code: 'bad-syntax', message: `fragment ${number} of ${total}`, authenticated: true } };
  return { ok: true, value: { header: h.value, number, total, next: walked.value.skNext ?? PayloadType.NONE, plaintext: plain.value } };
}

/** What a fragment did to the set: a whole message, kept and waiting, or dropped (with why). */
export type Reassembled =
  | { kind: 'whole'; decoded: DecodeResult<DecodedMessage> }
  | { kind: 'kept' }
  | { kind: 'dropped'; reason: string; detail: string };

interface PartialSet {
  messageId: number;
  total: number;
  parts: (Fragment | undefined)[];
  received: number;
  bytes: number;
  startedAt: number;
}

/** Reassembles the peer's fragmented messages of one direction (its requests, or its responses): one message at a time. */
export class Reassembly {
  private set: PartialSet | undefined;

  /** A verified fragment of message `f.header.messageId` (the caller checked the ID is one it expects). */
  add(f: Fragment, now: number): Reassembled {
    const id = f.header.messageId;
    let s = this.set;
    if (s && now - s.startedAt > REASSEMBLY_TIMEOUT_MS) s = this.set = undefined;
    if (f.total > MAX_FRAGMENTS) return { kind: 'dropped', reason: 'too many fragments', detail: `${f.total} > ${MAX_FRAGMENTS}` };
    // A different message replaces the set (one at a time); a larger total means the peer
    // re-fragmented smaller and starts over; a smaller one is late (RFC 7383 2.6).
    if (s && (s.messageId !== id || f.total > s.total)) s = undefined;
    if (s && f.total < s.total) return { kind: 'dropped', reason: 'fragment of an older fragmentation', detail: `${f.number}/${f.total}` };
    if (!s) s = this.set = { messageId: id, total: f.total, parts: new Array<Fragment | undefined>(f.total), received: 0, bytes: 0, startedAt: now };
    if (s.parts[f.number - 1]) return { kind: 'dropped', reason: 'duplicate fragment', detail: `${f.number}/${f.total}` };
    if (s.bytes + f.plaintext.length > MAX_REASSEMBLED_BYTES) {
      this.set = undefined;
      return { kind: 'dropped', reason: 'fragmented message too large', detail: `over ${MAX_REASSEMBLED_BYTES} bytes` };
    }
    s.parts[f.number - 1] = f;
    s.received++;
    s.bytes += f.plaintext.length;
    if (s.received < s.total) return { kind: 'kept' };
    this.set = undefined;
    return { kind: 'whole', decoded: join(s) };
  }

  clear(): void {
    this.set = undefined;
  }
}

function join(s: PartialSet): DecodeResult<DecodedMessage> {
  const plain = new Uint8Array(s.bytes);
  let at = 0;
  for (const p of s.parts) {
    plain.set(p!.plaintext, at);
    at += p!.plaintext.length;
  }
  const first = s.parts[0]!;
  const inner = decodeChain(plain, 0, plain.length, first.next);
  if (!inner.ok) return { ok: false, error: { ...inner.error, authenticated: true } };
  const h = first.header;
  const message = { spiI: h.spiI, spiR: h.spiR, exchange: h.exchange, initiator: h.initiator, response: h.response, messageId: h.messageId, payloads: [], encrypted: inner.value };
  return { ok: true, value: { header: h, message } };
}
