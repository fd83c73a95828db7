/**
 * Every fuzz target, by name: each parser of the agent and each stateful entry point.
 * Slowest first, so that processes running them in this order finish together.
 */
import type { AnyTarget } from '../target.ts';
import { dnsMessage, dnsResolver } from './dns.ts';
import { espOpen } from './esp.ts';
import { httpClient, httpResponse } from './http.ts';
import { ikeDecode, ikeDecodeSk } from './ike-codec.ts';
import { ikeFragments } from './ike-fragments.ts';
import { ikeSession } from './ike-session.ts';
import { ipParsers, ipStack } from './ip.ts';
import { atParse, modemDriver } from './modem.ts';
import { mqttClient, mqttCodec } from './mqtt.ts';
import { pppHdlc, pppLink } from './ppp.ts';
import { tcpConnection, tcpSegment } from './tcp.ts';
import { x509Parse } from './x509.ts';

export const TARGETS: readonly AnyTarget[] = [
  ikeSession, mqttClient, tcpConnection, mqttCodec, ikeDecodeSk, ikeFragments, pppLink, dnsResolver, pppHdlc, ipStack, espOpen, httpClient,
  ikeDecode, x509Parse, dnsMessage, httpResponse, ipParsers, tcpSegment, atParse, modemDriver,
];

export function findTarget(name: string): AnyTarget | undefined {
  return TARGETS.find((t) => t.name === name);
}
