/**
 * A minimal host IPv4 stack for one interface: UDP sockets, ICMP echo/errors and small-datagram
 * reassembly. It knows nothing of the layer below; the agent runs one on the PPP link and
 * another inside the ESP tunnel. Sans-IO: packets in through input(), out through ports.transmit.
 */
import type { Random } from '../platform.ts';
import { readU16 } from '../util/bytes.ts';
import { DropCounter, type Logger } from '../util/log.ts';
import { addressFromBytes, addressToBytes, isSpecialAddress, sameAddress, type Ipv4Address } from './address.ts';
import { isFragment, Reassembler, splitForMtu, type Datagram, type ReassemblyLimits } from './fragments.ts';
import {
  buildDestUnreachable, buildEchoReply, buildEchoRequest, ICMP_DEST_UNREACHABLE, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST,
  parseIcmp, parseQuotedUdp, UNREACH_PORT, UNREACH_PROTOCOL,
} from './icmp.ts';
import { buildIpv4Packet, DEFAULT_TTL, IPV4_HEADER_LENGTH, ipv4PacketFor, parseIpv4Packet, PROTO_ICMP, PROTO_UDP, type Ipv4BuildFields } from './ipv4.ts';
import { buildUdp, parseUdp, UDP_HEADER_LENGTH, writeUdp } from './udp.ts';

export interface IpStackDeps {
  log: Logger;
  /** Seeds the identification counter and ephemeral ports; without it both start at fixed values. */
  random?: Random;
}

export interface IpStackPorts {
  /** An outgoing packet; false when the layer below refused it (e.g. no tunnel, outside its traffic selectors). */
  transmit(packet: Uint8Array, now: number): boolean;
}

export interface IpStackOptions {
  mtu?: number; // larger outgoing datagrams are fragmented (default 1500)
  ttl?: number;
  reassembly?: Partial<ReassemblyLimits>;
  /** Send ICMP port/protocol unreachable (at most one per icmpErrorIntervalMs); default true. */
  icmpErrors?: boolean;
  icmpErrorIntervalMs?: number;
}

export interface UdpDatagram {
  srcAddr: Ipv4Address;
  srcPort: number;
  dstAddr: Ipv4Address;
  dstPort: number;
  payload: Uint8Array; // a view into the received packet: copy it to keep it
}

/** An ICMP destination-unreachable about a datagram this socket sent. */
export interface UdpUnreachable {
  addr: Ipv4Address;
  port: number;
  code: number; // 3 = port unreachable
}

export type UdpHandler = (datagram: UdpDatagram, now: number) => void;
export type UdpUnreachableHandler = (info: UdpUnreachable, now: number) => void;

export interface UdpSocket {
  readonly localPort: number;
  /** False when it could not be sent (closed socket, no local address, bad address, too long); counted. */
  sendTo(addr: Ipv4Address, port: number, payload: Uint8Array, now: number): boolean;
  close(): void;
}

/** What a raw protocol handler (e.g. ESP, protocol 50) receives. */
export interface RawDatagram {
  srcAddr: Ipv4Address;
  dstAddr: Ipv4Address;
  /** The same addresses as 4-byte views into the packet (for pseudo-header checksums). */
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  ttl: number;
  payload: Uint8Array;
}
export type RawHandler = (datagram: RawDatagram, now: number) => void;

export interface EchoReply {
  srcAddr: Ipv4Address;
  identifier: number;
  sequence: number;
  data: Uint8Array;
}

export interface IpCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  delivered: number; // datagrams handed to a socket, raw handler or ICMP
  reassembled: number;
  fragmentsOut: number;
  icmpErrorsSent: number;
  icmpErrorsSuppressed: number; // rate limit
  drops: Record<string, number>;
}

const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;
const MAX_UDP_PAYLOAD = 0xffff - IPV4_HEADER_LENGTH - UDP_HEADER_LENGTH;

/** A bound UDP port, as bindUdp returns it and as the stack delivers to it (a class: no closures per socket, RAM on XS). */
class BoundUdpSocket implements UdpSocket {
  open = true;

  constructor(
    private readonly stack: IpStack,
    readonly localPort: number,
    readonly handler: UdpHandler,
    readonly onUnreachable: UdpUnreachableHandler | undefined,
  ) {}

  sendTo(addr: Ipv4Address, port: number, payload: Uint8Array, now: number): boolean {
    return this.stack.sendFromSocket(this, addr, port, payload, now);
  }

