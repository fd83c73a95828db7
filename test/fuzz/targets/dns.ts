/**
 * DNS: parseMessage (+ addressesFor) on answers as a server builds them (compression pointers,
 * CNAME chains and loops, long names), mutated in counts, label lengths, pointers and rdata lengths;
 * and the DnsResolver fed such answers, forged sources, ICMP errors and timeouts: every lookup ends
 * exactly once, a clean answer resolves, and no socket is left open.
 */
import { addressesFor } from '../../../src/dns/answer.ts';
import { encodeName, parseMessage, TYPE_A, TYPE_CNAME } from '../../../src/dns/message.ts';
import { DnsResolver, type LookupHandle, type LookupResult } from '../../../src/dns/resolver.ts';
import { addressToBytes } from '../../../src/ip/address.ts';
import type { UdpHandler, UdpSocket, UdpUnreachableHandler } from '../../../src/ip/stack.ts';
import { concatBytes, readU16, writeU16 } from '../../../src/util/bytes.ts';
import { silentLogger } from '../../../src/util/log.ts';
import { hex, mutate, noise, type Field } from '../mutate.ts';
import type { Rand } from '../rand.ts';
import { fuzzTarget, violated } from '../target.ts';
import { runDue } from './harness.ts';

function label(rand: Rand): string {
  const n = rand.chance(0.05) ? 63 : 1 + rand.int(12);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(rand.chance(0.8) ? 0x61 + rand.int(26) : rand.pick([0x2d, 0x30 + rand.int(10), 0x5f]));
  return s;
}

function hostName(rand: Rand): string {
  const labels = rand.chance(0.05) ? 4 : 1 + rand.int(4);
  const name = Array.from({ length: labels }, () => label(rand)).join('.');
  return encodeName(name) ? name : 'broker.example.org';
}

interface Built {
  bytes: Uint8Array;
  fields: Field[];
  /** The addresses a stub resolver must find for the question. */
  addresses: string[];
}

interface Answer {
  id: number;
  qname: string;
  rcode?: number;
  truncated?: boolean;
  /** CNAME chains may loop back to the question (no addresses can be expected then). */
  loops?: boolean;
}

/** A response as a server writes it: the question, then A and CNAME records (owners and targets compressed or not). */
function buildResponse(rand: Rand, a: Answer): Built {
  const fields: Field[] = [{ at: 2, size: 2 }, { at: 4, size: 2 }, { at: 6, size: 2 }, { at: 8, size: 2 }, { at: 10, size: 2 }];
  const parts: Uint8Array[] = [];
  let length = 12;
  const put = (b: Uint8Array, fieldsAt: Field[] = []): number => {
    const at = length;
    for (const f of fieldsAt) fields.push({ at: at + f.at, size: f.size });
    parts.push(b);
    length += b.length;
    return at;
  };
  /** Where each name was written, for pointers to it. */
  const written = new Map<string, number>();
  const name = (n: string): void => {
    const prior = written.get(n.toLowerCase());
    if (prior !== undefined && rand.chance(0.8)) {
      put(Uint8Array.of(0xc0 | (prior >> 8), prior & 0xff), [{ at: 0, size: 2 }]);
      return;
    }
    const wire = encodeName(n)!;
    const lengths: Field[] = [];
    for (let i = 0; i < wire.length - 1; i += wire[i]! + 1) lengths.push({ at: i, size: 1 });
    written.set(n.toLowerCase(), put(wire, lengths));
  };
  const fixed = (type: number, rdlength: number, ttl: number): Uint8Array => {
    const f = new Uint8Array(10);
    writeU16(f, 0, type);
    writeU16(f, 2, 1);
    writeU16(f, 4, ttl >>> 16);
    writeU16(f, 6, ttl & 0xffff);
    writeU16(f, 8, rdlength);
    return f;
  };
  name(a.qname);
  put(Uint8Array.of(0, TYPE_A, 0, 1), [{ at: 0, size: 2 }, { at: 2, size: 2 }]);
  let records = 0;
  let owner = a.qname;
  const addresses: string[] = [];
  if (!a.rcode) {
    const chain = rand.chance(0.3) ? rand.int(rand.chance(0.1) ? 12 : 4) : 0;
    for (let i = 0; i < chain; i++) {
      const target = a.loops && rand.chance(0.1) ? a.qname : `alias${i}.${hostName(rand)}`;
      name(owner);
      const rdataAt = length + 10;
      const before = parts.length;
      put(fixed(TYPE_CNAME, 0, rand.u32()), [{ at: 0, size: 2 }, { at: 8, size: 2 }]);
      name(target);
      const rdlength = parts.slice(before + 1).reduce((n, p) => n + p.length, 0);
      writeU16(parts[before]!, 8, rdlength);
      fields.push({ at: rdataAt, size: 1 });
      records++;
      owner = target;
    }
    const count = rand.int(4);
    for (let i = 0; i < count; i++) {
      const addr = Uint8Array.of(198, 51, 100, rand.int(256));
      name(owner);
      put(fixed(TYPE_A, 4, rand.int(86400)), [{ at: 0, size: 2 }, { at: 8, size: 2 }]);
      put(addr);
      records++;
      const text = addr.join('.');
      if (!addresses.includes(text)) addresses.push(text);
    }
    if (chain > 8) addresses.length = 0; // a stub follows 8 CNAMEs at most
  }
  const head = new Uint8Array(12);
  writeU16(head, 0, a.id);
  writeU16(head, 2, 0x8180 | (a.truncated ? 0x0200 : 0) | (a.rcode ?? 0));
  writeU16(head, 4, 1);
  writeU16(head, 6, records);
  return { bytes: concatBytes(head, ...parts), fields, addresses };
}

