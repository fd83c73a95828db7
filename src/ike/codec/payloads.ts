/** Payload bodies (everything after the 4-byte generic header) for every payload type but SK. */
import { concatBytes, readU16, writeU16 } from '../../util/bytes.ts';
import { PayloadType, TsType } from './constants.ts';
import { fail } from './errors.ts';
import { decodeSaBody, encodeSaBody } from './sa.ts';
import type { CpAttribute, DecodeResult, Payload, TrafficSelector } from './types.ts';

const KIND_TO_TYPE = Object.freeze({
  SA: PayloadType.SA,
  KE: PayloadType.KE,
  IDi: PayloadType.IDi,
  IDr: PayloadType.IDr,
  AUTH: PayloadType.AUTH,
  Nonce: PayloadType.NONCE,
  N: PayloadType.N,
  D: PayloadType.D,
  TSi: PayloadType.TSi,
  TSr: PayloadType.TSr,
  CP: PayloadType.CP,
  V: PayloadType.V,
  CERT: PayloadType.CERT,
  CERTREQ: PayloadType.CERTREQ,
} as const);

/** CERTREQ authorities read: more CAs than any gateway names are ignored, not allocated. */
export const MAX_CERTREQ_AUTHORITIES = 16;

/** Payload types this codec understands (SK is handled by the message layer). */
const KNOWN = new Set<number>([...Object.values(KIND_TO_TYPE), PayloadType.EAP, PayloadType.SK]);

export function isKnownPayloadType(type: number): boolean {
  return KNOWN.has(type);
}

export function payloadTypeOf(p: Payload): number {
  return p.kind === 'raw' ? p.type : KIND_TO_TYPE[p.kind];
}

/** A 4-byte "type/method | 3 reserved" prefix followed by data: KE uses a 2-byte group instead. */
function prefixed(first: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + data.length);
  out[0] = first;
  out.set(data, 4);
  return out;
}

export function encodeBody(p: Payload): Uint8Array {
  switch (p.kind) {
    case 'SA': return encodeSaBody(p.proposals);
    case 'KE': {
      const out = new Uint8Array(4 + p.data.length);
      writeU16(out, 0, p.group);
      out.set(p.data, 4);
      return out;
    }
    case 'IDi':
    case 'IDr': return p.body.slice(); // as built by idPayload() or received: AUTH covers these exact octets
    case 'AUTH': return prefixed(p.method, p.data);
    case 'Nonce':
    case 'V': return p.data.slice();
    case 'N': {
      const out = new Uint8Array(4 + p.spi.length + p.data.length);
      out[0] = p.protocolId;
      out[1] = p.spi.length;
      writeU16(out, 2, p.notifyType);
      out.set(p.spi, 4);
      out.set(p.data, 4 + p.spi.length);
      return out;
    }
    case 'D': {
      const head = new Uint8Array(4);
      head[0] = p.protocolId;
      head[1] = p.spiSize;
      writeU16(head, 2, p.spis.length);
      for (const s of p.spis) if (s.length !== p.spiSize) throw new Error('D payload SPI size mismatch');
      return concatBytes(head, ...p.spis);
    }
    case 'TSi':
    case 'TSr': return concatBytes(prefixed(p.selectors.length, new Uint8Array(0)), ...p.selectors.map(encodeSelector));
    case 'CP': return concatBytes(prefixed(p.cfgType, new Uint8Array(0)), ...p.attributes.map(encodeCpAttribute));
    case 'CERT': return concatBytes(Uint8Array.of(p.encoding), p.data);
    case 'CERTREQ': return concatBytes(Uint8Array.of(p.encoding), ...p.authorities);
    case 'raw': return p.body.slice();
  }
}

function encodeSelector(ts: TrafficSelector): Uint8Array {
  const addrLength = ts.startAddress.length;
  if (ts.endAddress.length !== addrLength || (addrLength !== 4 && addrLength !== 16)) throw new Error('traffic selector address length');
  const out = new Uint8Array(8 + 2 * addrLength);
  out[0] = ts.tsType;
  out[1] = ts.ipProtocol;
  writeU16(out, 2, out.length);
  writeU16(out, 4, ts.startPort);
  writeU16(out, 6, ts.endPort);
  out.set(ts.startAddress, 8);
  out.set(ts.endAddress, 8 + addrLength);
  return out;
}

function encodeCpAttribute(a: CpAttribute): Uint8Array {
  const out = new Uint8Array(4 + a.value.length);
  writeU16(out, 0, a.type & 0x7fff);
  writeU16(out, 2, a.value.length);
  out.set(a.value, 4);
  return out;
}

