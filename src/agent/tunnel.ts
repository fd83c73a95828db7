/**
 * The tunnel: IKEv2 session + ESP SAs + the inner IPv4 stack whose address is the
 * virtual IP the gateway hands out. Rides on the cellular link's outer UDP sockets
 * (500 and 4500); ESP goes in UDP 4500 behind NAT (RFC 3948), else as IP protocol 50.
 */
import type { AgentConfig } from '../config.ts';
import { DnsResolver, type LookupCallback, type LookupHandle } from '../dns/resolver.ts';
import { classifyUdp4500, IKE_PORT, NATT_PORT } from '../esp/index.ts';
import type { ChildSa } from '../ike/child-sa.ts';
import { IkeSession } from '../ike/session.ts';
import type { IkeEvent } from '../ike/session-types.ts';
import { PROTO_ESP } from '../ip/ipv4.ts';
import { IpStack, type UdpHandler, type UdpSocket } from '../ip/stack.ts';
import type { KeyLog, Random } from '../platform.ts';
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
}

export interface TunnelPorts {
  onEvent(event: TunnelEvent, now: number): void;
}

export class Tunnel {
  /** The app's network: source address = the virtual IP, everything goes through ESP. */
  readonly ip: IpStack;
  readonly dns: DnsResolver;
  readonly ike: IkeSession;
  readonly drops: DropCounter;
  readonly traffic: TunnelTraffic = { ikeBytesOut: 0, ikeBytesIn: 0, espBytesOut: 0, espBytesIn: 0 };
  /** The pair all outbound traffic uses. */
  private child: ChildSa | undefined;
  /** Every pair that may still receive: the current one and those a rekey replaced, until deleted. */
  private inbound: ChildSa[] = [];
  private ikeSocket: UdpSocket | undefined;
  private nattSocket: UdpSocket | undefined;
  private now = 0;

  constructor(
    private readonly config: AgentConfig,
    private readonly outer: IpStack,
    deps: { random: Random; log: Logger; keyLog?: KeyLog },
    private readonly ports: TunnelPorts,
  ) {
    this.drops = new DropCounter(deps.log.child('esp'));
    this.ip = new IpStack({ log: deps.log.child('inner-ip'), random: deps.random }, { transmit: (p) => this.protect(p) });
    this.dns = new DnsResolver({ servers: [] }, { log: deps.log.child('dns'), random: deps.random }, { udp: this.ip });
    this.ike = new IkeSession(
      config,
      { random: deps.random, log: deps.log.child('ike'), keyLog: deps.keyLog, espDrops: this.drops },
      {
        sendUdp: (port, payload) => {
          this.traffic.ikeBytesOut += payload.length + UDP_OVERHEAD;
          (port === 'ike' ? this.ikeSocket : this.nattSocket)?.sendTo(this.config.gateway, port === 'ike' ? IKE_PORT : NATT_PORT, payload, this.now);
        },
        onEvent: (ev) => this.ikeEvent(ev),
        onChildSa: (child) => this.install(child),
        onChildSaInbound: (child) => this.addInbound(child),
        onChildSaRetired: (child) => {
          this.inbound = this.inbound.filter((c) => c !== child);
        },
      },
    );
  }

  get up(): boolean {
    return this.child !== undefined;
  }

  get childSa(): ChildSa | undefined {
    return this.child;
  }

  /** The link is up with `localAddress`: bind IKE's sockets and start establishing. */
  linkUp(localAddress: string, now: number): void {
    this.now = now;
    this.closeSockets();
    this.ikeSocket = this.outer.bindUdp(IKE_PORT, (d, t) => this.fromGateway(d.srcAddr, d.payload, 'ike', t));
    this.nattSocket = this.outer.bindUdp(NATT_PORT, (d, t) => this.fromGateway(d.srcAddr, d.payload, 'nat-t', t));
    this.outer.setProtocolHandler(PROTO_ESP, (d, t) => {
      if (d.srcAddr === this.config.gateway) {
        this.traffic.espBytesIn += d.payload.length + UDP_OVERHEAD - 8;
        this.unprotect(d.payload, t);
      } else this.drops.drop('ESP from a host that is not the gateway');
    });
    this.ike.start(now, localAddress, IKE_PORT);
  }

