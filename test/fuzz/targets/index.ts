/** Every fuzz target, by name: each parser of the agent and each stateful entry point. */
import type { AnyTarget } from '../target.ts';
import { dnsMessage, dnsResolver } from './dns.ts';
import { espOpen } from './esp.ts';
import { ikeDecode, ikeDecodeSk } from './ike-codec.ts';
import { ipParsers, ipStack } from './ip.ts';
import { atParse, modemDriver } from './modem.ts';
import { pppHdlc, pppLink } from './ppp.ts';

export const TARGETS: readonly AnyTarget[] = [ikeDecode, ikeDecodeSk, espOpen, ipParsers, ipStack, dnsMessage, dnsResolver, pppHdlc, pppLink, atParse, modemDriver];

export function findTarget(name: string): AnyTarget | undefined {
  return TARGETS.find((t) => t.name === name);
}
