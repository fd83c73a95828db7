/**
 * The ECMA-419 classes of one network: `socketsFor(network)` gives TCP, UDP, Listener and
 * Resolver bound to it, to put into `device.network` (see hosts/esp32) or use directly:
 *
 *   const { TCP } = socketsFor(agent.network);
 *   new TCP({ address: '198.51.100.10', port: 7, onWritable(n) { ... }, onReadable(n) { ... } });
 */
import type { Network } from '../network.ts';
import { ListenerSocket, type ListenerOptions } from './listener.ts';
import { ResolverSocket } from './resolver.ts';
import { TcpSocket, type TcpOptions } from './tcp.ts';
import { UdpSocket, type UdpOptions } from './udp.ts';

export interface NetworkSockets {
  TCP: new (options: TcpOptions) => TcpSocket;
  UDP: new (options?: UdpOptions) => UdpSocket;
  Listener: new (options: ListenerOptions) => ListenerSocket;
  Resolver: new (options?: { target?: unknown }) => ResolverSocket;
}

export function socketsFor(network: Network): NetworkSockets {
  return {
    TCP: class TCP extends TcpSocket {
      constructor(options: TcpOptions) {
        super(network, options);
      }
    },
    UDP: class UDP extends UdpSocket {
      constructor(options?: UdpOptions) {
        super(network, options);
      }
    },
    Listener: class Listener extends ListenerSocket {
      constructor(options: ListenerOptions) {
        super(network, options);
      }
    },
    Resolver: class Resolver extends ResolverSocket {
      constructor(options?: { target?: unknown }) {
        super(network, options);
      }
    },
  };
}

export { TcpSocket, type TcpOptions, type TcpFormat } from './tcp.ts';
export { UdpSocket, type UdpOptions, type UdpDatagramBuffer } from './udp.ts';
export { ListenerSocket, type ListenerOptions } from './listener.ts';
export { ResolverSocket, type ResolveOptions } from './resolver.ts';
