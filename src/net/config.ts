/**
 * The app network's share of the manifest `config`: TCP buffers and limits, how long sockets
 * wait for the tunnel, and how much the network lets queue for the serial line. Manifest units
 * (bytes, counts, seconds); `parse` gives the layer milliseconds. Defaults suit an ESP32: two
 * 8 KiB buffers per connection, 8 connections.
 */
import { intIn, oneOf } from '../config/checks.ts';
import type { ConfigSection, Issues } from '../config/section.ts';

export interface NetManifest {
  tcpSendBuffer: number; // bytes per connection
  tcpReceiveBuffer: number; // bytes per connection: the largest window offered (no window scaling)
  tcpMaxSockets: number; // TCP connections at once, listeners' pending ones and TIME_WAIT included
  tcpMaxPending: number; // connections per Listener not yet taken by the app
  tcpMaxRetries: number; // retransmissions of data before the connection fails with 'timeout'; × 60 s: how long a peer's window may stay closed (persistLimitMs)
  tcpSynRetries: number; // retransmissions of a SYN before connect fails with 'timeout'
  tcpRtoMin: number; // s, the retransmission timeout's floor (RFC 6298: 1; 0.2 repairs random loss faster)
  tcpOutOfOrder: number; // separate out-of-order ranges kept in the receive buffer
  tcpTimeWait: number; // s in TIME_WAIT (2 MSL)
  netTunnelWait: number; // s a socket opened while the tunnel is down waits for it
  serialQueue: number; // bytes TCP lets queue for the serial line (keeps RTTs short)
  serialQueueMax: number; // bytes queued for the serial line beyond which app datagrams are dropped
  udpQueueLength: number; // app datagrams held while the tunnel is down (0 = a write then fails at once)
  udpQueueBytes: number; // ... and their payload bytes at most
  udpQueuePolicy: 'drop-oldest' | 'drop-newest'; // which one goes when the queue is full (each drop counted)
}

export interface NetSettings {
  sendBuffer: number;
  receiveBuffer: number;
  maxSockets: number;
  maxPending: number;
  maxRetries: number;
  synRetries: number;
  minRtoMs: number;
  outOfOrderRanges: number;
  timeWaitMs: number;
  tunnelWaitMs: number;
  serialQueue: number;
  serialQueueMax: number;
  udpQueue: { length: number; bytes: number; dropOldest: boolean };
}

export const NET_DEFAULTS: NetManifest = {
  tcpSendBuffer: 8192,
  tcpReceiveBuffer: 8192,
  tcpMaxSockets: 8,
  tcpMaxPending: 2,
  tcpMaxRetries: 8,
  tcpSynRetries: 5,
  tcpRtoMin: 1,
  tcpOutOfOrder: 8,
  tcpTimeWait: 30,
  netTunnelWait: 60,
  serialQueue: 3072,
  serialQueueMax: 16384,
  udpQueueLength: 32,
  udpQueueBytes: 8192,
  udpQueuePolicy: 'drop-oldest',
};

export const netSection: ConfigSection<NetManifest, NetSettings> = {
  defaults: NET_DEFAULTS,
  checks: {
    tcpSendBuffer: (v) => intIn(v, 1024, 65535, ' bytes'),
    tcpReceiveBuffer: (v) => intIn(v, 1024, 65535, ' bytes'),
    tcpMaxSockets: (v) => intIn(v, 1, 64, ' connections'),
    tcpMaxPending: (v) => intIn(v, 1, 16, ' connections'),
    tcpMaxRetries: (v) => intIn(v, 3, 20, ' retransmissions'),
    tcpSynRetries: (v) => intIn(v, 1, 10, ' retransmissions'),
    tcpRtoMin: (v: unknown) => (typeof v === 'number' && v >= 0.1 && v <= 1 ? undefined : 'a number 0.1..1 seconds'),
    tcpOutOfOrder: (v) => intIn(v, 0, 64, ' ranges'),
    tcpTimeWait: (v) => intIn(v, 1, 240, ' seconds'),
    netTunnelWait: (v) => intIn(v, 0, 3600, ' seconds, 0 = fail at once'),
    serialQueue: (v) => intIn(v, 512, 65536, ' bytes'),
    serialQueueMax: (v) => intIn(v, 2048, 262144, ' bytes'),
    udpQueueLength: (v) => intIn(v, 0, 1024, ' datagrams, 0 = none'),
    udpQueueBytes: (v) => intIn(v, 0, 262144, ' bytes'),
    udpQueuePolicy: (v) => oneOf(v, ['drop-oldest', 'drop-newest']),
  },
  cross(r: NetManifest, issues: Issues) {
    if (r.serialQueueMax < r.serialQueue) issues.error(`config.serialQueueMax: expected at least serialQueue (${r.serialQueue})`);
    if (r.tcpMaxPending > r.tcpMaxSockets) issues.warn('config.tcpMaxPending: more than tcpMaxSockets; the socket limit applies first');
  },
  parse: (r) => ({
    sendBuffer: r.tcpSendBuffer,
    receiveBuffer: r.tcpReceiveBuffer,
    maxSockets: r.tcpMaxSockets,
    maxPending: r.tcpMaxPending,
    maxRetries: r.tcpMaxRetries,
    synRetries: r.tcpSynRetries,
    minRtoMs: Math.round(r.tcpRtoMin * 1000),
    outOfOrderRanges: r.tcpOutOfOrder,
    timeWaitMs: r.tcpTimeWait * 1000,
    tunnelWaitMs: r.netTunnelWait * 1000,
    serialQueue: r.serialQueue,
    serialQueueMax: r.serialQueueMax,
    udpQueue: { length: r.udpQueueLength, bytes: r.udpQueueBytes, dropOldest: r.udpQueuePolicy === 'drop-oldest' },
  }),
};
