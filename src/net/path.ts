/**
 * How big an inner packet the tunnel carries without fragmenting, from the link MTU and the
 * negotiated ESP suite (RFC 4303 2, RFC 3948 2.1):
 *
 *   link MTU ≥ outer IPv4 20 + UDP 8 (NAT-T) + ESP header 8 + IV + encrypt(inner + pad + 2) + ICV
 *
 * where the encrypted part is padded to the cipher's block (at least 4 bytes). TCP's MSS is that
 * inner MTU less the inner IPv4 and TCP headers (20 + 20). A rekey may change the suite, so the
 * network recomputes it whenever a CHILD SA is installed.
 */
import { ESP_HEADER_LENGTH } from '../esp/constants.ts';
import type { EspSuite } from '../crypto/suites.ts';

export const OUTER_IPV4 = 20;
export const UDP_ENCAP = 8;
export const INNER_IPV4 = 20;
export const TCP_HEADER = 20;
const ESP_TRAILER = 2; // pad length, next header

export interface TunnelPath {
  linkMtu: number;
  udpEncap: boolean;
  ivLength: number;
  icvLength: number;
  blockSize: number;
}

export function pathOf(suite: EspSuite, linkMtu: number, udpEncap: boolean): TunnelPath {
  const icv = suite.encr.aead ? suite.encr.icvLength : suite.integ?.icvLength ?? 0;
  return { linkMtu, udpEncap, ivLength: suite.encr.ivLength, icvLength: icv, blockSize: suite.encr.blockSize };
}

/** The bytes around an inner packet on the link, before padding. */
function fixedOverhead(p: TunnelPath): number {
  return OUTER_IPV4 + (p.udpEncap ? UDP_ENCAP : 0) + ESP_HEADER_LENGTH + p.ivLength + p.icvLength;
}

/** The largest inner IPv4 packet that fits one link packet. */
export function innerMtu(p: TunnelPath): number {
  const align = Math.max(4, p.blockSize);
  const room = p.linkMtu - fixedOverhead(p);
  return Math.floor(room / align) * align - ESP_TRAILER;
}

/** The MSS option and the largest segment payload. */
export function tcpMss(p: TunnelPath): number {
  return innerMtu(p) - INNER_IPV4 - TCP_HEADER;
}

/** Link bytes (IP, PPP framing excluded) an inner packet of `inner` bytes becomes. */
export function linkBytes(p: TunnelPath, inner: number): number {
  const align = Math.max(4, p.blockSize);
  return fixedOverhead(p) + Math.ceil((inner + ESP_TRAILER) / align) * align;
}
