/**
 * DNS stub resolver for A records over a UDP socket of an IpStack (sans-IO: the host drives
 * onTimer/deadline). Each lookup gets its own random ephemeral port and random ID, retries
 * rotate through the configured servers (the ones IPCP or IKE handed out) with backoff.
 */
import { earliest } from '../util/time.ts';
import type { Random } from '../platform.ts';
import { readU16 } from '../util/bytes.ts';
import { DropCounter, type Logger } from '../util/log.ts';
import { addressToBytes, addressFromBytes, type Ipv4Address } from '../ip/address.ts';
import type { UdpDatagram, UdpHandler, UdpSocket, UdpUnreachableHandler } from '../ip/stack.ts';
import { addressesFor } from './answer.ts';
import { buildQuery, CLASS_IN, parseMessage, RCODE_NOERROR, RCODE_NXDOMAIN, sameName, TYPE_A } from './message.ts';

export interface ResolverConfig {
  servers: Ipv4Address[];
  timeoutMs?: number; // first try (default 2000); doubles per round through the servers, at most 4x
  attempts?: number; // total tries per lookup across all servers (default 4)
  port?: number; // default 53
}

export interface ResolverDeps {
  log: Logger;
  random: Random;
}

/** The part of IpStack the resolver uses (tests may pass a fake). */
export interface UdpBinder {
  bindUdp(localPort: number, handler: UdpHandler, onUnreachable?: UdpUnreachableHandler): UdpSocket;
}

export interface ResolverPorts {
  udp: UdpBinder;
}

export type LookupResult = { addresses: Ipv4Address[]; ttl: number } | { error: string };
export type LookupCallback = (result: LookupResult, now: number) => void;

export interface LookupHandle {
  /** Stops the lookup; its callback is not called. */
  cancel(): void;
}

interface Lookup {
  name: string;
  id: number;
  query: Uint8Array;
  socket: UdpSocket;
  callback: LookupCallback;
  tries: number;
  deadline: number;
  askedServers: Set<Ipv4Address>;
  current: Ipv4Address; // server of the latest try
}

export class DnsResolver {
  private servers: Ipv4Address[] = [];
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly port: number;
  private readonly lookups = new Set<Lookup>();
  private readonly drops: DropCounter;

  constructor(config: ResolverConfig, private readonly deps: ResolverDeps, private readonly ports: ResolverPorts) {
    this.timeoutMs = config.timeoutMs ?? 2000;
    this.attempts = Math.max(1, config.attempts ?? 4);
    this.port = config.port ?? 53;
    this.drops = new DropCounter(deps.log);
    this.setServers(config.servers);
  }

  /** Replaces the server list (e.g. after IPCP or the IKE configuration payload); invalid entries are skipped. */
  setServers(servers: Ipv4Address[]): void {
    this.servers = servers.filter((s) => addressToBytes(s) !== undefined);
    if (this.servers.length !== servers.length) this.deps.log.warn('ignored DNS servers that are not IPv4 addresses');
  }

  get pendingCount(): number {
    return this.lookups.size;
  }

  dropCounts(): Record<string, number> {
    return this.drops.snapshot();
  }

  /**
   * Resolves `name` to IPv4 addresses. The callback runs exactly once (unless cancelled): from
   * input or onTimer, or synchronously from here for IP literals, bad names and no servers.
   */
  lookup(name: string, now: number, callback: LookupCallback): LookupHandle {
    const none: LookupHandle = { cancel: () => {} };
    const literal = addressToBytes(name);
    if (literal) {
      callback({ addresses: [addressFromBytes(literal)], ttl: 0 }, now);
      return none;
    }
    const id = readU16(this.deps.random.bytes(2), 0);
    const query = buildQuery(id, name);
    if (!query) {
      callback({ error: 'invalid name' }, now);
      return none;
    }
    if (this.servers.length === 0) {
      callback({ error: 'no DNS servers' }, now);
      return none;
    }
    let socket: UdpSocket;
    try {
      // The handlers only run after `lookup` below exists.
      socket = this.ports.udp.bindUdp(0, (d, t) => this.onDatagram(lookup, d, t), (u, t) => {
        if (this.lookups.has(lookup) && u.addr === lookup.current && u.port === this.port) {
          this.retryNow(lookup, `ICMP unreachable from ${u.addr}`, t);
        }
      });
    } catch {
      callback({ error: 'no free UDP port' }, now);
      return none;
    }
    const lookup: Lookup = { name, id, query, socket, callback, tries: 0, deadline: now, askedServers: new Set(), current: '' };
    this.lookups.add(lookup);
    this.sendTry(lookup, now);
    return { cancel: () => this.finish(lookup) };
  }

  deadline(): number | undefined {
    return earliest(...[...this.lookups].map((l) => l.deadline));
  }

  onTimer(now: number): void {
    for (const l of [...this.lookups]) {
      if (l.deadline <= now && this.lookups.has(l)) this.retryNow(l, 'timeout', now);
    }
  }

  private retryNow(lookup: Lookup, why: string, now: number): void {
    if (lookup.tries >= this.attempts) return this.complete(lookup, { error: why }, now);
    this.deps.log.debug(`${lookup.name}: ${why}, retrying`);
    this.sendTry(lookup, now);
  }

  private sendTry(lookup: Lookup, now: number): void {
    const server = this.servers[lookup.tries % this.servers.length]!;
    const round = Math.floor(lookup.tries / this.servers.length);
    lookup.tries++;
    lookup.deadline = now + this.timeoutMs * Math.min(4, 2 ** round);
    lookup.askedServers.add(server);
    lookup.current = server;
    // The same ID for every try: a late answer to an earlier try is as good as any.
    if (!lookup.socket.sendTo(server, this.port, lookup.query, now)) this.drops.drop('dns query not sent');
  }

  private onDatagram(lookup: Lookup, d: UdpDatagram, now: number): void {
    if (!this.lookups.has(lookup)) return;
    if (d.srcPort !== this.port || !lookup.askedServers.has(d.srcAddr)) return this.drops.drop('dns unexpected source', d.srcAddr);
    const parsed = parseMessage(d.payload);
    if (!parsed.ok) return this.drops.drop(parsed.error);
    const { header, questions, answers } = parsed.value;
    const q = questions[0];
    if (!header.response || header.opcode !== 0 || header.id !== lookup.id) return this.drops.drop('dns id mismatch');
    if (questions.length !== 1 || !q || !sameName(q.name, lookup.name) || q.type !== TYPE_A || q.class !== CLASS_IN) {
      return this.drops.drop('dns question mismatch');
    }
    if (header.rcode === RCODE_NXDOMAIN) return this.complete(lookup, { error: 'NXDOMAIN' }, now);
    if (header.rcode !== RCODE_NOERROR) return this.retryNow(lookup, `server error rcode ${header.rcode}`, now);
    const found = addressesFor(lookup.name, answers);
    if (found.addresses.length) return this.complete(lookup, { addresses: found.addresses, ttl: found.ttl }, now);
    // No TCP fallback on a device this small: a truncated answer without addresses is a failure.
    this.complete(lookup, { error: header.truncated ? 'truncated response' : 'no address records' }, now);
  }

  private complete(lookup: Lookup, result: LookupResult, now: number): void {
    if (!this.lookups.has(lookup)) return;
    this.finish(lookup);
    if ('error' in result) this.deps.log.info(`lookup ${lookup.name} failed: ${result.error}`);
    lookup.callback(result, now);
  }

  private finish(lookup: Lookup): void {
    this.lookups.delete(lookup);
    lookup.socket.close();
  }
}