  close(): void {
    this.stack.unbindUdp(this);
    this.open = false;
  }
}

export class IpStack {
  private local: Uint8Array | undefined;
  private readonly drops: DropCounter;
  private readonly reassembler: Reassembler;
  private readonly sockets = new Map<number, BoundUdpSocket>();
  private readonly rawHandlers = new Map<number, RawHandler>();
  private echoHandler: ((reply: EchoReply, now: number) => void) | undefined;
  private identification: number;
  private nextEphemeral: number;
  private lastIcmpError = -Infinity;
  private mtu: number;
  private readonly ttl: number;
  private readonly icmpErrors: boolean;
  private readonly icmpErrorInterval: number;
  private readonly stats = {
    packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, delivered: 0, reassembled: 0,
    fragmentsOut: 0, icmpErrorsSent: 0, icmpErrorsSuppressed: 0,
  };

  constructor(private readonly deps: IpStackDeps, private readonly ports: IpStackPorts, options: IpStackOptions = {}) {
    this.drops = new DropCounter(deps.log);
    this.reassembler = new Reassembler(this.drops, options.reassembly);
    this.mtu = options.mtu ?? 1500;
    if (this.mtu < 68) throw new Error(`mtu below the IPv4 minimum of 68: ${this.mtu}`);
    this.ttl = options.ttl ?? DEFAULT_TTL;
    this.icmpErrors = options.icmpErrors ?? true;
    this.icmpErrorInterval = options.icmpErrorIntervalMs ?? 1000;
    this.identification = deps.random ? readU16(deps.random.bytes(2), 0) : 0;
    this.nextEphemeral = EPHEMERAL_FIRST;
  }

  /** Our address on this interface (IPCP or the IKE virtual IP); undefined while we have none. */
  setLocalAddress(addr: Ipv4Address | undefined): void {
    if (addr === undefined) {
      this.local = undefined;
      this.deps.log.info('local address cleared');
      return;
    }
    const bytes = addressToBytes(addr);
    if (!bytes) throw new Error(`not an IPv4 address: ${addr}`);
    this.local = bytes;
    this.deps.log.info(`local address ${addr}`);
  }

  localAddress(): Ipv4Address | undefined {
    return this.local && addressFromBytes(this.local);
  }

  /** Our address as 4 bytes (do not modify); undefined while we have none. */
  localAddressBytes(): Uint8Array | undefined {
    return this.local;
  }

  /** Largest packet sent whole; larger ones are fragmented (the tunnel lowers it to what fits one ESP packet). */
  setMtu(mtu: number): void {
    if (!Number.isInteger(mtu) || mtu < 68) throw new Error(`mtu below the IPv4 minimum of 68: ${mtu}`);
    this.mtu = mtu;
  }

  get currentMtu(): number {
    return this.mtu;
  }

  // ---- receive path ----

  input(packet: Uint8Array, now: number): void {
    this.stats.packetsIn++;
    this.stats.bytesIn += packet.length;
    const parsed = parseIpv4Packet(packet);
    if (!parsed.ok) return this.drops.drop(parsed.error);
    const { header, payload } = parsed.value;
    if (!this.local) return this.drops.drop('no local address');
    if (!sameAddress(header.dst, this.local)) return this.drops.drop('not for us', addressFromBytes(header.dst));
    if (isSpecialAddress(header.src)) return this.drops.drop('bad source address', addressFromBytes(header.src));

    let datagram: Datagram | undefined = { header, payload, raw: packet };
    if (isFragment(header)) {
      datagram = this.reassembler.input(datagram, now);
      if (!datagram) return;
      this.stats.reassembled++;
    }
    this.dispatch(datagram, now);
  }

  private dispatch(d: Datagram, now: number): void {
    const protocol = d.header.protocol;
    if (protocol === PROTO_UDP) return this.inputUdp(d, now);
    if (protocol === PROTO_ICMP) return this.inputIcmp(d, now);
    const raw = this.rawHandlers.get(protocol);
    if (!raw) {
      this.drops.drop('unknown protocol', String(protocol));
      return this.sendIcmpError(UNREACH_PROTOCOL, d, now);
    }
    this.stats.delivered++;
    raw({ srcAddr: addressFromBytes(d.header.src), dstAddr: addressFromBytes(d.header.dst), src: d.header.src, dst: d.header.dst, protocol, ttl: d.header.ttl, payload: d.payload }, now);
  }

