/**
 * ECMA-419 UDP socket (embedded:io/socket/udp) over the tunnel: options {port, onReadable(count),
 * onError}, read() → an ArrayBuffer with the sender's `address` and `port`, write(buffer,
 * address, port) as Moddable's DNS and NTP clients call it. Received datagrams wait in a bounded
 * queue (more are dropped and counted). A write while the tunnel is down is held (bounded, see
 * Network.hold) and goes out when it is back; outside the traffic selectors it throws a NetError;
 * while the serial line is full the datagram is dropped and counted, as any network may drop one.
 */
import { PROTO_UDP } from '../../ip/ipv4.ts';
import type { UdpSocket as IpUdpSocket } from '../../ip/stack.ts';
import { NetError } from '../errors.ts';
import type { Network } from '../network.ts';
import { bytesOf, type ByteSource } from './bytes.ts';

export interface UdpOptions {
  port?: number;
  onReadable?: (this: UdpSocket, count: number, now: number) => void;
  onError?: (this: UdpSocket, error: NetError, now: number) => void;
  format?: 'buffer';
  target?: unknown;
}

export type UdpDatagramBuffer = ArrayBuffer & { address: string; port: number };

const MAX_QUEUED = 16;
const MAX_QUEUED_BYTES = 16384;
const MAX_PAYLOAD = 65507;

export class UdpSocket {
  target: unknown;
  private socket: IpUdpSocket | undefined;
  private readonly queue: UdpDatagramBuffer[] = [];
  private queuedBytes = 0;
  private readablePosted = false;
  private readonly onReadable: UdpOptions['onReadable'];

  constructor(protected readonly network: Network, options: UdpOptions = {}) {
    this.target = options.target;
    this.onReadable = options.onReadable;
    if (options.format !== undefined && options.format !== 'buffer') throw new NetError('invalid', 'UDP: format must be "buffer"');
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new NetError('invalid', `UDP: bad port ${String(port)}`);
    try {
      this.socket = network.ip.bindUdp(port, (d, now) => network.within(now, () => this.receive(d.srcAddr, d.srcPort, d.payload)));
    } catch {
      throw new NetError('port-in-use', `UDP port ${port} is in use`);
    }
  }

  /** The local port (an ephemeral one when none was asked for). */
  get port(): number {
    return this.socket?.localPort ?? 0;
  }

  get format(): 'buffer' {
    return 'buffer';
  }

  set format(value: 'buffer') {
    if (value !== 'buffer') throw new NetError('invalid', 'UDP: format must be "buffer"');
  }

  /** The oldest datagram received, with the sender's address and port; undefined when none. */
  read(): UdpDatagramBuffer | undefined {
    const d = this.queue.shift();
    if (d) this.queuedBytes -= d.byteLength;
    return d;
  }

  write(data: ByteSource, address: string, port: number): void {
    const socket = this.socket;
    if (!socket) throw new NetError('invalid', 'UDP write: the socket is closed');
    const bytes = bytesOf(data);
    if (!bytes) throw new NetError('invalid', 'UDP write: expected an ArrayBuffer or a typed array');
    if (bytes.length > MAX_PAYLOAD) throw new NetError('invalid', `UDP write: ${bytes.length} bytes is more than a datagram holds`);
    if (!Number.isInteger(port) || port < 1 || port > 0xffff) throw new NetError('invalid', `UDP write: bad port ${String(port)}`);
    const network = this.network;
    const route = network.routeError(address, PROTO_UDP, port);
    if (route) throw route;
    network.run((now) => {
      if (!network.up || network.holding) {
        // Held for the tunnel's return, or behind the held ones still draining (bounded; the queue's
        // drops are counted and reported): a copy, as the app may reuse its buffer once write() returns.
        const copy = bytes.slice();
        if (!network.hold(copy.length, (t) => sendDatagram(network, socket, address, port, copy, t))) throw new NetError('tunnel-down', 'UDP write: the tunnel is down');
        return;
      }
      if (!network.linkRoom(28 + bytes.length, network.settings.serialQueueMax)) return network.drop('udp datagram dropped: serial line full');
      // No copy: the stack writes the datagram into its packet before this returns (RAM: one
      // 1400-byte copy fewer held along the send).
      sendDatagram(network, socket, address, port, bytes, now);
    });
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private receive(address: string, port: number, payload: Uint8Array): void {
    if (!this.socket) return;
    if (this.queue.length >= MAX_QUEUED || this.queuedBytes + payload.length > MAX_QUEUED_BYTES) return this.network.drop('udp receive queue full');
    const d = payload.slice().buffer as UdpDatagramBuffer;
    d.address = address;
    d.port = port;
    this.queue.push(d);
    this.queuedBytes += payload.length;
    if (this.readablePosted) return;
    this.readablePosted = true;
    this.network.post((now) => {
      this.readablePosted = false;
      if (this.queue.length && this.onReadable) this.onReadable.call(this, this.queue.length, now);
    });
  }
}

function sendDatagram(network: Network, socket: IpUdpSocket, address: string, port: number, bytes: Uint8Array, now: number): void {
  if (!socket.sendTo(address, port, bytes, now)) network.drop('udp datagram not sent');
}
