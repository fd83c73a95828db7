/**
 * The device's Network (its sockets) wired to a peer IPv4 stack in-process: the peer runs a
 * TcpLayer (echo on 7, a listener-less closed port 9), a UDP echo on 7 and a DNS server on 53.
 * Virtual time; `enter` runs app calls made outside turns as the Runner would.
 */
import { addressToBytes } from '../../src/ip/address.ts';
import { IpStack } from '../../src/ip/stack.ts';
import { DnsResolver } from '../../src/dns/resolver.ts';
import { parseMessage } from '../../src/dns/message.ts';
import { Network, type TunnelInfo, type NetEvent } from '../../src/net/network.ts';
import { socketsFor, type NetworkSockets } from '../../src/net/sockets/index.ts';
import { TcpLayer } from '../../src/net/tcp/layer.ts';
import type { TcpConnection } from '../../src/net/tcp/connection.ts';
import { parseSuite } from './net-suites.ts';
import { DEVICE, PEER, seededRandom, settings } from './tcp-rig.ts';
import { silentLogger } from '../../src/util/log.ts';
import { concatBytes, writeU16 } from '../../src/util/bytes.ts';
import { PROTO_TCP } from '../../src/ip/ipv4.ts';
import type { NET_DEFAULTS } from '../../src/net/config.ts';
import { linkBytes, pathOf } from '../../src/net/path.ts';

export const DNS_NAME = 'echo.lab.example';

export function tunnelInfo(address = DEVICE, remote = '198.51.100.0/24'): TunnelInfo {
  const [net, len] = remote.split('/');
  const b = addressToBytes(net!)!;
  const start = ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
  const size = 2 ** (32 - Number(len));
  return { address, suite: parseSuite('aes128gcm16'), udpEncap: true, linkMtu: 1500, remote: [{ protocol: 0, startPort: 0, endPort: 65535, start, end: start + size - 1 }] };
}

export class NetRig {
  now = 1000;
  readonly device: IpStack;
  readonly peer: IpStack;
  readonly network: Network;
  readonly sockets: NetworkSockets;
  readonly peerTcp: TcpLayer;
  readonly echoConnections: TcpConnection[] = [];
  readonly queue: Array<{ to: IpStack; packet: Uint8Array }> = [];
  entered = 0;
  serialQueued = 0;
  /** Drop packets to the device when set (a lossy tunnel). */
  dropToDevice: (packet: Uint8Array) => boolean = () => false;
  /** The network's reports (events for the app). */
  onReport: (event: NetEvent) => void = () => {};

  constructor(overrides: Partial<typeof NET_DEFAULTS> = {}) {
    this.device = new IpStack({ log: silentLogger('dev'), random: seededRandom(1) }, { transmit: (p) => (this.queue.push({ to: this.peer, packet: p }), true) });
    this.peer = new IpStack({ log: silentLogger('peer'), random: seededRandom(2) }, {
      transmit: (p) => {
        if (!this.dropToDevice(p)) this.queue.push({ to: this.device, packet: p });
        return true;
      },
    });
    this.peer.setLocalAddress(PEER);
    const dns = new DnsResolver({ servers: [PEER] }, { log: silentLogger('dns'), random: seededRandom(3) }, { udp: this.device });
    this.network = new Network(
      { ip: this.device, dns, random: seededRandom(4), log: silentLogger('net'), settings: settings(overrides) },
      {
        enter: (work) => {
          this.entered++;
          work(this.now);
        },
        serialQueued: () => this.serialQueued,
        report: (event) => this.onReport(event),
      },
    );
    this.sockets = socketsFor(this.network);
    this.peerTcp = new TcpLayer({ ...settings() }, { random: seededRandom(5), log: silentLogger('peer-tcp') }, {
      localAddress: () => this.peer.localAddressBytes(),
      send: (dst, seg, now) => this.peer.sendRaw(PROTO_TCP, dst, seg, now),
      pathMss: () => 1398,
      linkRoom: () => true,
    });
    this.peer.setProtocolHandler(PROTO_TCP, (d, now) => {
      this.peerTcp.beginTurn();
      this.peerTcp.input(d.src, d.dst, d.payload, now);
    });
    // TCP echo on 7: whatever arrives goes back.
    const echo = this.peerTcp.listen(7, () => {
      for (let c = echo.take(); c; c = echo.take()) this.echoConnections.push(c);
    });
    const udpEcho = this.peer.bindUdp(7, (d, now) => udpEcho.sendTo(d.srcAddr, d.srcPort, d.payload.slice(), now));
    const dnsServer = this.peer.bindUdp(53, (d, now) => {
      const q = parseMessage(d.payload);
      if (!q.ok) return;
      const name = q.value.questions[0]?.name ?? '';
      dnsServer.sendTo(d.srcAddr, d.srcPort, dnsAnswer(d.payload, name === DNS_NAME ? PEER : undefined), now);
    });
    this.device.setLocalAddress(DEVICE);
    dns.setServers([PEER]);
  }