  private inputUdp(d: Datagram, now: number): void {
    const parsed = parseUdp(d.payload, d.header.src, d.header.dst);
    if (!parsed.ok) return this.drops.drop(parsed.error);
    const udp = parsed.value;
    const socket = this.sockets.get(udp.dstPort);
    if (!socket) {
      this.drops.drop('udp port unreachable', String(udp.dstPort));
      return this.sendIcmpError(UNREACH_PORT, d, now);
    }
    this.stats.delivered++;
    socket.handler({
      srcAddr: addressFromBytes(d.header.src), srcPort: udp.srcPort,
      dstAddr: addressFromBytes(d.header.dst), dstPort: udp.dstPort, payload: udp.payload,
    }, now);
  }

  private inputIcmp(d: Datagram, now: number): void {
    const parsed = parseIcmp(d.payload);
    if (!parsed.ok) return this.drops.drop(parsed.error);
    const icmp = parsed.value;
    if (icmp.type === ICMP_ECHO_REQUEST && icmp.code === 0) {
      this.stats.delivered++;
      this.send(PROTO_ICMP, d.header.src, buildEchoReply(icmp), now);
      return;
    }
    if (icmp.type === ICMP_ECHO_REPLY && icmp.code === 0) {
      if (!this.echoHandler) return this.drops.drop('icmp unexpected echo reply');
      this.stats.delivered++;
      const reply = { srcAddr: addressFromBytes(d.header.src), identifier: readU16(icmp.rest, 0), sequence: readU16(icmp.rest, 2), data: icmp.body };
      return this.echoHandler(reply, now);
    }
    if (icmp.type === ICMP_DEST_UNREACHABLE) {
      const quote = parseQuotedUdp(icmp.code, icmp.body);
      if (!quote.ok) return this.drops.drop(quote.error);
      const q = quote.value;
      // Only believe errors about datagrams we could have sent from this address.
      if (!this.local || !sameAddress(q.src, this.local)) return this.drops.drop('icmp quote not ours');
      const socket = this.sockets.get(q.srcPort);
      if (!socket?.onUnreachable) return this.drops.drop('icmp unreachable unclaimed');
      this.stats.delivered++;
      return socket.onUnreachable({ addr: addressFromBytes(q.dst), port: q.dstPort, code: q.code }, now);
    }
    this.drops.drop('icmp ignored type', String(icmp.type));
  }

  private sendIcmpError(code: number, d: Datagram, now: number): void {
    if (!this.icmpErrors) return;
    if (now - this.lastIcmpError < this.icmpErrorInterval) {
      this.stats.icmpErrorsSuppressed++;
      return;
    }
    this.lastIcmpError = now;
    this.stats.icmpErrorsSent++;
    this.send(PROTO_ICMP, d.header.src, buildDestUnreachable(code, d.raw, d.header.headerLength), now);
  }

  // ---- timers ----

  deadline(): number | undefined {
    return this.reassembler.deadline();
  }

  onTimer(now: number): void {
    this.reassembler.onTimer(now);
  }

  // ---- sockets and handlers ----

  /**
   * Binds a UDP port (0 = pick an ephemeral one). Throws when the port is taken or out of range:
   * both are programming errors, not wire input.
   */
  bindUdp(localPort: number, handler: UdpHandler, onUnreachable?: UdpUnreachableHandler): UdpSocket {
    if (!Number.isInteger(localPort) || localPort < 0 || localPort > 0xffff) throw new Error(`bad udp port ${localPort}`);
    const port = localPort === 0 ? this.pickEphemeral() : localPort;
    if (this.sockets.has(port)) throw new Error(`udp port ${port} already bound`);
    const socket = new BoundUdpSocket(this, port, handler, onUnreachable);
    this.sockets.set(port, socket);
    return socket;
  }

  /** sendTo of a bound socket. */
  sendFromSocket(socket: BoundUdpSocket, addr: Ipv4Address, dstPort: number, payload: Uint8Array, now: number): boolean {
    if (!socket.open) return this.refuse('udp socket closed');
    return this.sendUdp(socket.localPort, addr, dstPort, payload, now);
  }

  /** close of a bound socket: its port is free again (unless a newer socket has it already). */
  unbindUdp(socket: BoundUdpSocket): void {
    if (socket.open && this.sockets.get(socket.localPort) === socket) this.sockets.delete(socket.localPort);
  }

