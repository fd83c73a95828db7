/**
 * FCS-16 of RFC 1662 (appendix C.2): reflected CRC-CCITT, polynomial 0x8408, init 0xffff; and
 * FCS-32 (C.3), the reflected CRC-32, for the LCP FCS-Alternatives option (RFC 1570, not negotiated
 * yet). The loops are in hdlc-bytes.ts (a native twin on the device).
 */
import { fcs16 as fcs16Loop, fcs32 as fcs32Loop } from './hdlc-bytes.ts';

export const FCS_INIT = 0xffff;
/** Running the FCS over a frame plus its transmitted FCS yields this constant when intact. */
export const FCS_GOOD = 0xf0b8;
export const FCS32_INIT = 0xffffffff;
/** FCS_GOOD of FCS-32. */
export const FCS32_GOOD = 0xdebb20e3;

/** Continues an FCS over `bytes[start..end)`. */
export function fcs16(bytes: Uint8Array, fcs = FCS_INIT, start = 0, end = bytes.length): number {
  return fcs16Loop(bytes, fcs, start, end);
}

/** Continues an FCS-32 over `bytes[start..end)` (unsigned). */
export function fcs32(bytes: Uint8Array, fcs = FCS32_INIT, start = 0, end = bytes.length): number {
  return fcs32Loop(bytes, fcs, start, end);
}

/** The two FCS bytes to transmit after `bytes` (complemented, least significant byte first). */
export function fcsTrailer(fcsOverFrame: number): [number, number] {
  const v = ~fcsOverFrame & 0xffff;
  return [v & 0xff, v >>> 8];
}
