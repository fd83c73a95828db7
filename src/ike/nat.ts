/**
 * NAT detection (RFC 7296 2.23): each side hashes the addresses and ports it believes
 * the packet carries; a mismatch on the receiving side means a NAT rewrote them.
 *   hash = SHA-1(SPIi | SPIr | IP | port)   (SPIr is zero in the IKE_SA_INIT request)
 */
import { sha1 } from '../crypto/backend.ts';
import { concatBytes, equalBytes, parseIpv4 } from '../util/bytes.ts';

export function natDetectionHash(spiI: Uint8Array, spiR: Uint8Array, address: string, port: number): Uint8Array {
  const ip = parseIpv4(address);
  if (!ip) throw new Error(`NAT-D needs an IPv4 address, got '${address}'`);
  return sha1(concatBytes(spiI, spiR, ip, Uint8Array.of(port >>> 8, port & 0xff)));
}

export interface NatDetectionResult {
  /** Our address/port as the responder saw it differs from what we sent: we are behind a NAT. */
  localBehindNat: boolean;
  /** The responder's address/port differs from where we sent: the gateway is behind a NAT. */
  remoteBehindNat: boolean;
}

/**
 * Compares the responder's NAT-D notifies with our view. Absent notifies mean the responder
 * does not support NAT-T: report no NAT (we then must not float).
 */
export function detectNat(
  spiI: Uint8Array,
  spiR: Uint8Array,
  local: { address: string; port: number },
  remote: { address: string; port: number },
  sourceHashes: readonly Uint8Array[],
  destinationHash: Uint8Array | undefined,
): NatDetectionResult | undefined {
  if (sourceHashes.length === 0 || !destinationHash) return undefined;
  const expectLocal = natDetectionHash(spiI, spiR, local.address, local.port);
  const expectRemote = natDetectionHash(spiI, spiR, remote.address, remote.port);
  return {
    localBehindNat: !equalBytes(destinationHash, expectLocal),
    remoteBehindNat: !sourceHashes.some((h) => equalBytes(h, expectRemote)),
  };
}
