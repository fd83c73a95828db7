/**
 * IPv4 traffic selectors as numeric ranges (RFC 7296 3.13.1), built from config CIDRs and
 * checked when the responder narrows (2.9): every returned selector must lie inside one we asked for.
 */
import { ipv4ToString, parseIpv4, u32ToBytes } from '../util/bytes.ts';
import { ipv4Selector, TsType, type IkeMessage, type Payload, type TrafficSelector } from './codec/index.ts';

export interface Ipv4Selector {
  protocol: number; // 0 = any
  startPort: number;
  endPort: number;
  start: number; // unsigned 32-bit address
  end: number;
}

const u32 = (b: Uint8Array): number => ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
export const u32ToAddress = (n: number): string => ipv4ToString(u32ToBytes(n));
export const addressToU32 = (b: Uint8Array): number => u32(b);

export const ANY_IPV4: Ipv4Selector = Object.freeze({ protocol: 0, startPort: 0, endPort: 65535, start: 0, end: 0xffffffff });

/** '198.51.100.0/24' or a bare address (a /32); undefined when malformed. */
export function selectorFromCidr(cidr: string): Ipv4Selector | undefined {
  const [addr, lenText] = cidr.trim().split('/');
  const ip = parseIpv4(addr ?? '');
  if (!ip) return undefined;
  const len = lenText === undefined ? 32 : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > 32) return undefined;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const start = (u32(ip) & mask) >>> 0;
  const end = (start | (~mask >>> 0)) >>> 0;
  return { protocol: 0, startPort: 0, endPort: 65535, start, end };
}

export function selectorInside(inner: Ipv4Selector, outer: Ipv4Selector): boolean {
  return (
    (outer.protocol === 0 || inner.protocol === outer.protocol) &&
    inner.startPort >= outer.startPort && inner.endPort <= outer.endPort &&
    inner.start >= outer.start && inner.end <= outer.end &&
    inner.start <= inner.end && inner.startPort <= inner.endPort
  );
}

/** Every narrowed selector inside some requested one, and at least one selector returned. */
export function narrowingAcceptable(returned: readonly Ipv4Selector[], requested: readonly Ipv4Selector[]): boolean {
  return returned.length > 0 && returned.every((r) => requested.some((q) => selectorInside(r, q)));
}

/** CIDR when the range is one, else 'a-b'; ports and protocol only when restricted. */
export function formatSelector(s: Ipv4Selector): string {
  let text = `${u32ToAddress(s.start)}-${u32ToAddress(s.end)}`;
  const size = s.end - s.start + 1;
  if (Number.isInteger(Math.log2(size)) && s.start % size === 0) text = `${u32ToAddress(s.start)}/${32 - Math.log2(size)}`;
  if (s.protocol !== 0) text += `[${s.protocol}`;
  if (s.startPort !== 0 || s.endPort !== 65535) text += `${s.protocol !== 0 ? '/' : '['}${s.startPort}-${s.endPort}`;
  if (s.protocol !== 0 || s.startPort !== 0 || s.endPort !== 65535) text += ']';
  return text;
}

export function selectorToWire(s: Ipv4Selector): TrafficSelector {
  return ipv4Selector(u32ToBytes(s.start), u32ToBytes(s.end), s.protocol, s.startPort, s.endPort);
}

/** The IPv4 range selectors of a message's TSi or TSr payload; IPv6 ones (never asked for) are ignored. */
export function messageSelectors(msg: IkeMessage, kind: 'TSi' | 'TSr'): Ipv4Selector[] {
  // findPayload(msg, 'TSi') is typed `never` by the codec (TSi/TSr share one union member with IDi/IDr).
  const ts = [...msg.payloads, ...(msg.encrypted ?? [])].find((p): p is Extract<Payload, { kind: 'TSi' | 'TSr' }> => p.kind === kind);
  return (ts?.selectors ?? [])
    .filter((t) => t.tsType === TsType.IPV4_ADDR_RANGE && t.startAddress.length === 4 && t.endAddress.length === 4)
    .map((t) => ({ protocol: t.ipProtocol, startPort: t.startPort, endPort: t.endPort, start: u32(t.startAddress), end: u32(t.endAddress) }));
}

/** Whether a packet's address (and protocol and port, when the selector restricts them) lies inside one of `selectors`. */
export function selectorContains(selectors: readonly Ipv4Selector[], address: number, protocol: number, port: number): boolean {
  for (const s of selectors) {
    if (address < s.start || address > s.end) continue;
    if (s.protocol !== 0 && s.protocol !== protocol) continue;
    if ((s.startPort !== 0 || s.endPort !== 65535) && (port < s.startPort || port > s.endPort)) continue;
    return true;
  }
  return false;
}