/** Decodes a known payload's body. Unknown types never get here. */
export function decodeBody(type: number, critical: boolean, b: Uint8Array): DecodeResult<Payload> {
  const need = (n: number, what: string): DecodeResult<Payload> | undefined => (b.length < n ? fail('truncated', `${what} payload`) : undefined);
  switch (type) {
    case PayloadType.SA: {
      const r = decodeSaBody(b);
      return r.ok ? { ok: true, value: { kind: 'SA', proposals: r.value } } : r;
    }
    case PayloadType.KE:
      return need(4, 'KE') ?? { ok: true, value: { kind: 'KE', group: readU16(b, 0), data: b.slice(4) } };
    case PayloadType.IDi:
    case PayloadType.IDr:
      return need(5, 'ID') ?? { ok: true, value: { kind: type === PayloadType.IDi ? 'IDi' : 'IDr', idType: b[0]!, data: b.slice(4), body: b.slice() } };
    case PayloadType.AUTH:
      return need(5, 'AUTH') ?? { ok: true, value: { kind: 'AUTH', method: b[0]!, data: b.slice(4) } };
    case PayloadType.NONCE:
      // RFC 7296 3.9: between 16 and 256 octets.
      if (b.length < 16 || b.length > 256) return fail('bad-syntax', `nonce of ${b.length} bytes`);
      return { ok: true, value: { kind: 'Nonce', data: b.slice() } };
    case PayloadType.N: {
      if (b.length < 4) return fail('truncated', 'N payload');
      const spiSize = b[1]!;
      if (4 + spiSize > b.length) return fail('bad-length', 'N payload SPI');
      return {
        ok: true,
        value: { kind: 'N', protocolId: b[0]!, spi: b.slice(4, 4 + spiSize), notifyType: readU16(b, 2), data: b.slice(4 + spiSize) },
      };
    }
    case PayloadType.CERT:
      return need(2, 'CERT') ?? { ok: true, value: { kind: 'CERT', encoding: b[0]!, data: b.slice(1) } };
    case PayloadType.CERTREQ: {
      // A list of 20-byte hashes; a trailing partial one is ignored (some peers send an empty list).
      const authorities: Uint8Array[] = [];
      for (let at = 1; at + 20 <= b.length && authorities.length < MAX_CERTREQ_AUTHORITIES; at += 20) authorities.push(b.slice(at, at + 20));
      return need(1, 'CERTREQ') ?? { ok: true, value: { kind: 'CERTREQ', encoding: b[0]!, authorities } };
    }
    case PayloadType.D: {
      if (b.length < 4) return fail('truncated', 'D payload');
      const spiSize = b[1]!;
      const count = readU16(b, 2);
      // RFC 7296 3.11: an IKE SA delete has SPI size 0 and no SPIs; a count with size 0 would
      // otherwise pass the length check and drive an allocation per "SPI".
      if (spiSize === 0 && count !== 0) return fail('bad-syntax', `D payload with SPI size 0 and ${count} SPIs`);
      if (4 + spiSize * count !== b.length) return fail('bad-length', 'D payload SPI list');
      const spis: Uint8Array[] = [];
      for (let i = 0; i < count; i++) spis.push(b.slice(4 + i * spiSize, 4 + (i + 1) * spiSize));
      return { ok: true, value: { kind: 'D', protocolId: b[0]!, spiSize, spis } };
    }
    case PayloadType.TSi:
    case PayloadType.TSr: {
      const r = decodeSelectors(b);
      return r.ok ? { ok: true, value: { kind: type === PayloadType.TSi ? 'TSi' : 'TSr', selectors: r.value } } : r;
    }
    case PayloadType.CP: {
      const r = decodeCpAttributes(b);
      return r.ok ? { ok: true, value: { kind: 'CP', cfgType: b[0]!, attributes: r.value } } : r;
    }
    case PayloadType.V:
      return { ok: true, value: { kind: 'V', data: b.slice() } };
    default:
      return { ok: true, value: { kind: 'raw', type, critical, body: b.slice() } };
  }
}

function decodeSelectors(b: Uint8Array): DecodeResult<TrafficSelector[]> {
  if (b.length < 4) return fail('truncated', 'TS payload');
  const count = b[0]!;
  const out: TrafficSelector[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (b.length - at < 8) return fail('truncated', 'traffic selector');
    const tsType = b[at]!;
    const length = readU16(b, at + 2);
    const addrLength = tsType === TsType.IPV4_ADDR_RANGE ? 4 : tsType === TsType.IPV6_ADDR_RANGE ? 16 : 0;
    if (addrLength === 0) return fail('bad-syntax', `traffic selector type ${tsType}`);
    if (length !== 8 + 2 * addrLength || at + length > b.length) return fail('bad-length', `traffic selector length ${length}`);
    out.push({
      tsType,
      ipProtocol: b[at + 1]!,
      startPort: readU16(b, at + 4),
      endPort: readU16(b, at + 6),
      startAddress: b.slice(at + 8, at + 8 + addrLength),
      endAddress: b.slice(at + 8 + addrLength, at + length),
    });
    at += length;
  }
  if (at !== b.length) return fail('bad-length', 'bytes after the last traffic selector');
  if (count === 0) return fail('bad-syntax', 'TS payload without selectors');
  return { ok: true, value: out };
}

function decodeCpAttributes(b: Uint8Array): DecodeResult<CpAttribute[]> {
  if (b.length < 4) return fail('truncated', 'CP payload');
  const out: CpAttribute[] = [];
  let at = 4;
  while (at < b.length) {
    if (b.length - at < 4) return fail('truncated', 'CP attribute');
    const length = readU16(b, at + 2);
    if (at + 4 + length > b.length) return fail('bad-length', 'CP attribute length');
    out.push({ type: readU16(b, at) & 0x7fff, value: b.slice(at + 4, at + 4 + length) });
    at += 4 + length;
  }
  return { ok: true, value: out };
}
