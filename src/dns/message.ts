/**
 * DNS message encode/decode (RFC 1035), only what a stub resolver needs: build one
 * question, parse header, questions and answers. Every read is bounds-checked and
 * compression pointers may only point backwards, so hostile input cannot loop or overread.
 */
import { readU16, readU32, writeU16 } from '../util/bytes.ts';
import { addressFromBytes } from '../ip/address.ts';
import { err, ok, type Result } from '../util/result.ts';

export const TYPE_A = 1;
export const TYPE_CNAME = 5;
export const CLASS_IN = 1;

export const RCODE_NOERROR = 0;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;

const HEADER_LENGTH = 12;
const MAX_NAME_LENGTH = 255; // wire octets, RFC 1035 2.3.4
const MAX_POINTER_JUMPS = 32;

export interface DnsHeader {
  id: number;
  response: boolean; // QR
  opcode: number;
  authoritative: boolean;
  truncated: boolean; // TC: the server cut the answer to fit UDP
  recursionDesired: boolean;
  recursionAvailable: boolean;
  rcode: number;
}

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: Uint8Array;
  /** Decoded for A records. */
  address?: string;
  /** Decoded for CNAME records. */
  target?: string;
}

export interface DnsMessage {
  header: DnsHeader;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  /** True when TC was set and the answer section ended early; the complete records are kept. */
  incomplete: boolean;
}

/** Names compare case-insensitively (RFC 4343); a trailing dot is ignored. */
export function sameName(a: string, b: string): boolean {
  return normalizeName(a) === normalizeName(b);
}

function normalizeName(name: string): string {
  return (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
}

/** Host name to wire labels; undefined unless it is 1-63 octet printable-ASCII labels within 255 octets. */
export function encodeName(name: string): Uint8Array | undefined {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed.length === 0) return undefined;
  const labels = trimmed.split('.');
  const out: number[] = [];
  for (const label of labels) {
    if (label.length === 0 || label.length > 63) return undefined;
    out.push(label.length);
    for (let i = 0; i < label.length; i++) {
      const c = label.charCodeAt(i);
      if (c <= 0x20 || c >= 0x7f || c === 0x5c) return undefined; // no IDN here: callers pass punycode
      out.push(c);
    }
  }
  out.push(0);
  return out.length <= MAX_NAME_LENGTH ? Uint8Array.from(out) : undefined;
}

/** A standard query with recursion desired and one question. */
export function buildQuery(id: number, name: string, type = TYPE_A): Uint8Array | undefined {
  const qname = encodeName(name);
  if (!qname) return undefined;
  const m = new Uint8Array(HEADER_LENGTH + qname.length + 4);
  writeU16(m, 0, id);
  writeU16(m, 2, 0x0100); // RD
  writeU16(m, 4, 1);
  m.set(qname, HEADER_LENGTH);
  writeU16(m, HEADER_LENGTH + qname.length, type);
  writeU16(m, HEADER_LENGTH + qname.length + 2, CLASS_IN);
  return m;
}

/** Reads a possibly compressed name at `offset`; `next` is the offset just after it in the message. */
export function readName(m: Uint8Array, offset: number): Result<{ name: string; next: number }> {
  const labels: string[] = [];
  let pos = offset;
  let next = -1; // where parsing resumes: after the first pointer, or after the final zero
  let wireLength = 1;
  let jumps = 0;
  let lowest = offset; // pointers must go strictly below everything read so far: no loops possible
  for (;;) {
    if (pos >= m.length) return err('dns name truncated');
    const len = m[pos]!;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= m.length) return err('dns name truncated');
      const target = ((len & 0x3f) << 8) | m[pos + 1]!;
      if (target >= lowest || target < HEADER_LENGTH) return err('dns bad compression pointer');
      if (++jumps > MAX_POINTER_JUMPS) return err('dns too many compression pointers');
      if (next < 0) next = pos + 2;
      pos = lowest = target;
      continue;
    }
    if (kind !== 0) return err('dns bad label type');
    if (pos + 1 + len > m.length) return err('dns name truncated');
    wireLength += len + 1;
    if (wireLength > MAX_NAME_LENGTH) return err('dns name too long');
    labels.push(labelText(m, pos + 1, len));
    pos += 1 + len;
  }
  return ok({ name: labels.length ? labels.join('.') : '.', next });
}

/** Escapes dots and unprintable octets so one label can never pass for two. */
function labelText(m: Uint8Array, start: number, len: number): string {
  let s = '';
  for (let i = start; i < start + len; i++) {
    const c = m[i]!;
    if (c === 0x2e || c === 0x5c) s += `\\${String.fromCharCode(c)}`;
    else if (c > 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\${c.toString().padStart(3, '0')}`;
  }
  return s;
}

export function parseMessage(m: Uint8Array): Result<DnsMessage> {
  if (m.length < HEADER_LENGTH) return err('dns truncated header');
  const flags = readU16(m, 2);
  const header: DnsHeader = {
    id: readU16(m, 0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0x0f,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    rcode: flags & 0x0f,
  };
  const qdcount = readU16(m, 4);
  const ancount = readU16(m, 6);
  let pos = HEADER_LENGTH;

  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qdcount; i++) {
    const name = readName(m, pos);
    if (!name.ok) return err(name.error);
    pos = name.value.next;
    if (pos + 4 > m.length) return err('dns question truncated');
    questions.push({ name: name.value.name, type: readU16(m, pos), class: readU16(m, pos + 2) });
    pos += 4;
  }

  const answers: DnsRecord[] = [];
  for (let i = 0; i < ancount; i++) {
    const record = readRecord(m, pos);
    if (!record.ok) {
      // With TC set a short answer section is expected: keep what was complete.
      if (header.truncated) return ok({ header, questions, answers, incomplete: true });
      return err(record.error);
    }
    answers.push(record.value.record);
    pos = record.value.next;
  }
  // Authority and additional sections are not needed by a stub resolver and are not read.
  return ok({ header, questions, answers, incomplete: false });
}

function readRecord(m: Uint8Array, offset: number): Result<{ record: DnsRecord; next: number }> {
  const name = readName(m, offset);
  if (!name.ok) return err(name.error);
  let pos = name.value.next;
  if (pos + 10 > m.length) return err('dns record truncated');
  const type = readU16(m, pos);
  const rclass = readU16(m, pos + 2);
  const rawTtl = readU32(m, pos + 4);
  const ttl = rawTtl > 0x7fffffff ? 0 : rawTtl; // RFC 2181 8: a set top bit means zero
  const rdlength = readU16(m, pos + 8);
  pos += 10;
  if (pos + rdlength > m.length) return err('dns rdata truncated');
  const data = m.subarray(pos, pos + rdlength);
  const record: DnsRecord = { name: name.value.name, type, class: rclass, ttl, data };
  if (type === TYPE_A && rclass === CLASS_IN) {
    if (rdlength !== 4) return err('dns bad A record length');
    record.address = addressFromBytes(data);
  } else if (type === TYPE_CNAME) {
    const target = readName(m, pos);
    if (!target.ok) return err(target.error);
    if (target.value.next > pos + rdlength) return err('dns CNAME past rdata');
    record.target = target.value.name;
  }
  return ok({ record, next: pos + rdlength });
}
