/**
 * A CHILD SA (the first, from IKE_AUTH, or a rekeyed one): its ESP SAs keyed from KEYMAT
 * (RFC 7296 2.17) and what the agent needs to route through it: outbound under the gateway's
 * SPI, inbound under ours, each with the KEYMAT half for its direction.
 */
import { formatEspSuite, type EspSuite, type PrfAlgorithm } from '../crypto/index.ts';
import { EspInboundSa, EspOutboundSa, hexSpi } from '../esp/index.ts';
import type { KeyLog, Random } from '../platform.ts';
import { readU32 } from '../util/bytes.ts';
import type { DropCounter } from '../util/log.ts';
import { deriveChildSaKeys } from './keys.ts';
import { formatSelector, type Ipv4Selector } from './traffic-selectors.ts';

export interface ChildSa {
  inbound: EspInboundSa;
  outbound: EspOutboundSa;
  spiIn: number;
  spiOut: number;
  /** swanctl name of the negotiated ESP suite, e.g. 'aes128gcm16'. */
  suite: string;
  /** The suite itself: a rekey offers it again. */
  espSuite: EspSuite;
  /** The inner source address assigned by the gateway (CP INTERNAL_IP4_ADDRESS). */
  virtualIp: string;
  dns: string[];
  /** Narrowed selectors: local (TSi, normally virtualIp/32) and remote (TSr). */
  tsLocal: Ipv4Selector[];
  tsRemote: Ipv4Selector[];
  /** ESP goes in UDP to the gateway's port 4500 without a marker (RFC 3948); else IP protocol 50. */
  udpEncap: boolean;
  /** Zeroes both SAs' keys (retired or cleared). */
  wipe(): void;
}

/** What an exchange that creates a CHILD SA (IKE_AUTH, CREATE_CHILD_SA) settled. */
export interface ChildSaResult {
  suite: EspSuite;
  espSpiOut: Uint8Array;
  virtualIp: string;
  dns: string[];
  tsi: Ipv4Selector[];
  tsr: Ipv4Selector[];
}

export interface ChildSaBuild {
  /** We initiated the exchange that creates it (IKE_AUTH, our rekey) or the gateway did (its rekey). */
  initiator: boolean;
  prf: PrfAlgorithm;
  skD: Uint8Array;
  nonceI: Uint8Array;
  nonceR: Uint8Array;
  /** g^ir of a PFS rekey's key exchange. */
  pfsSecret?: Uint8Array;
  spiIn: Uint8Array;
  result: ChildSaResult;
  udpEncap: boolean;
  /** Outer addresses, only for key-log entries. */
  localAddress: string;
  gateway: string;
}

/** The pair's ESP SAs have carried enough to be replaced (strongSwan's rekey_bytes / rekey_packets, and always before the 32-bit sequence runs out). */
export function volumeSpent(c: ChildSa, limits: { bytes: number; packets: number }): boolean {
  const packets = c.inbound.packets + c.outbound.packets;
  const bytes = c.inbound.bytes + c.outbound.bytes;
  return c.outbound.rekeyNeeded || (limits.packets > 0 && packets >= limits.packets) || (limits.bytes > 0 && bytes >= limits.bytes);
}

export function buildChildSa(b: ChildSaBuild, deps: { random: Random; drops: DropCounter; keyLog?: KeyLog }): ChildSa {
  const suite = b.result.suite;
  const keys = deriveChildSaKeys(b.prf, b.skD, suite, b.nonceI, b.nonceR, b.pfsSecret);
  const spiIn = readU32(b.spiIn, 0);
  const spiOut = readU32(b.result.espSpiOut, 0);
  // KEYMAT's first keys protect what the exchange's initiator sends (RFC 7296 2.17).
  const out = b.initiator ? keys.initiatorToResponder : keys.responderToInitiator;
  const into = b.initiator ? keys.responderToInitiator : keys.initiatorToResponder;
  const integ = (k: Uint8Array): Uint8Array | undefined => (suite.integ ? k : undefined);
  const outbound = new EspOutboundSa({ spi: spiOut, suite, encrKey: out.encr, integKey: integ(out.integ) }, deps);
  const inbound = new EspInboundSa({ spi: spiIn, suite, encrKey: into.encr, integKey: integ(into.integ) }, deps);
  if (deps.keyLog) {
    const integrity = suite.integ?.name ?? 'none';
    deps.keyLog.espSa({ spi: spiOut, source: b.localAddress, destination: b.gateway, encryption: suite.encr.name, encryptionKey: out.encr, integrity, integrityKey: out.integ });
    deps.keyLog.espSa({ spi: spiIn, source: b.gateway, destination: b.localAddress, encryption: suite.encr.name, encryptionKey: into.encr, integrity, integrityKey: into.integ });
  }
  // The SAs' ciphers hold their own copies.
  for (const k of [out.encr, out.integ, into.encr, into.integ]) k.fill(0);
  return {
    inbound,
    outbound,
    spiIn,
    spiOut,
    suite: formatEspSuite(suite),
    espSuite: suite,
    virtualIp: b.result.virtualIp,
    dns: b.result.dns,
    tsLocal: b.result.tsi,
    tsRemote: b.result.tsr,
    udpEncap: b.udpEncap,
    wipe() {
      inbound.wipe();
      outbound.wipe();
    },
  };
}

export function describeChildSa(c: ChildSa): string {
  return `${c.suite} in ${hexSpi(c.spiIn)} out ${hexSpi(c.spiOut)} ${c.tsLocal.map(formatSelector).join(',')} === ${c.tsRemote.map(formatSelector).join(',')}`;
}

/** A new inbound SPI; 1-255 are reserved (RFC 4303 2.1), so the top byte is never 0. */
export function newEspSpi(random: Random): Uint8Array {
  const spi = random.bytes(4).slice(0, 4);
  if (spi[0] === 0) spi[0] = 1;
  return spi;
}
