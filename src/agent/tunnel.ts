/**
 * The tunnel: IKEv2 session + the CHILD SA table + the inner IPv4 stack whose address is the
 * virtual IP the gateway hands out. Rides on the cellular link's outer UDP sockets (500 and
 * 4500); ESP goes in UDP 4500 behind NAT (RFC 3948), else as IP protocol 50.
 * Traffic selectors are enforced both ways (RFC 4301 5.2): an inner packet outside the pair's
 * selectors is dropped and counted coming in, and refused going out (the app's send fails;
 * nothing ever leaves in clear).
 */
import { DnsResolver, type LookupCallback, type LookupHandle } from '../dns/resolver.ts';
import { classifyUdp4500, IKE_PORT, NATT_PORT } from '../esp/index.ts';
import { ChildSaTable, IkeSession, selectorContains, type ChildSa, type IkeEvent, type IkeSettings, type IkeTuning } from '../ike/index.ts';
import { flowOf, PROTO_ESP } from '../ip/ipv4.ts';
import { IpStack, type UdpHandler, type UdpSocket } from '../ip/stack.ts';
import type { KeyLog, Random } from '../platform.ts';
import type { BackoffSettings } from '../util/backoff.ts';
import { readU32 } from '../util/bytes.ts';
import { DropCounter, type Logger } from '../util/log.ts';
import { earliest } from '../util/time.ts';

export type TunnelEvent = IkeEvent;

/** IPv4 + UDP headers: what each datagram costs on the link besides its payload. */
const UDP_OVERHEAD = 28;

/** Bytes on the link (IP packets, PPP framing excluded): what a metered plan pays for. */
export interface TunnelTraffic {
  ikeBytesOut: number;
  ikeBytesIn: number;
  espBytesOut: number;
  espBytesIn: number;
  /** Packets: IKE messages (and our NAT keepalives, out) and ESP packets. */
  ikePacketsOut: number;
  ikePacketsIn: number;
  espPacketsOut: number;
  espPacketsIn: number;
  /** The gateway's NAT keepalives (a gateway behind a NAT sends them too). */
  keepalivesIn: number;
}

/**
 * Hears every ESP packet that carried an app's inner packet: its direction, the inner IPv4 packet
 * (read it, keep nothing), and the ESP packet's bytes on the link (outer IPv4 + UDP + ESP, PPP
 * framing excluded). For hosts that account traffic per service and per header (the demo, the
 * benches); the agent keeps no per-flow state itself.
 */
export type EspTap = (direction: 'in' | 'out', inner: Uint8Array, bytes: number) => void;

export interface TunnelPorts {
  onEvent(event: TunnelEvent, now: number): void;
  /** The link's MTU (IKE fragments fit in it). */
  linkMtu?(): number;
}

export class Tunnel {
  /** The app's network: source address = the virtual IP, everything goes through ESP. */
  readonly ip: IpStack;
  readonly dns: DnsResolver;
  readonly ike: IkeSession;
  /** The one CHILD SA table: IKE installs and retires pairs, the ESP path below uses them. */
  readonly children = new ChildSaTable();
  readonly drops: DropCounter;
  readonly traffic: TunnelTraffic = { ikeBytesOut: 0, ikeBytesIn: 0, espBytesOut: 0, espBytesIn: 0, ikePacketsOut: 0, ikePacketsIn: 0, espPacketsOut: 0, espPacketsIn: 0, keepalivesIn: 0 };
  espTap: EspTap | undefined;
  private ikeSocket: UdpSocket | undefined;
  private nattSocket: UdpSocket | undefined;

  constructor(
    private readonly settings: IkeSettings,
    retry: BackoffSettings,
    private readonly outer: IpStack,
    deps: { random: Random; log: Logger; keyLog?: KeyLog },
    private readonly ports: TunnelPorts,
    tuning: IkeTuning = {},
  ) {
    this.drops = new DropCounter(deps.log.child('esp'));
    this.ip = new IpStack({ log: deps.log.child('inner-ip'), random: deps.random }, { transmit: (p, now) => this.protect(p, now) });
    this.dns = new DnsResolver({ servers: [] }, { log: deps.log.child('dns'), random: deps.random }, { udp: this.ip });
    this.children.onChange((child) => {
      this.ip.setLocalAddress(child?.virtualIp);
      if (child) this.dns.setServers(child.dns);
    });
    this.ike = new IkeSession(
      settings,
      retry,
      { random: deps.random, log: deps.log.child('ike'), keyLog: deps.keyLog, espDrops: this.drops },
      this.children,
      {
        sendUdp: (port, payload, now) => {
          this.traffic.ikeBytesOut += payload.length + UDP_OVERHEAD;
          this.traffic.ikePacketsOut++;
          (port === 'ike' ? this.ikeSocket : this.nattSocket)?.sendTo(settings.gateway, port === 'ike' ? IKE_PORT : NATT_PORT, payload, now);
        },
        onEvent: (ev, now) => this.ports.onEvent(ev, now),
        linkMtu: () => this.ports.linkMtu?.(),
      },
      tuning,
    );
  }

  get up(): boolean {
    return this.children.current !== undefined;
  }

  get childSa(): ChildSa | undefined {
    return this.children.current;
  }

