/**
 * Bytes on the air per part and per service, counted at a simulated device (the demo,
 * `npm run bench:apps`):
 *  - the serial line: every byte both ways (what the modem puts on the radio for this device);
 *  - the tunnel: IKE packets and ESP packets as IPv4 on the link (outer IPv4 + UDP 4500 + IKE or
 *    ESP); ESP attributed to a service by its inner packet's peer, with the inner packet's size and
 *    its TCP/UDP payload, so each header layer can be told apart;
 *  - NAT keepalives: one byte in UDP 4500, 29 bytes of IPv4 each: ours (taken out of the IKE
 *    count) up, the gateway's (when it believes itself behind a NAT too) down;
 *  - PPP: what is left of the serial line: framing (flags, address/control, protocol, FCS), RFC
 *    1662 escapes, and LCP/IPCP.
 */
import { flowOf, PROTO_TCP, PROTO_UDP } from '../../src/ip/ipv4.ts';
import { parseIpv4 } from '../../src/util/bytes.ts';
import type { SimDevice } from './device.ts';

/** A NAT-T keepalive on the link: IPv4 20 + UDP 8 + the 0xFF byte. */
export const NAT_KEEPALIVE_BYTES = 29;

/** One direction: bytes on the link, packets, and (ESP) the inner packets' bytes and their TCP/UDP payload. */
export interface Leg {
  bytes: number;
  packets: number;
  inner: number;
  payload: number;
}

export interface Traffic {
  up: Leg;
  down: Leg;
}

export interface AirCounts {
  serial: Traffic;
  ike: Traffic;
  natKeepalives: Traffic;
  esp: Traffic;
  /** ESP by service name, and 'other' (other peers, and packets dropped when opened). */
  services: Record<string, Traffic>;
  ppp: Traffic;
}

/** A service in the private network: its address, and its port if only that port counts. */
export interface Service {
  address: string;
  port?: number;
}

const leg = (bytes = 0, packets = 0): Leg => ({ bytes, packets, inner: 0, payload: 0 });
const zero = (): Traffic => ({ up: leg(), down: leg() });
const mapLegs = (a: Traffic, b: Traffic, f: (x: number, y: number) => number): Traffic => {
  const one = (x: Leg, y: Leg): Leg => ({ bytes: f(x.bytes, y.bytes), packets: f(x.packets, y.packets), inner: f(x.inner, y.inner), payload: f(x.payload, y.payload) });
  return { up: one(a.up, b.up), down: one(a.down, b.down) };
};
export const minus = (a: Traffic, b: Traffic): Traffic => mapLegs(a, b, (x, y) => x - y);
const plus = (a: Traffic, b: Traffic): Traffic => mapLegs(a, b, (x, y) => x + y);

/** Every count of `b` less `a`: what happened between two snapshots. */
export function between(a: AirCounts, b: AirCounts): AirCounts {
  const services: Record<string, Traffic> = {};
  for (const name of Object.keys(b.services)) services[name] = minus(b.services[name]!, a.services[name] ?? zero());
  return { serial: minus(b.serial, a.serial), ike: minus(b.ike, a.ike), natKeepalives: minus(b.natKeepalives, a.natKeepalives), esp: minus(b.esp, a.esp), services, ppp: minus(b.ppp, a.ppp) };
}

export class ServiceMeter {
  private readonly serial = zero();
  private readonly tapped = new Map<string, Traffic>();

  /** Counts from now on: make it before the device starts to count the bring-up too. */
  constructor(
    private readonly device: SimDevice,
    private readonly services: Record<string, Service> = {},
  ) {
    const previous = device.serial.tap;
    device.serial.tap = (direction, bytes) => {
      previous?.(direction, bytes);
      const l = direction === 'tx' ? this.serial.up : this.serial.down;
      l.bytes += bytes.length;
    };
    const keys = Object.entries(services).map(([name, s]) => ({ name, address: toU32(s.address), port: s.port }));
    device.onEvent((e) => {
      if (e.type !== 'link-up') return;
      device.agent.tunnel.espTap = (direction, inner, bytes) => this.tap(keys, direction, inner, bytes);
    });
  }

