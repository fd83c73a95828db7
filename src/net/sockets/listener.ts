/**
 * ECMA-419 Listener (embedded:io/socket/listener) on the device's virtual IP: options {port,
 * onReadable(count)}; read() returns a connection for `new TCP({from})`, or undefined. At most
 * tcpMaxPending connections wait to be read; further SYNs are dropped (the peer retries).
 */
import { NetError } from '../errors.ts';
import type { Network } from '../network.ts';
import type { ListenerHandle } from '../tcp/layer.ts';
import { ADOPT, TcpSocket } from './tcp.ts';

export interface ListenerOptions {
  port: number;
  onReadable?: (this: ListenerSocket, count: number, now: number) => void;
  format?: 'socket/tcp';
  target?: unknown;
}

export class ListenerSocket {
  target: unknown;
  private handle: ListenerHandle | undefined;
  private posted = false;

  constructor(protected readonly network: Network, options: ListenerOptions) {
    const port = options?.port;
    if (!Number.isInteger(port) || port < 1 || port > 0xffff) throw new NetError('invalid', `Listener: bad port ${String(port)}`);
    if (options.format !== undefined && options.format !== 'socket/tcp') throw new NetError('invalid', 'Listener: format must be "socket/tcp"');
    this.target = options.target;
    const onReadable = options.onReadable;
    this.handle = network.tcp.listen(port, () => {
      if (this.posted) return;
      this.posted = true;
      network.post((now) => {
        this.posted = false;
        const n = this.handle?.ready ?? 0;
        if (n > 0 && onReadable) onReadable.call(this, n, now);
      });
    });
  }

  get port(): number | undefined {
    return this.handle?.port;
  }

  get format(): 'socket/tcp' {
    return 'socket/tcp';
  }

  set format(value: 'socket/tcp') {
    if (value !== 'socket/tcp') throw new NetError('invalid', 'Listener: format must be "socket/tcp"');
  }

  /** The next established connection, for `new TCP({from: it, ...})`; undefined when none waits. */
  read(): TcpSocket | undefined {
    const conn = this.handle?.take();
    return conn ? new TcpSocket(this.network, { [ADOPT]: conn }) : undefined;
  }

  close(): void {
    const handle = this.handle;
    this.handle = undefined;
    if (handle) this.network.run((now) => handle.close(now));
  }
}