  /** The link is up with `localAddress`: bind IKE's sockets and start establishing. */
  linkUp(localAddress: string, now: number): void {
    this.closeSockets();
    this.ikeSocket = this.outer.bindUdp(IKE_PORT, (d, t) => this.fromGateway(d.srcAddr, d.payload, 'ike', t));
    this.nattSocket = this.outer.bindUdp(NATT_PORT, (d, t) => this.fromGateway(d.srcAddr, d.payload, 'nat-t', t));
    this.outer.setProtocolHandler(PROTO_ESP, (d, t) => {
      if (d.srcAddr === this.settings.gateway) {
        const bytes = d.payload.length + UDP_OVERHEAD - 8;
        this.traffic.espBytesIn += bytes;
        this.traffic.espPacketsIn++;
        this.unprotect(d.payload, bytes, t);
      } else this.drops.drop('ESP from a host that is not the gateway');
    });
    this.ike.start(now, localAddress, IKE_PORT);
  }

  /** The link went away: nothing can be sent; IKE keeps its SAs for the next link (config.linkLossHold) or drops them. */
  linkDown(now: number): void {
    this.ike.linkDown(now);
    this.closeSockets();
  }

  /** Deletes the IKE SA at the gateway (while the link is still up). */
  close(now: number): void {
    this.ike.close(now);
  }

  bindUdp(localPort: number, handler: UdpHandler): UdpSocket {
    return this.ip.bindUdp(localPort, handler);
  }

  lookup(name: string, now: number, callback: LookupCallback): LookupHandle {
    return this.dns.lookup(name, now, callback);
  }

  deadline(): number | undefined {
    return earliest(this.ike.deadline(), this.ip.deadline(), this.dns.deadline());
  }

  /** True when IKE spent the turn (IkeSession.onTimer: a key-exchange step, a key pair, a rekey started): other due work waits a turn. */
  onTimer(now: number): boolean {
    if (this.ike.onTimer(now)) return true;
    this.ip.onTimer(now);
    this.dns.onTimer(now);
    return false;
  }

  private fromGateway(src: string, payload: Uint8Array, socket: 'ike' | 'nat-t', now: number): void {
    if (src !== this.settings.gateway) return this.drops.drop('UDP from a host that is not the gateway');
    const c = socket === 'ike' ? undefined : classifyUdp4500(payload);
    if (!c || c.kind === 'ike') {
      this.traffic.ikeBytesIn += payload.length + UDP_OVERHEAD;
      this.traffic.ikePacketsIn++;
      return this.ike.input(payload, socket, now);
    }
    if (c.kind === 'esp') {
      this.traffic.espBytesIn += payload.length + UDP_OVERHEAD;
      this.traffic.espPacketsIn++;
      this.unprotect(c.packet, payload.length + UDP_OVERHEAD, now);
    } else if (c.kind === 'keepalive') this.traffic.keepalivesIn++;
    else if (c.kind === 'invalid') this.drops.drop('invalid UDP/4500 payload', c.reason);
  }

  /** `bytes`: the ESP packet's size on the link, for the tap. */
  private unprotect(packet: Uint8Array, bytes: number, now: number): void {
    if (!this.children.current) return this.drops.drop('ESP before the CHILD SA is up');
    const spi = packet.length >= 4 ? readU32(packet, 0) : -1;
    // An unknown SPI goes to the current SA, which counts it.
    const child = this.children.inbound(spi) ?? this.children.current;
    const inner = child.inbound.open(packet);
    if (!inner) return; // counted by the SA (ICV, replay, padding, SPI)
    this.ike.noteEsp('in', child, now);
    const flow = flowOf(inner);
    if (!flow) return this.drops.drop('inner packet not IPv4');
    if (!selectorContains(child.tsRemote, flow.src, flow.protocol, flow.srcPort) || !selectorContains(child.tsLocal, flow.dst, flow.protocol, flow.dstPort)) {
      return this.drops.drop('inner packet outside the traffic selectors');
    }
    this.espTap?.('in', inner, bytes);
    this.ip.input(inner, now);
  }

  /** The inner stack's packet, through ESP; false (the app's send fails) without a tunnel or outside its selectors. */
  private protect(inner: Uint8Array, now: number): boolean {
    const child = this.children.current;
    // Kept over a carrier loss, the SA carries nothing until the new link moved it.
    if (!child || this.ike.state !== 'established') {
      this.drops.drop('app traffic while the tunnel is down');
      return false;
    }
    const flow = flowOf(inner);
    if (!flow || !selectorContains(child.tsLocal, flow.src, flow.protocol, flow.srcPort) || !selectorContains(child.tsRemote, flow.dst, flow.protocol, flow.dstPort)) {
      this.drops.drop('app traffic outside the traffic selectors');
      return false;
    }
    const esp = child.outbound.protect(inner);
    if (!esp) return false;
    const bytes = esp.length + (child.udpEncap ? UDP_OVERHEAD : UDP_OVERHEAD - 8);
    this.traffic.espBytesOut += bytes;
    this.traffic.espPacketsOut++;
    this.espTap?.('out', inner, bytes);
    if (child.udpEncap) this.nattSocket?.sendTo(this.settings.gateway, NATT_PORT, esp, now);
    else this.outer.sendRaw(PROTO_ESP, this.settings.gateway, esp, now);
    this.ike.noteEsp('out', child, now);
    return true;
  }

  private closeSockets(): void {
    this.ikeSocket?.close();
    this.nattSocket?.close();
    this.ikeSocket = this.nattSocket = undefined;
    this.outer.setProtocolHandler(PROTO_ESP, undefined);
  }
}
