/**
 * Why a socket failed, by name: apps (and tests) switch on `code`, users read `message`.
 * Sockets hand a NetError to onError(error) (ECMA-419 clients that take no argument ignore it)
 * and throw it from calls the app may not make (write before connect, too much data, ...).
 */
export type NetErrorCode =
  | 'refused' // the peer answered the SYN with a RST (nothing listens on that port)
  | 'reset' // the peer reset an open connection
  | 'timeout' // retransmissions (of the SYN or of data) were never acknowledged
  | 'closed' // the peer closed the connection and every byte it sent has been read
  | 'tunnel-down' // the tunnel did not come up in time, or went down for good
  | 'address-changed' // the tunnel came back with another virtual IP: the connection cannot continue
  | 'no-route' // the destination is outside the tunnel's traffic selectors
  | 'no-sockets' // tcpMaxSockets connections are open already
  | 'port-in-use' // a Listener or UDP socket already has that port
  | 'not-ready' // write before the connection is established
  | 'would-block' // write of more than onWritable/write() allowed
  | 'invalid' // a bad argument (address, port, count, format)
  | 'dns'; // the name could not be resolved

export class NetError extends Error {
  constructor(readonly code: NetErrorCode, message: string) {
    super(message);
    this.name = 'NetError';
  }
}