  up(info = tunnelInfo()): void {
    this.device.setLocalAddress(info.address);
    this.network.tunnelUp(info, this.now);
  }

  down(): void {
    this.device.setLocalAddress(undefined);
    this.network.tunnelDown(this.now);
  }

  /** Delivers packets and runs timers until nothing happens before `now + ms`. */
  run(ms = 0): void {
    const end = this.now + ms;
    for (let guard = 0; guard < 100000; guard++) {
      if (this.queue.length) {
        const { to, packet } = this.queue.shift()!;
        to.input(packet, this.now);
        this.echo();
        continue;
      }
      const at = Math.min(this.network.deadline() ?? Infinity, this.peerTcp.deadline() ?? Infinity, this.network.dns.deadline() ?? Infinity);
      if (at > end) break;
      this.now = Math.max(this.now, at);
      this.network.dns.onTimer(this.now);
      this.network.onTimer(this.now);
      this.peerTcp.beginTurn();
      this.peerTcp.onTimer(this.now);
      this.echo();
    }
    this.now = Math.max(this.now, end);
  }

  private echo(): void {
    for (const c of this.echoConnections) {
      if (c.readable) c.write(c.read(c.writable, this.now), this.now);
      if (c.peerFinished && c.readable === 0 && c.state === 'CLOSE_WAIT') c.shutdown(this.now);
    }
  }
}

const AIR_PATH = pathOf(parseSuite('aes128gcm16'), 1500, true);

/** What went over the tunnel both ways: packets, their link bytes, and the TCP payload of each data segment the device sent. */
export interface Air {
  up: number;
  down: number;
  upBytes: number;
  downBytes: number;
  /** TCP payload of each data segment up, in order. */
  dataSegments: Uint8Array[];
}

export function watchAir(rig: NetRig): Air {
  const air: Air = { up: 0, down: 0, upBytes: 0, downBytes: 0, dataSegments: [] };
  const push = rig.queue.push.bind(rig.queue);
  rig.queue.push = (...items) => {
    for (const { to, packet } of items) {
      const bytes = linkBytes(AIR_PATH, packet.length);
      if (to === rig.peer) {
        air.up++;
        air.upBytes += bytes;
        const ihl = (packet[0]! & 0x0f) * 4;
        const data = packet.subarray(ihl + (packet[ihl + 12]! >> 4) * 4);
        if (data.length) air.dataSegments.push(data.slice());
      } else {
        air.down++;
        air.downBytes += bytes;
      }
    }
    return push(...items);
  };
  return air;
}

function dnsAnswer(query: Uint8Array, address: string | undefined): Uint8Array {
  const head = query.slice(0, 12);
  writeU16(head, 2, address ? 0x8180 : 0x8183);
  writeU16(head, 6, address ? 1 : 0);
  const question = query.subarray(12);
  if (!address) return concatBytes(head, question);
  const record = new Uint8Array([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...addressToBytes(address)!]);
  return concatBytes(head, question, record);
}
