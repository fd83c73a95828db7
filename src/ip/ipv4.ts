/** IPv4 header build/parse (RFC 791). Options are skipped on receive and never sent. */
import { readU16, writeU16 } from '../util/bytes.ts';
import { internetChecksum } from './checksum.ts';
import { err, ok, type Result } from '../util/result.ts';

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ESP = 50;

export const IPV4_HEADER_LENGTH = 20;
export const DEFAULT_TTL = 64;

export interface Ipv4Header {
  headerLength: number; // bytes, options included
  totalLength: number;
  tos: number;
  identification: number;
  dontFragment: boolean;
  moreFragments: boolean;
  fragmentOffset: number; // bytes (the wire carries 8-byte units)
  ttl: number;
  protocol: number;
  src: Uint8Array; // 4 bytes, a view into the received packet
  dst: Uint8Array;
}

export interface Ipv4Packet {
  header: Ipv4Header;
  /** Exactly totalLength - headerLength bytes: link-layer padding is cut off. */
  payload: Uint8Array;
}

export function parseIpv4Packet(packet: Uint8Array): Result<Ipv4Packet> {
  if (packet.length < IPV4_HEADER_LENGTH) return err('ipv4 truncated header');
  const version = packet[0]! >> 4;
  if (version !== 4) return err('ipv4 bad version');
  const headerLength = (packet[0]! & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH) return err('ipv4 bad header length');
  if (packet.length < headerLength) return err('ipv4 truncated header');
  const totalLength = readU16(packet, 2);
  if (totalLength < headerLength) return err('ipv4 bad total length');
  if (totalLength > packet.length) return err('ipv4 truncated packet');
  if (internetChecksum(packet, 0, headerLength) !== 0) return err('ipv4 bad header checksum');
  const flagsFragment = readU16(packet, 6);
  if (flagsFragment & 0x8000) return err('ipv4 reserved flag set');
  return ok({
    header: {
      headerLength,
      totalLength,
      tos: packet[1]!,
      identification: readU16(packet, 4),
      dontFragment: (flagsFragment & 0x4000) !== 0,
      moreFragments: (flagsFragment & 0x2000) !== 0,
      fragmentOffset: (flagsFragment & 0x1fff) * 8,
      ttl: packet[8]!,
      protocol: packet[9]!,
      src: packet.subarray(12, 16),
      dst: packet.subarray(16, 20),
    },
    payload: packet.subarray(headerLength, totalLength),
  });
}

export interface Ipv4BuildFields {
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  identification: number;
  ttl?: number;
  tos?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  fragmentOffset?: number; // bytes, a multiple of 8
}

/** Builds a 20-byte header (no options) followed by `payload`, checksum filled in. */
export function buildIpv4Packet(fields: Ipv4BuildFields, payload: Uint8Array): Uint8Array {
  const p = ipv4PacketFor(fields, payload.length);
  p.set(payload, IPV4_HEADER_LENGTH);
  return p;
}

/**
 * A packet with its 20-byte header written (checksum filled in) and `payloadLength` bytes after it
 * for the caller to write: a layer above builds its header and payload in place, one buffer per
 * packet instead of one per layer (the copies held along a send are RAM).
 */
export function ipv4PacketFor(fields: Ipv4BuildFields, payloadLength: number): Uint8Array {
  const totalLength = IPV4_HEADER_LENGTH + payloadLength;
  if (totalLength > 0xffff) throw new Error(`ipv4 packet too long: ${totalLength}`);
  const offset = fields.fragmentOffset ?? 0;
  if (offset % 8 !== 0 || offset / 8 > 0x1fff) throw new Error(`bad fragment offset ${offset}`);
  const p = new Uint8Array(totalLength);
  p[0] = 0x45;
  p[1] = fields.tos ?? 0;
  writeU16(p, 2, totalLength);
  writeU16(p, 4, fields.identification & 0xffff);
  writeU16(p, 6, (fields.dontFragment ? 0x4000 : 0) | (fields.moreFragments ? 0x2000 : 0) | (offset / 8));
  p[8] = fields.ttl ?? DEFAULT_TTL;
  p[9] = fields.protocol;
  p.set(fields.src.subarray(0, 4), 12);
  p.set(fields.dst.subarray(0, 4), 16);
  writeU16(p, 10, internetChecksum(p, 0, IPV4_HEADER_LENGTH));
  return p;
}

/** The fields an IPsec policy looks at (RFC 4301 4.4.1), read without allocating; ports -1 when not in this packet (a later fragment). */
export interface Flow {
  src: number;
  dst: number;
  protocol: number;
  srcPort: number;
  dstPort: number;
}

export function flowOf(packet: Uint8Array): Flow | undefined {
  if (packet.length < IPV4_HEADER_LENGTH || packet[0]! >> 4 !== 4) return undefined;
  const headerLength = (packet[0]! & 0x0f) * 4;
  const protocol = packet[9]!;
  const u32 = (at: number): number => ((packet[at]! << 24) >>> 0) + (packet[at + 1]! << 16) + (packet[at + 2]! << 8) + packet[at + 3]!;
  const firstFragment = (readU16(packet, 6) & 0x1fff) === 0;
  const ports = firstFragment && (protocol === PROTO_UDP || protocol === PROTO_TCP) && packet.length >= headerLength + 4;
  return {
    src: u32(12),
    dst: u32(16),
    protocol,
    srcPort: ports ? readU16(packet, headerLength) : -1,
    dstPort: ports ? readU16(packet, headerLength + 2) : -1,
  };
}