  /** The link went away: the SAs cannot be used (nothing can be sent to delete them). */
  linkDown(now: number): void {
    this.now = now;
    this.uninstall();
    this.ike.close(now);
    this.closeSockets();
  }

  /** Deletes the IKE SA at the gateway (while the link is still up). */
  close(now: number): void {
    this.now = now;
    this.ike.close(now);
    this.uninstall();
  }

  bindUdp(localPort: number, handler: UdpHandler): UdpSocket {
    return this.ip.bindUdp(localPort, handler);
  }

  lookup(name: string, now: number, callback: LookupCallback): LookupHandle {
    this.now = now;
    return this.dns.lookup(name, now, callback);
  }

  deadline(): number | undefined {
    return earliest(this.ike.deadline(), this.ip.deadline(), this.dns.deadline());
  }

  onTimer(now: number): void {
    this.now = now;
    this.ike.onTimer(now);
    this.ip.onTimer(now);
    this.dns.onTimer(now);
  }

  private fromGateway(src: string, payload: Uint8Array, socket: 'ike' | 'nat-t', now: number): void {
    this.now = now;
    if (src !== this.config.gateway) return this.drops.drop('UDP from a host that is not the gateway');
    const c = socket === 'ike' ? undefined : classifyUdp4500(payload);
    if (!c || c.kind === 'ike') {
      this.traffic.ikeBytesIn += payload.length + UDP_OVERHEAD;
      return this.ike.input(payload, socket, now);
    }
    if (c.kind === 'esp') {
      this.traffic.espBytesIn += payload.length + UDP_OVERHEAD;
      this.unprotect(c.packet, now);
    }
    else if (c.kind === 'invalid') this.drops.drop('invalid UDP/4500 payload', c.reason);
  }

  private unprotect(packet: Uint8Array, now: number): void {
    const current = this.child;
    if (!current) return this.drops.drop('ESP before the CHILD SA is up');
    const spi = packet.length >= 4 ? readU32(packet, 0) : -1;
    // An unknown SPI goes to the current SA, which counts it.
    const child = this.inbound.find((c) => c.spiIn === spi) ?? current;
    const inner = child.inbound.open(packet);
    if (!inner) return; // counted by the SA (ICV, replay, padding, SPI)
    this.ike.noteEspActivity('in', now);
    this.ip.input(inner, now);
  }

  private protect(inner: Uint8Array): void {
    const child = this.child;
    if (!child) return this.drops.drop('app traffic while the tunnel is down');
    const esp = child.outbound.protect(inner);
    if (!esp) return;
    this.traffic.espBytesOut += esp.length + (child.udpEncap ? UDP_OVERHEAD : UDP_OVERHEAD - 8);
    if (child.udpEncap) this.nattSocket?.sendTo(this.config.gateway, NATT_PORT, esp, this.now);
    else this.outer.sendRaw(PROTO_ESP, this.config.gateway, esp, this.now);
    this.ike.noteEspActivity('out', this.now);
  }

  private install(child: ChildSa): void {
    this.addInbound(child);
    this.child = child;
    this.ip.setLocalAddress(child.virtualIp);
    this.dns.setServers(child.dns);
  }

  private addInbound(child: ChildSa): void {
    if (!this.inbound.includes(child)) this.inbound.push(child);
  }

  private uninstall(): void {
    this.child = undefined;
    this.inbound = [];
    this.ip.setLocalAddress(undefined);
  }

  private ikeEvent(ev: IkeEvent): void {
    if (ev.type === 'child-down' || ev.type === 'ike-down') this.uninstall();
    this.ports.onEvent(ev, this.now);
  }

  private closeSockets(): void {
    this.ikeSocket?.close();
    this.nattSocket?.close();
    this.ikeSocket = this.nattSocket = undefined;
    this.outer.setProtocolHandler(PROTO_ESP, undefined);
  }
}