interface ParseInput {
  bytes: Uint8Array;
  qname: string;
  outcome?: string;
}

export const dnsMessage = fuzzTarget<undefined, ParseInput>({
  name: 'dns-message',
  about: 'parseMessage and addressesFor on mutated answers (pointers, CNAME chains and loops, counts, label and rdata lengths)',
  episode: 1_000_000,
  setup: () => undefined,
  make(rand) {
    const qname = hostName(rand);
    if (rand.chance(0.05)) return { bytes: noise(rand, 300, [0xc0, 0x0c, 0x00, 0x3f]), qname };
    const built = buildResponse(rand, { id: rand.int(0x10000), qname, loops: true, rcode: rand.chance(0.1) ? rand.pick([2, 3, 5]) : undefined, truncated: rand.chance(0.1) });
    return { bytes: rand.chance(0.1) ? built.bytes : mutate(rand, built.bytes, { fields: built.fields, maxEdits: 5 }), qname };
  },
  feed(_s, input) {
    const r = parseMessage(input.bytes);
    if (!r.ok) return void (input.outcome = r.error);
    violated(r.value.questions.length <= readU16(input.bytes, 4) && r.value.answers.length <= readU16(input.bytes, 6), 'more records than announced');
    const found = addressesFor(input.qname, r.value.answers);
    for (const a of found.addresses) violated(addressToBytes(a) !== undefined, `not an address: ${a}`);
    input.outcome = found.addresses.length ? 'addresses' : r.value.incomplete ? 'incomplete' : 'parsed';
  },
  label: (_s, i) => i.outcome ?? '',
  show: (i) => `${hex(i.bytes)} (question ${i.qname})`,
});

const SERVERS = ['198.51.100.53', '192.0.2.53'];

interface FakeSocket extends UdpSocket {
  handler: UdpHandler;
  onUnreachable?: UdpUnreachableHandler;
  open: boolean;
  sent: { addr: string; port: number; payload: Uint8Array }[];
}

interface Lookup {
  name: string;
  /** Index of its socket in ResolverState.sockets. */
  socket?: number;
  handle: LookupHandle;
  calls: number;
  cancelled: boolean;
  result?: LookupResult;
}

interface ResolverState {
  resolver: DnsResolver;
  sockets: FakeSocket[];
  lookups: Lookup[];
  now: number;
}

