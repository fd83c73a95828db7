/**
 * ECMA-419 TCP and DNS classes over Node's own sockets, with the semantics Moddable's have (the
 * first onWritable means connected; onReadable(count) with the bytes waiting; a bounded receive
 * buffer that pauses the peer; onError after the received bytes were read; callbacks never from
 * inside the call that caused them). It lets the device's app clients talk to the lab's real
 * servers from inside a namespace before the tunnel's own TCP exists; the tunnel's classes take
 * its place in the end-to-end tests.
 */
import net from 'node:net';
import { Resolver as NodeResolver } from 'node:dns/promises';
import type { ResolveRequest, TcpOptions, TcpSocket } from '../../src/io/ecma419.ts';
import { ByteQueue } from '../unit/byte-queue.ts';

const SEND_BUFFER = 16384;
const RECEIVE_BUFFER = 65536;

export class NodeTcp implements TcpSocket {
  format = 'buffer';
  private readonly socket: net.Socket;
  private readonly inbound = new ByteQueue();
  private connected = false;
  private failed = false;
  private errorPending = false;

  constructor(private readonly options: TcpOptions) {
    this.socket = net.connect({ host: options.address, port: options.port, noDelay: options.nodelay ?? false });
    this.socket.on('connect', () => {
      this.connected = true;
      this.options.onWritable?.call(this, this.writable());
    });
    this.socket.on('data', (d: Buffer) => {
      this.inbound.push(d);
      if (this.inbound.length >= RECEIVE_BUFFER) this.socket.pause(); // TCP's window does the rest
      this.options.onReadable?.call(this, this.inbound.length);
    });
    this.socket.on('drain', () => this.connected && this.options.onWritable?.call(this, this.writable()));
    this.socket.on('error', () => this.fail());
    this.socket.on('close', () => this.fail());
  }

  read(count?: number): ArrayBuffer | undefined {
    const out = this.inbound.take(count);
    if (this.inbound.length < RECEIVE_BUFFER / 2) this.socket.resume();
    if (this.errorPending && this.inbound.length === 0) setImmediate(() => this.fail());
    return out;
  }

  write(data: ArrayBuffer | ArrayBufferView): number {
    if (!this.connected) throw new Error('not ready');
    const bytes = data instanceof ArrayBuffer ? Buffer.from(new Uint8Array(data)) : Buffer.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (bytes.length > this.writable()) throw new Error('would block');
    this.socket.write(bytes);
    return this.writable();
  }

  close(): void {
    this.failed = true; // no callbacks after close
    this.socket.destroy();
  }

  private writable(): number {
    return Math.max(0, SEND_BUFFER - this.socket.writableLength);
  }

  private fail(): void {
    if (this.failed) return;
    if (this.inbound.length > 0) {
      this.errorPending = true;
      return;
    }
    this.failed = true;
    this.options.onError?.call(this);
  }
}

/** An ECMA-419 DNS resolver over explicit servers (the lab's DNS), never the host's. */
export class NodeResolverClass {
  private readonly resolver = new NodeResolver();
  constructor(options: Record<string, unknown>) {
    this.resolver.setServers((options.servers as string[] | undefined) ?? []);
  }
  resolve(r: ResolveRequest): void {
    this.resolver.resolve4(r.host).then(
      (addresses) => (addresses[0] ? r.onResolved(r.host, addresses[0]) : r.onError(r.host)),
      () => r.onError(r.host),
    );
  }
  close(): void {}
}

/** Clock and timers from Node's event loop: the simulator's, the same clock as its agent. */
export { nodeClientRuntime } from '../../hosts/sim/node-platform.ts';
