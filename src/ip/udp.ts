/** UDP (RFC 768) with the IPv4 pseudo-header checksum. */
import { readU16, writeU16 } from '../util/bytes.ts';
import { finishChecksum, pseudoHeaderSum, sumWords } from './checksum.ts';
import { PROTO_UDP } from './ipv4.ts';
import { err, ok, type Result } from '../util/result.ts';

export const UDP_HEADER_LENGTH = 8;

export interface UdpSegment {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array; // a view into the received packet
}

/** Builds header + payload with the checksum filled in (0 is sent as 0xffff, RFC 768). */
export function buildUdp(src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const s = new Uint8Array(UDP_HEADER_LENGTH + payload.length);
  writeUdp(s, src, dst, srcPort, dstPort, payload);
  return s;
}

/** Writes header + payload into `s`, which is exactly 8 + payload.length bytes (e.g. a view into an IPv4 packet). */
export function writeUdp(s: Uint8Array, src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, payload: Uint8Array): void {
  const length = UDP_HEADER_LENGTH + payload.length;
  if (length > 0xffff) throw new Error(`udp datagram too long: ${length}`);
  if (s.length !== length) throw new Error(`udp datagram of ${length} bytes written into ${s.length}`);
  writeU16(s, 0, srcPort);
  writeU16(s, 2, dstPort);
  writeU16(s, 4, length);
  writeU16(s, 6, 0);
  s.set(payload, UDP_HEADER_LENGTH);
  const checksum = finishChecksum(sumWords(s, 0, length, pseudoHeaderSum(src, dst, PROTO_UDP, length)));
  writeU16(s, 6, checksum === 0 ? 0xffff : checksum);
}

/** Parses an IP payload as UDP; `src`/`dst` are the IP addresses for the pseudo-header. */
export function parseUdp(segment: Uint8Array, src: Uint8Array, dst: Uint8Array): Result<UdpSegment> {
  if (segment.length < UDP_HEADER_LENGTH) return err('udp truncated header');
  const length = readU16(segment, 4);
  if (length < UDP_HEADER_LENGTH) return err('udp bad length');
  if (length > segment.length) return err('udp truncated');
  // A zero checksum means the sender did not compute one (allowed for UDP over IPv4).
  if (readU16(segment, 6) !== 0) {
    if (finishChecksum(sumWords(segment, 0, length, pseudoHeaderSum(src, dst, PROTO_UDP, length))) !== 0) return err('udp bad checksum');
  }
  return ok({ srcPort: readU16(segment, 0), dstPort: readU16(segment, 2), payload: segment.subarray(UDP_HEADER_LENGTH, length) });
}