  /** Claims an IP protocol other than UDP and ICMP (e.g. ESP = 50); undefined releases it. */
  setProtocolHandler(protocol: number, handler: RawHandler | undefined): void {
    if (protocol === PROTO_UDP || protocol === PROTO_ICMP) throw new Error(`protocol ${protocol} is handled by the stack`);
    if (handler) this.rawHandlers.set(protocol, handler);
    else this.rawHandlers.delete(protocol);
  }

  /** Sends `payload` as one IP datagram of `protocol`; false when it was not sent (counted). */
  sendRaw(protocol: number, addr: Ipv4Address | Uint8Array, payload: Uint8Array, now: number): boolean {
    const dst = typeof addr === 'string' ? addressToBytes(addr) : addr.length === 4 ? addr : undefined;
    if (!dst) return this.refuse('send bad address');
    if (payload.length > 0xffff - IPV4_HEADER_LENGTH) return this.refuse('send too long');
    return this.send(protocol, dst, payload, now);
  }

  /** Sends an echo request; replies go to the handler set with onEchoReply. */
  ping(addr: Ipv4Address, identifier: number, sequence: number, data: Uint8Array, now: number): boolean {
    const dst = addressToBytes(addr);
    if (!dst) return this.refuse('send bad address');
    return this.send(PROTO_ICMP, dst, buildEchoRequest(identifier, sequence, data), now);
  }

  onEchoReply(handler: ((reply: EchoReply, now: number) => void) | undefined): void {
    this.echoHandler = handler;
  }

  counters(): IpCounters {
    return { ...this.stats, drops: this.drops.snapshot() };
  }

  // ---- send path ----

  private sendUdp(srcPort: number, addr: Ipv4Address, dstPort: number, payload: Uint8Array, now: number): boolean {
    const dst = addressToBytes(addr);
    if (!dst) return this.refuse('send bad address');
    if (!Number.isInteger(dstPort) || dstPort <= 0 || dstPort > 0xffff) return this.refuse('send bad port');
    if (payload.length > MAX_UDP_PAYLOAD) return this.refuse('send too long');
    if (!this.local) return this.refuse('send without local address');
    const length = UDP_HEADER_LENGTH + payload.length;
    if (IPV4_HEADER_LENGTH + length > this.mtu) return this.send(PROTO_UDP, dst, buildUdp(this.local, dst, srcPort, dstPort, payload), now);
    // Unfragmented: header and datagram written into the packet itself (one buffer, not two).
    const packet = ipv4PacketFor(this.nextFields(PROTO_UDP, this.local, dst), length);
    writeUdp(packet.subarray(IPV4_HEADER_LENGTH), this.local, dst, srcPort, dstPort, payload);
    return this.transmit(packet, now);
  }

  private nextFields(protocol: number, src: Uint8Array, dst: Uint8Array): Ipv4BuildFields {
    const fields = { src, dst, protocol, identification: this.identification, ttl: this.ttl };
    this.identification = (this.identification + 1) & 0xffff;
    return fields;
  }

  private send(protocol: number, dst: Uint8Array, payload: Uint8Array, now: number): boolean {
    if (!this.local) return this.refuse('send without local address');
    const fields = this.nextFields(protocol, this.local, dst);
    if (IPV4_HEADER_LENGTH + payload.length <= this.mtu) return this.transmit(buildIpv4Packet(fields, payload), now);
    let sent = true;
    for (const f of splitForMtu(payload, this.mtu)) {
      this.stats.fragmentsOut++;
      sent = this.transmit(buildIpv4Packet({ ...fields, fragmentOffset: f.offset, moreFragments: f.more }, f.data), now) && sent;
    }
    return sent;
  }

  private transmit(packet: Uint8Array, now: number): boolean {
    if (!this.ports.transmit(packet, now)) return this.refuse('send refused below');
    this.stats.packetsOut++;
    this.stats.bytesOut += packet.length;
    return true;
  }

  private refuse(reason: string): false {
    this.drops.drop(reason);
    return false;
  }

  /** Random ports when we can (RFC 6056): an off-path spoofer must then guess the port too (DNS!). */
  private pickEphemeral(): number {
    if (this.deps.random) this.nextEphemeral = EPHEMERAL_FIRST + (readU16(this.deps.random.bytes(2), 0) % EPHEMERAL_COUNT);
    for (let i = 0; i < EPHEMERAL_COUNT; i++) {
      const port = this.nextEphemeral;
      this.nextEphemeral = port === 0xffff ? EPHEMERAL_FIRST : port + 1;
      if (!this.sockets.has(port)) return port;
    }
    throw new Error('no free ephemeral udp port');
  }
}
