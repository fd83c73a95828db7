/** FCS-16 of RFC 1662 (appendix C): reflected CRC-CCITT, polynomial 0x8408, init 0xffff. */

export const FCS_INIT = 0xffff;
/** Running the FCS over a frame plus its transmitted FCS yields this constant when intact. */
export const FCS_GOOD = 0xf0b8;

const TABLE = buildTable();

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let b = 0; b < 256; b++) {
    let v = b;
    for (let i = 0; i < 8; i++) v = v & 1 ? (v >>> 1) ^ 0x8408 : v >>> 1;
    table[b] = v;
  }
  return table;
}

/** Continues an FCS over `bytes[start..end)`. */
export function fcs16(bytes: Uint8Array, fcs = FCS_INIT, start = 0, end = bytes.length): number {
  for (let i = start; i < end; i++) fcs = (fcs >>> 8) ^ TABLE[(fcs ^ bytes[i]!) & 0xff]!;
  return fcs;
}

/** The two FCS bytes to transmit after `bytes` (complemented, least significant byte first). */
export function fcsTrailer(fcsOverFrame: number): [number, number] {
  const v = ~fcsOverFrame & 0xffff;
  return [v & 0xff, v >>> 8];
}
