/**
 * The connectivity probe: once the tunnel is up, optionally resolve a name through the DNS
 * server the gateway handed out, then send numbered UDP datagrams to an echo service in the
 * private network and check that each comes back byte-exact. Firmware uses it as a boot
 * self-check; the lab uses it to prove the tunnel from inside any host (Node or XS).
 * It is an app like any other: it uses the ECMA-419 UDP and Resolver classes (src/net/sockets).
 */
import { NetError } from '../net/errors.ts';
import type { NetworkSockets } from '../net/sockets/index.ts';
import type { ResolverSocket } from '../net/sockets/resolver.ts';
import type { UdpSocket } from '../net/sockets/udp.ts';
import { earliest } from '../util/time.ts';
import { parseIpv4 } from '../util/bytes.ts';

export type ProbeEvent =
  | { type: 'probe-resolved'; name: string; address: string }
  | { type: 'probe-result'; target: string; address: string; sent: number; received: number; lost: number; corrupted: number; durationMs: number }
  | { type: 'probe-error'; target: string; error: string };

export interface ProbeConfig {
  /** "host:port"; host is an IPv4 address or a name resolved through the tunnel's DNS. */
  probeTarget: string;
  /** Datagrams to send; 0 disables the probe. */
  probeCount: number;
  /** Payload bytes per datagram; 0 = sizes varying from 16 to 215. */
  probeSize: number;
}

const WINDOW = 8;
const REPLY_TIMEOUT_MS = 3000;
const MAGIC = Object.freeze([0x69, 0x6b, 0x6c, 0x74]); // "iklt"

/** Payload of datagram `n`: magic, number, then a pattern; its length varies with n unless `size` is set. */
export function probePayload(n: number, size = 0): Uint8Array {
  const length = size || 16 + ((n * 37) % 200);
  const p = new Uint8Array(length);
  p.set(MAGIC);
  p[4] = (n >>> 24) & 0xff;
  p[5] = (n >>> 16) & 0xff;
  p[6] = (n >>> 8) & 0xff;
  p[7] = n & 0xff;
  for (let i = 8; i < length; i++) p[i] = (n * 31 + i * 7) & 0xff;
  return p;
}

export class Probe {
  private socket: UdpSocket | undefined;
  private resolver: ResolverSocket | undefined;
  private address = '';
  private next = 0;
  private received = 0;
  private corrupted = 0;
  private readonly outstanding = new Map<number, number>(); // n → deadline
  private startedAt = 0;
  private done = true;
  /** When the window has room: the next datagram goes out in its own turn (see pump). */
  private sendDueAt: number | undefined;

  constructor(
    private readonly config: ProbeConfig,
    private readonly sockets: Pick<NetworkSockets, 'UDP' | 'Resolver'>,
    private readonly emit: (event: ProbeEvent, now: number) => void,
  ) {}

  get enabled(): boolean {
    return this.config.probeCount > 0 && this.config.probeTarget !== '';
  }

  /** Runs once per tunnel-up. */
  start(now: number): void {
    if (!this.enabled) return;
    this.stop();
    const m = /^(.+):(\d+)$/.exec(this.config.probeTarget);
    if (!m) return this.emit({ type: 'probe-error', target: this.config.probeTarget, error: 'probeTarget is not host:port' }, now);
    const [, host, port] = m as unknown as [string, string, string];
    this.done = false;
    if (parseIpv4(host)) return this.run(host, Number(port), now);
    this.resolver = new this.sockets.Resolver();
    this.resolver.resolve({
      host,
      onResolved: (_host, address, t) => {
        if (this.done) return;
        this.emit({ type: 'probe-resolved', name: host, address }, t);
        this.run(address, Number(port), t);
      },
      onError: (_host, error, t) => this.fail(`DNS: ${error.message}`, t),
    });
  }

  private fail(error: string, now: number): void {
    if (this.done) return;
    this.stop();
    this.emit({ type: 'probe-error', target: this.config.probeTarget, error }, now);
  }

  stop(): void {
    this.resolver?.close();
    this.resolver = undefined;
    this.socket?.close();
    this.socket = undefined;
    this.outstanding.clear();
    this.sendDueAt = undefined;
    this.done = true;
  }

  deadline(): number | undefined {
    return earliest(this.sendDueAt, ...this.outstanding.values());
  }

  onTimer(now: number): void {
    for (const [n, d] of this.outstanding) if (now >= d) this.outstanding.delete(n); // lost
    this.pump(now);
  }

  private run(address: string, port: number, now: number): void {
    this.address = address;
    this.next = 0;
    this.received = 0;
    this.corrupted = 0;
    this.startedAt = now;
    const probe = this;
    this.socket = new this.sockets.UDP({
      onReadable(count, t) {
        for (let i = 0; i < count; i++) {
          const d = this.read();
          if (d) probe.reply(d.address, new Uint8Array(d), t);
        }
      },
    });
    this.port = port;
    this.sendDueAt = now; // not in the turn that installed the CHILD SA: that one is long already
  }

  private port = 0;

  private reply(src: string, payload: Uint8Array, now: number): void {
    if (src !== this.address || payload.length < 8) return;
    const n = ((payload[4]! << 24) | (payload[5]! << 16) | (payload[6]! << 8) | payload[7]!) >>> 0;
    if (!this.outstanding.delete(n)) return; // duplicate or too late
    const expected = probePayload(n, this.config.probeSize);
    let same = expected.length === payload.length;
    for (let i = 0; same && i < expected.length; i++) same = expected[i] === payload[i];
    if (same) this.received++;
    else this.corrupted++;
    this.sendDueAt = now; // the next datagram in a turn of its own: not both an open and a seal in one
  }

  /**
   * Sends at most one datagram per turn, and never in the turn that received an echo: encrypting
   * a window of 1400-byte datagrams, or opening one and sealing the next, in one synchronous turn
   * would hold the device for several packets' work (measured in XS).
   */
  private pump(now: number): void {
    if (this.done || !this.socket) return;
    this.sendDueAt = undefined;
    if (this.outstanding.size < WINDOW && this.next < this.config.probeCount) {
      const n = this.next++;
      this.outstanding.set(n, now + REPLY_TIMEOUT_MS);
      try {
        this.socket.write(probePayload(n, this.config.probeSize), this.address, this.port);
      } catch (e) {
        // A datagram that could not leave counts as lost; an address the tunnel never reaches ends the probe.
        if (e instanceof NetError && (e.code === 'no-route' || e.code === 'invalid')) return this.fail(e.message, now);
      }
      if (this.outstanding.size < WINDOW && this.next < this.config.probeCount) this.sendDueAt = now;
    }
    if (this.outstanding.size === 0 && this.next >= this.config.probeCount) {
      const sent = this.next;
      this.emit({
        type: 'probe-result', target: this.config.probeTarget, address: this.address, sent,
        received: this.received, lost: sent - this.received - this.corrupted, corrupted: this.corrupted, durationMs: now - this.startedAt,
      }, now);
      this.stop();
    }
  }
}
