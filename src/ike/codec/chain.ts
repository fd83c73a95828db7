/** The chain of generic payload headers (RFC 7296 3.2): next payload, critical bit, length. */
import { readU16, writeU16 } from '../../util/bytes.ts';
import { PAYLOAD_HEADER_LENGTH, PayloadType, payloadName } from './constants.ts';
import { fail } from './errors.ts';
import { decodeBody, encodeBody, isKnownPayloadType, payloadTypeOf } from './payloads.ts';
import type { DecodeResult, Payload } from './types.ts';

const CRITICAL = 0x80;
/** More payloads than any exchange of ours needs: a longer chain is refused, not allocated. */
export const MAX_PAYLOADS = 32;

/** One payload of a chain, located but not decoded. */
export interface ChainEntry {
  type: number;
  critical: boolean;
  start: number; // body start (after the generic header)
  end: number;
}

export interface WalkedChain {
  entries: ChainEntry[];
  /** Offset of the SK (or SKF, RFC 7383) payload's generic header, when the chain ends with one. */
  skOffset?: number;
  /** PayloadType.SK or PayloadType.SKF. */
  skType?: number;
  /** The SK payload's next-payload field: the type of the first inner payload. */
  skNext?: number;
}

/**
 * Walks the generic headers in bytes[start, end) without decoding any body, so the SK payload
 * can be verified before anything inside or beside it is parsed. An SK payload ends the chain and
 * must reach `end` (it is always last, RFC 7296 3.14); it is only allowed where `allowSk` says so.
 */
export function walkChain(bytes: Uint8Array, start: number, end: number, firstType: number, allowSk: boolean): DecodeResult<WalkedChain> {
  const entries: ChainEntry[] = [];
  let type = firstType;
  let at = start;
  while (type !== PayloadType.NONE) {
    if (entries.length >= MAX_PAYLOADS) return fail('bad-syntax', `more than ${MAX_PAYLOADS} payloads`);
    if (end - at < PAYLOAD_HEADER_LENGTH) return fail('truncated', `${payloadName(type)} payload header`);
    const next = bytes[at]!;
    const critical = (bytes[at + 1]! & CRITICAL) !== 0;
    const length = readU16(bytes, at + 2);
    if (length < PAYLOAD_HEADER_LENGTH || at + length > end) return fail('bad-length', `${payloadName(type)} payload length ${length}`);
    if (type === PayloadType.SK || type === PayloadType.SKF) {
      if (!allowSk) return fail('bad-syntax', `${payloadName(type)} payload inside SK payload`);
      if (at + length !== end) return fail('sk-not-last', `${payloadName(type)} payload is not the last payload`);
      return { ok: true, value: { entries, skOffset: at, skType: type, skNext: next } };
    }
    entries.push({ type, critical, start: at + PAYLOAD_HEADER_LENGTH, end: at + length });
    type = next;
    at += length;
  }
  if (at !== end) return fail('bad-length', `${end - at} bytes after the last payload`);
  return { ok: true, value: { entries } };
}

/**
 * Decodes the bodies of walked payloads. Unknown non-critical payloads are skipped; an unknown
 * critical one fails with 'unsupported-critical'.
 */
export function decodeEntries(bytes: Uint8Array, entries: readonly ChainEntry[]): DecodeResult<Payload[]> {
  const payloads: Payload[] = [];
  for (const e of entries) {
    if (isKnownPayloadType(e.type)) {
      const body = decodeBody(e.type, e.critical, bytes.subarray(e.start, e.end));
      if (!body.ok) return body;
      payloads.push(body.value);
    } else if (e.critical) {
      return fail('unsupported-critical', `unsupported critical payload ${e.type}`, e.type);
    }
  }
  return { ok: true, value: payloads };
}

/** Walks and decodes a chain without an SK payload (the inside of one). */
export function decodeChain(bytes: Uint8Array, start: number, end: number, firstType: number): DecodeResult<Payload[]> {
  const walked = walkChain(bytes, start, end, firstType, false);
  return walked.ok ? decodeEntries(bytes, walked.value.entries) : walked;
}

/** Encodes payloads with their generic headers; the last one points at `lastNext` (SK or NONE). */
export function encodeChain(payloads: readonly Payload[], lastNext: number): Uint8Array {
  const bodies = payloads.map(encodeBody);
  let total = 0;
  for (const b of bodies) total += PAYLOAD_HEADER_LENGTH + b.length;
  const out = new Uint8Array(total);
  let at = 0;
  payloads.forEach((p, i) => {
    const body = bodies[i]!;
    const length = PAYLOAD_HEADER_LENGTH + body.length;
    if (length > 0xffff) throw new Error(`${payloadName(payloadTypeOf(p))} payload too long`);
    const next = payloads[i + 1];
    out[at] = next ? payloadTypeOf(next) : lastNext;
    out[at + 1] = p.kind === 'raw' && p.critical ? CRITICAL : 0; // known payloads: critical bit clear (RFC 7296 2.5)
    writeU16(out, at + 2, length);
    out.set(body, at + PAYLOAD_HEADER_LENGTH);
    at += length;
  });
  return out;
}

export function firstType(payloads: readonly Payload[], otherwise: number): number {
  const p = payloads[0];
  return p ? payloadTypeOf(p) : otherwise;
}
