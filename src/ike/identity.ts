/**
 * Identities as configured (localId / remoteId strings) to ID payload bodies (RFC 7296 3.5):
 * an IPv4 literal is ID_IPV4_ADDR, 'user@host' is ID_RFC822_ADDR, anything else ID_FQDN.
 */
import { concatBytes, ipv4ToString, latin1, parseIpv4, utf8 } from '../util/bytes.ts';
import { IdType } from './codec/index.ts';

export { IdType };

export interface Identity {
  type: number;
  data: Uint8Array;
}

export function identityFromString(text: string): Identity {
  const ip = parseIpv4(text);
  if (ip) return { type: IdType.IPV4_ADDR, data: ip };
  if (text.includes('@')) return { type: IdType.RFC822_ADDR, data: utf8(text) };
  return { type: IdType.FQDN, data: utf8(text) };
}

/** The ID payload body after the generic header: what the AUTH computation hashes. */
export function identityBody(id: Identity): Uint8Array {
  return concatBytes(Uint8Array.of(id.type, 0, 0, 0), id.data);
}

/** For logs and error messages (identities are not secret). */
export function identityToString(id: Identity): string {
  if (id.type === IdType.IPV4_ADDR && id.data.length === 4) return ipv4ToString(id.data);
  if (id.type === IdType.FQDN || id.type === IdType.RFC822_ADDR) return latin1(id.data);
  return `ID type ${id.type} (${id.data.length} bytes)`;
}

/** Same type and same bytes; FQDNs compare case-insensitively (DNS names are). */
export function sameIdentity(a: Identity, b: Identity): boolean {
  if (a.type !== b.type) return false;
  if (a.type === IdType.FQDN) return latin1(a.data).toLowerCase() === latin1(b.data).toLowerCase();
  if (a.data.length !== b.data.length) return false;
  return a.data.every((x, i) => x === b.data[i]);
}
