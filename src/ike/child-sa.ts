/**
 * The first CHILD SA: its ESP SAs keyed from KEYMAT (RFC 7296 2.17) and what the agent needs
 * to route through it. We are the initiator, so outbound uses the initiator-to-responder keys
 * under the gateway's SPI, and inbound the responder-to-initiator keys under ours.
 */
import { formatEspSuite, type PrfAlgorithm } from '../crypto/index.ts';
import { EspInboundSa, EspOutboundSa, hexSpi } from '../esp/index.ts';
import type { KeyLog, Random } from '../platform.ts';
import { readU32 } from '../util/bytes.ts';
import type { DropCounter } from '../util/log.ts';
import { deriveChildSaKeys } from './keys.ts';
import type { ChildSaResult } from './tasks/ike-auth.ts';
import { formatSelector, type Ipv4Selector } from './traffic-selectors.ts';

export interface ChildSa {
  inbound: EspInboundSa;
  outbound: EspOutboundSa;
  spiIn: number;
  spiOut: number;
  /** swanctl name of the negotiated ESP suite, e.g. 'aes128gcm16'. */
  suite: string;
  /** The inner source address assigned by the gateway (CP INTERNAL_IP4_ADDRESS). */
  virtualIp: string;
  dns: string[];
  /** Narrowed selectors: local (TSi, normally virtualIp/32) and remote (TSr). */
  tsLocal: Ipv4Selector[];
  tsRemote: Ipv4Selector[];
  /** ESP goes in UDP to the gateway's port 4500 without a marker (RFC 3948); else IP protocol 50. */
  udpEncap: boolean;
}

export interface ChildSaBuild {
  prf: PrfAlgorithm;
  skD: Uint8Array;
  nonceI: Uint8Array;
  nonceR: Uint8Array;
  spiIn: Uint8Array;
  result: ChildSaResult;
  udpEncap: boolean;
  /** Outer addresses, only for key-log entries. */
  localAddress: string;
  gateway: string;
}

export function buildChildSa(b: ChildSaBuild, deps: { random: Random; drops: DropCounter; keyLog?: KeyLog }): ChildSa {
  const suite = b.result.suite;
  const keys = deriveChildSaKeys(b.prf, b.skD, suite, b.nonceI, b.nonceR);
  const spiIn = readU32(b.spiIn, 0);
  const spiOut = readU32(b.result.espSpiOut, 0);
  const integ = (k: Uint8Array): Uint8Array | undefined => (suite.integ ? k : undefined);
  const outbound = new EspOutboundSa({ spi: spiOut, suite, encrKey: keys.initiatorToResponder.encr, integKey: integ(keys.initiatorToResponder.integ) }, deps);
  const inbound = new EspInboundSa({ spi: spiIn, suite, encrKey: keys.responderToInitiator.encr, integKey: integ(keys.responderToInitiator.integ) }, deps);
  if (deps.keyLog) {
    const integrity = suite.integ?.name ?? 'none';
    deps.keyLog.espSa({ spi: spiOut, source: b.localAddress, destination: b.gateway, encryption: suite.encr.name, encryptionKey: keys.initiatorToResponder.encr, integrity, integrityKey: keys.initiatorToResponder.integ });
    deps.keyLog.espSa({ spi: spiIn, source: b.gateway, destination: b.localAddress, encryption: suite.encr.name, encryptionKey: keys.responderToInitiator.encr, integrity, integrityKey: keys.responderToInitiator.integ });
  }
  return {
    inbound,
    outbound,
    spiIn,
    spiOut,
    suite: formatEspSuite(suite),
    virtualIp: b.result.virtualIp,
    dns: b.result.dns,
    tsLocal: b.result.tsi,
    tsRemote: b.result.tsr,
    udpEncap: b.udpEncap,
  };
}

export function describeChildSa(c: ChildSa): string {
  return `${c.suite} in ${hexSpi(c.spiIn)} out ${hexSpi(c.spiOut)} ${c.tsLocal.map(formatSelector).join(',')} === ${c.tsRemote.map(formatSelector).join(',')}`;
}