  private tap(keys: { name: string; address: number; port: number | undefined }[], direction: 'in' | 'out', inner: Uint8Array, bytes: number): void {
    const flow = flowOf(inner);
    if (!flow) return;
    const address = direction === 'out' ? flow.dst : flow.src;
    const port = direction === 'out' ? flow.dstPort : flow.srcPort;
    // port -1: a fragment after the first (no ports in it), counted with its peer.
    const name = keys.find((k) => k.address === address && (k.port === undefined || k.port === port || port === -1))?.name ?? 'other';
    const t = this.tapped.get(name) ?? zero();
    this.tapped.set(name, t);
    const l = direction === 'out' ? t.up : t.down;
    l.bytes += bytes;
    l.packets++;
    l.inner += inner.length;
    l.payload += inner.length - headersOf(inner, flow.protocol, port === -1);
  }

  /** Every count so far (tunnel figures summed over the device's whole run). */
  counts(): AirCounts {
    const tunnel = this.device.agent.tunnel;
    const tr = tunnel.traffic;
    const keepalives = tunnel.ike.counters.keepalives;
    const natKeepalives: Traffic = { up: leg(keepalives * NAT_KEEPALIVE_BYTES, keepalives), down: leg(tr.keepalivesIn * NAT_KEEPALIVE_BYTES, tr.keepalivesIn) };
    const ike: Traffic = { up: leg(tr.ikeBytesOut - natKeepalives.up.bytes, tr.ikePacketsOut - keepalives), down: leg(tr.ikeBytesIn, tr.ikePacketsIn) };
    const esp: Traffic = { up: leg(tr.espBytesOut, tr.espPacketsOut), down: leg(tr.espBytesIn, tr.espPacketsIn) };
    const services: Record<string, Traffic> = {};
    let named = zero();
    for (const name of Object.keys(this.services)) {
      services[name] = structuredClone(this.tapped.get(name) ?? zero());
      named = plus(named, services[name]);
    }
    const other = minus(esp, named);
    const tappedOther = this.tapped.get('other') ?? zero();
    other.up.inner = tappedOther.up.inner;
    other.up.payload = tappedOther.up.payload;
    other.down.inner = tappedOther.down.inner;
    other.down.payload = tappedOther.down.payload;
    services.other = other;
    const ip = plus(plus(ike, natKeepalives), esp);
    const ppp: Traffic = { up: leg(this.serial.up.bytes - ip.up.bytes), down: leg(this.serial.down.bytes - ip.down.bytes) };
    return { serial: structuredClone(this.serial), ike, natKeepalives, esp, services, ppp };
  }

  /** The table the demo prints: `counts` (default: everything so far). */
  report(counts = this.counts()): string[] {
    const c = counts;
    const row = (what: string, t: Traffic, packets = true) =>
      `  ${what.padEnd(38)} ${num(t.up.bytes).padStart(9)} ${num(t.down.bytes).padStart(11)}${packets ? `   ${`${t.up.packets} / ${t.down.packets}`.padStart(13)}` : ''}`;
    return [
      'Bytes on the air (counted at the device; "up" = device → network):',
      `  ${'part'.padEnd(38)} ${'up'.padStart(9)} ${'down'.padStart(11)}   ${'packets'.padStart(13)}`,
      row('IKE (SA setup, rekeys, DPD, DELETE)', c.ike),
      row('NAT keepalives (UDP 4500, 1 byte)', c.natKeepalives),
      ...Object.entries(c.services).map(([name, t]) => row(`ESP: ${name}`, t)),
      row('PPP (framing, escapes, LCP/IPCP)', c.ppp, false),
      row('total on the serial line', c.serial, false),
      '  IKE, NAT keepalive and ESP rows are IPv4 packets on the link (outer IPv4 + UDP 4500 + IKE or ESP',
      '  with the inner IPv4/TCP/UDP packet and its padding and ICV), ESP by the inner packet\'s peer; the PPP',
      '  row is the rest of what crossed the serial line. TCP\'s own ACKs and handshakes count with their service.',
    ];
  }
}

/** Inner IPv4 header plus the TCP/UDP header (a later fragment has only the IPv4 one). */
function headersOf(inner: Uint8Array, protocol: number, laterFragment: boolean): number {
  const ip = (inner[0]! & 0x0f) * 4;
  if (laterFragment) return ip;
  if (protocol === PROTO_TCP && inner.length >= ip + 13) return ip + (inner[ip + 12]! >> 4) * 4;
  if (protocol === PROTO_UDP) return ip + 8;
  return ip;
}

function toU32(address: string): number {
  const b = parseIpv4(address);
  if (!b) throw new Error(`not an IPv4 address: ${address}`);
  return ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
}

export const num = (n: number): string => Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