type ResolverAction =
  | { kind: 'lookup'; name: string }
  | { kind: 'cancel'; which: number }
  | { kind: 'datagram'; socket: number; addr: string; port: number; payload: Uint8Array; clean?: { lookup: Lookup; addresses: string[]; pending?: boolean } }
  | { kind: 'unreachable'; socket: number; addr: string; port: number }
  | { kind: 'timer' };

interface ResolverInput {
  advance: number;
  action: ResolverAction;
  from: string;
}

function openSockets(s: ResolverState): FakeSocket[] {
  return s.sockets.filter((x) => x.open);
}

export const dnsResolver = fuzzTarget<ResolverState, ResolverInput>({
  name: 'dns-resolver',
  about: 'DnsResolver fed clean, mutated and forged answers, ICMP errors, cancels and timeouts: each lookup ends exactly once, clean answers resolve, no socket leaks',
  episode: 2_000,
  retainedLimit: 64 * 1024,
  setup(rand) {
    const s: ResolverState = { resolver: undefined as unknown as DnsResolver, sockets: [], lookups: [], now: 0 };
    s.resolver = new DnsResolver({ servers: rand.chance(0.5) ? SERVERS : SERVERS.slice(0, 1), timeoutMs: 2000, attempts: 4 }, { log: silentLogger(), random: rand }, {
      udp: {
        bindUdp: (localPort, handler, onUnreachable) => {
          const socket: FakeSocket = {
            localPort: 49152 + s.sockets.length, handler, onUnreachable, open: true, sent: [],
            sendTo: (addr, port, payload) => (socket.sent.push({ addr, port, payload: payload.slice() }), socket.open),
            close: () => void (socket.open = false),
          };
          violated(localPort === 0, 'the resolver bound a fixed port');
          s.sockets.push(socket);
          return socket;
        },
      },
    });
    return s;
  },
  make(rand, s) {
    const advance = rand.weighted([[6, 0], [3, rand.int(1500)], [1, rand.int(10_000)]] as const);
    const open = openSockets(s);
    const pending = s.lookups.filter((l) => l.calls === 0 && !l.cancelled);
    const kind = rand.weighted([[open.length < 6 ? 2 : 0, 'lookup'], [0.3, 'cancel'], [open.length ? 6 : 0, 'answer'], [open.length ? 0.5 : 0, 'unreachable'], [1, 'timer']] as const);
    if (kind === 'lookup') {
      const name = rand.weighted<() => string>([[8, () => hostName(rand)], [1, () => `198.51.100.${rand.int(256)}`], [1, () => rand.pick(['a..b', '', '-'.repeat(300), 'x'.repeat(64)])]])();
      return { advance, action: { kind: 'lookup', name }, from: `lookup ${name}` };
    }
    if (kind === 'cancel' && pending.length) return { advance, action: { kind: 'cancel', which: s.lookups.indexOf(rand.pick(pending)) }, from: 'cancel' };
    if (kind === 'answer' || kind === 'unreachable') {
      const socket = rand.pick(open);
      const index = s.sockets.indexOf(socket);
      const query = socket.sent.at(-1);
      const server = query?.addr ?? rand.pick(SERVERS);
      if (kind === 'unreachable') return { advance, action: { kind: 'unreachable', socket: index, addr: rand.chance(0.8) ? server : '203.0.113.1', port: rand.chance(0.9) ? 53 : 5353 }, from: 'ICMP unreachable' };
      const lookup = s.lookups.find((l) => l.socket === index && l.calls === 0 && !l.cancelled);
      const id = query ? readU16(query.payload, 0) : rand.int(0x10000);
      const qname = lookup?.name ?? hostName(rand);
      const built = buildResponse(rand, { id: rand.chance(0.95) ? id : rand.int(0x10000), qname, rcode: rand.chance(0.1) ? rand.pick([2, 3, 5]) : undefined, truncated: rand.chance(0.05) });
      const how = rand.weighted([[3, 'clean'], [5, 'mutated'], [1, 'forged source'], [1, 'noise']] as const);
      if (how === 'noise') return { advance, action: { kind: 'datagram', socket: index, addr: server, port: 53, payload: noise(rand, 200) }, from: 'noise' };
      if (how === 'forged source') return { advance, action: { kind: 'datagram', socket: index, addr: rand.chance(0.5) ? '203.0.113.53' : server, port: rand.chance(0.5) ? 53 : 5353, payload: built.bytes }, from: 'forged source' };
      if (how === 'mutated') return { advance, action: { kind: 'datagram', socket: index, addr: server, port: 53, payload: mutate(rand, built.bytes, { fields: built.fields }) }, from: 'mutated answer' };
      const clean = lookup && query && readU16(built.bytes, 0) === id && built.addresses.length && readU16(built.bytes, 2) === 0x8180 ? { lookup, addresses: built.addresses } : undefined;
      return { advance, action: { kind: 'datagram', socket: index, addr: server, port: 53, payload: built.bytes, clean }, from: clean ? 'clean answer' : 'answer' };
    }
    return { advance, action: { kind: 'timer' }, from: 'timer' };
  },
  feed(s, input) {
    s.now += input.advance;
    const a = input.action;
    runDue(s.resolver, s.now, 'resolver');
    switch (a.kind) {
      case 'lookup': {
        const before = s.sockets.length;
        const l: Lookup = { name: a.name, handle: { cancel: () => {} }, calls: 0, cancelled: false };
        s.lookups.push(l);
        l.handle = s.resolver.lookup(a.name, s.now, (result) => {
          l.calls++;
          l.result = result;
        });
        if (s.sockets.length > before) l.socket = before;
        return;
      }
      case 'cancel': {
        const l = s.lookups[a.which]!;
        l.cancelled = true;
        return l.handle.cancel();
      }
      case 'datagram': {
        const socket = s.sockets[a.socket]!;
        if (a.clean) a.clean.pending = a.clean.lookup.calls === 0; // a timeout just now may have ended it
        return socket.handler({ srcAddr: a.addr, srcPort: a.port, dstAddr: '10.0.0.1', dstPort: socket.localPort, payload: a.payload }, s.now);
      }
      case 'unreachable':
        return s.sockets[a.socket]!.onUnreachable?.({ addr: a.addr, port: a.port, code: 3 }, s.now);
      default:
    }
  },
  check(s, input) {
    for (const l of s.lookups) {
      violated(l.calls <= 1, `lookup ${l.name} ended ${l.calls} times`);
      if (l.cancelled) violated(l.calls === 0 || l.result !== undefined, 'a cancelled lookup called back');
      if (l.result && 'addresses' in l.result) for (const a of l.result.addresses) violated(addressToBytes(a) !== undefined, `not an address: ${a}`);
    }
    const a = input.action;
    if (a.kind === 'datagram' && a.clean?.pending) {
      const r = a.clean.lookup.result;
      violated(r !== undefined && 'addresses' in r && r.addresses.join() === a.clean.addresses.join(), `a clean answer gave ${JSON.stringify(r)}, expected ${a.clean.addresses.join()}`);
    }
    violated(openSockets(s).length === s.resolver.pendingCount, `${openSockets(s).length} sockets open for ${s.resolver.pendingCount} lookups`);
    // Ended lookups are kept a while (a second call back would show), then forgotten.
    s.lookups = s.lookups.filter((l, i) => (l.calls === 0 && !l.cancelled) || i >= s.lookups.length - 8);
  },
  end(s) {
    const open = s.lookups.filter((l) => !l.cancelled);
    for (let t = 0; t < 100 && s.resolver.deadline() !== undefined; t++) {
      s.now = Math.max(s.now, s.resolver.deadline()!);
      s.resolver.onTimer(s.now);
    }
    for (const l of open) violated(l.calls === 1, `lookup ${l.name} never ended (${l.calls} calls)`);
    violated(s.resolver.pendingCount === 0 && openSockets(s).length === 0, 'lookups or sockets left after every timeout');
  },
  retained: (s) => s.resolver,
  label: (_s, i) => i.from.split(' ')[0] === 'lookup' ? 'lookup' : i.from,
  show: (i) => {
    const a = i.action;
    return `+${i.advance} ms, ${i.from}${a.kind === 'datagram' ? ` from ${a.addr}:${a.port}: ${hex(a.payload)}` : ''}`;
  },
});
