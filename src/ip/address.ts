/**
 * Addresses cross every public API of src/ip and src/dns as dotted-quad strings
 * ('192.0.2.1'): that is how config, IKE traffic selectors and logs spell them.
 * Wire code works on 4-byte arrays; these helpers convert at the edge.
 */
import { ipv4ToString, parseIpv4 } from '../util/bytes.ts';

export type Ipv4Address = string;

/** Dotted quad to 4 bytes; undefined when `addr` is not one. */
export const addressToBytes = (addr: Ipv4Address): Uint8Array | undefined => parseIpv4(addr);

/** 4 bytes (at `offset`) to a dotted quad. */
export const addressFromBytes = (b: Uint8Array, offset = 0): Ipv4Address => ipv4ToString(b, offset);

export function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/** True for 0.0.0.0/8, 127/8, multicast, and limited broadcast: never valid sources of unicast replies. */
export function isSpecialAddress(a: Uint8Array): boolean {
  return a[0] === 0 || a[0] === 127 || a[0]! >= 224;
}
