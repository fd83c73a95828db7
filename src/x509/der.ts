/**
 * A DER reader (X.690) for certificates: one TLV at a time, located, not copied. Only what DER
 * allows: low tag numbers, definite minimal lengths; nothing from the wire drives an allocation —
 * callers walk children with a bound on their count.
 */
import { err, ok, type Result } from '../util/result.ts';

export const Tag = Object.freeze({
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const);

/** A located TLV: its tag byte and its content bytes[start, end). */
export interface Tlv {
  tag: number;
  /** Where its header starts (the whole TLV is bytes[at, end)). */
  at: number;
  start: number;
  end: number;
}

/** Context-specific tags: [n] constructed (EXPLICIT wrappers, SEQUENCE-like) and [n] primitive. */
export const explicit = (n: number): number => 0xa0 | n;
export const implicit = (n: number): number => 0x80 | n;

/** The TLV at bytes[at] inside [.., end). */
export function readTlv(bytes: Uint8Array, at: number, end: number): Result<Tlv> {
  if (end - at < 2) return err('DER: truncated header');
  const tag = bytes[at]!;
  if ((tag & 0x1f) === 0x1f) return err('DER: high tag number');
  let length = bytes[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0) return err('DER: indefinite length');
    if (n > 3) return err('DER: length over 16 MiB');
    if (end - start < n) return err('DER: truncated length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[start + i]!;
    start += n;
    if (length < 0x80 || bytes[at + 2] === 0) return err('DER: length not minimal');
  }
  if (length > end - start) return err('DER: length past the end');
  return ok({ tag, at, start, end: start + length });
}

/** The TLV at bytes[at] with tag `tag`. */
export function expect(bytes: Uint8Array, at: number, end: number, tag: number, what: string): Result<Tlv> {
  const t = readTlv(bytes, at, end);
  if (!t.ok) return err(`${what}: ${t.error}`);
  if (t.value.tag !== tag) return err(`${what}: tag 0x${t.value.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  return t;
}

/** The children of a constructed TLV, at most `max` of them (more is refused, not allocated). */
export function children(bytes: Uint8Array, parent: Tlv, max: number, what: string): Result<Tlv[]> {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    if (out.length >= max) return err(`${what}: more than ${max} elements`);
    const t = readTlv(bytes, at, parent.end);
    if (!t.ok) return err(`${what}: ${t.error}`);
    out.push(t.value);
    at = t.value.end;
  }
  return ok(out);
}

export const content = (bytes: Uint8Array, t: Tlv): Uint8Array => bytes.subarray(t.start, t.end);
export const whole = (bytes: Uint8Array, t: Tlv): Uint8Array => bytes.subarray(t.at, t.end);

/** A non-negative INTEGER's magnitude, without the sign byte DER puts before a high bit. */
export function unsignedInteger(bytes: Uint8Array, t: Tlv, what: string): Result<Uint8Array> {
  const v = content(bytes, t);
  if (t.tag !== Tag.INTEGER || v.length === 0) return err(`${what}: not an INTEGER`);
  if (v[0]! & 0x80) return err(`${what}: negative`);
  if (v.length > 1 && v[0] === 0 && !(v[1]! & 0x80)) return err(`${what}: INTEGER not minimal`);
  return ok(v[0] === 0 && v.length > 1 ? v.subarray(1) : v);
}

/** A small INTEGER (a version, a path length, a salt length). */
export function smallInteger(bytes: Uint8Array, t: Tlv, what: string): Result<number> {
  const v = unsignedInteger(bytes, t, what);
  if (!v.ok) return v;
  if (v.value.length > 3) return err(`${what}: too large`);
  let n = 0;
  for (const b of v.value) n = n * 256 + b;
  return ok(n);
}

/** A BIT STRING's bytes and its count of unused bits. */
export function bitString(bytes: Uint8Array, t: Tlv, what: string): Result<{ bits: Uint8Array; unused: number }> {
  if (t.tag !== Tag.BIT_STRING || t.end === t.start) return err(`${what}: not a BIT STRING`);
  const unused = bytes[t.start]!;
  if (unused > 7 || (unused > 0 && t.end - t.start === 1)) return err(`${what}: bad unused-bit count`);
  return ok({ bits: bytes.subarray(t.start + 1, t.end), unused });
}

/** An OID's content as hex, for comparison with the constants of oids.ts. */
export function oidHex(bytes: Uint8Array, t: Tlv, what: string): Result<string> {
  if (t.tag !== Tag.OID || t.end === t.start || t.end - t.start > 32) return err(`${what}: not an OID`);
  let s = '';
  for (let i = t.start; i < t.end; i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return ok(s);
}

/** UTCTime (YYMMDDHHMMSSZ, RFC 5280: years 1950–2049) or GeneralizedTime (YYYYMMDDHHMMSSZ) as ms since 1970. */
export function derTime(bytes: Uint8Array, t: Tlv, what: string): Result<number> {
  const s = content(bytes, t);
  const utc = t.tag === Tag.UTC_TIME;
  if (!utc && t.tag !== Tag.GENERALIZED_TIME) return err(`${what}: not a time`);
  if (s.length !== (utc ? 13 : 15) || s[s.length - 1] !== 0x5a) return err(`${what}: not in the form RFC 5280 requires`);
  const digits: number[] = [];
  for (let i = 0; i < s.length - 1; i++) {
    const d = s[i]! - 0x30;
    if (d < 0 || d > 9) return err(`${what}: not digits`);
    digits.push(d);
  }
  const num = (i: number): number => digits[i]! * 10 + digits[i + 1]!;
  let year: number;
  let i = 0;
  if (utc) {
    year = num(0);
    year += year < 50 ? 2000 : 1900;
    i = 2;
  } else {
    year = num(0) * 100 + num(2);
    i = 4;
  }
  const [month, day, hour, minute, second] = [num(i), num(i + 2), num(i + 4), num(i + 6), num(i + 8)];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return err(`${what}: not a date`);
  return ok((daysSinceEpoch(year, month, day) * 86400 + hour * 3600 + minute * 60 + second) * 1000);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (the civil-from-days inverse, in eras of 400 years). */
function daysSinceEpoch(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
