/** ICMPv4 (RFC 792): echo and the destination-unreachable errors a host needs. */
import { readU16, writeU16 } from '../util/bytes.ts';
import { internetChecksum } from './checksum.ts';
import { PROTO_UDP } from './ipv4.ts';
import { err, ok, type Result } from '../util/result.ts';

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;

export const UNREACH_PROTOCOL = 2;
export const UNREACH_PORT = 3;

export interface IcmpMessage {
  type: number;
  code: number;
  /** The 4 bytes after the checksum (echo: id + sequence; unreachable: unused / next-hop MTU). */
  rest: Uint8Array;
  body: Uint8Array;
}

export function parseIcmp(message: Uint8Array): Result<IcmpMessage> {
  if (message.length < 8) return err('icmp truncated');
  if (internetChecksum(message) !== 0) return err('icmp bad checksum');
  return ok({ type: message[0]!, code: message[1]!, rest: message.subarray(4, 8), body: message.subarray(8) });
}

export function buildIcmp(type: number, code: number, rest: Uint8Array, body: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + body.length);
  m[0] = type;
  m[1] = code;
  m.set(rest.subarray(0, 4), 4);
  m.set(body, 8);
  writeU16(m, 2, internetChecksum(m));
  return m;
}

/** The reply echoes identifier, sequence and data unchanged (RFC 792). */
export function buildEchoReply(request: IcmpMessage): Uint8Array {
  return buildIcmp(ICMP_ECHO_REPLY, 0, request.rest, request.body);
}

export function buildEchoRequest(identifier: number, sequence: number, data: Uint8Array): Uint8Array {
  const rest = new Uint8Array(4);
  writeU16(rest, 0, identifier);
  writeU16(rest, 2, sequence);
  return buildIcmp(ICMP_ECHO_REQUEST, 0, rest, data);
}

/** Error body: the offending IP header plus the first 8 bytes of its payload. */
export function buildDestUnreachable(code: number, offendingPacket: Uint8Array, headerLength: number): Uint8Array {
  const quoted = offendingPacket.subarray(0, Math.min(offendingPacket.length, headerLength + 8));
  return buildIcmp(ICMP_DEST_UNREACHABLE, code, new Uint8Array(4), quoted);
}

/** What an ICMP error tells about a UDP datagram we sent. */
export interface QuotedUdp {
  code: number;
  src: Uint8Array; // our address as quoted
  dst: Uint8Array; // where we sent it
  srcPort: number;
  dstPort: number;
}

/** Extracts the quoted UDP ports from a destination-unreachable body; not UDP or too short → failure. */
export function parseQuotedUdp(code: number, body: Uint8Array): Result<QuotedUdp> {
  if (body.length < 20) return err('icmp quote truncated');
  if (body[0]! >> 4 !== 4) return err('icmp quote not ipv4');
  const headerLength = (body[0]! & 0x0f) * 4;
  if (headerLength < 20 || body.length < headerLength + 4) return err('icmp quote truncated');
  if (body[9] !== PROTO_UDP) return err('icmp quote not udp');
  return ok({
    code,
    src: body.subarray(12, 16),
    dst: body.subarray(16, 20),
    srcPort: readU16(body, headerLength),
    dstPort: readU16(body, headerLength + 2),
  });
}
