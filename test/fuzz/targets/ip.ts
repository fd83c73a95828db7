/**
 * The IPv4, UDP and ICMP parsers, and IpStack.input: packets as the real builders make them
 * (UDP, ICMP echo and errors quoting our datagrams, fragments in any order, with overlaps,
 * duplicates and gaps), mutated in the fields that drive parsing, with the checksums made good
 * again most of the time so the mutations reach past them.
 */
import { addressToBytes } from '../../../src/ip/address.ts';
import { internetChecksum } from '../../../src/ip/checksum.ts';
import { DEFAULT_REASSEMBLY_LIMITS } from '../../../src/ip/fragments.ts';
import { buildDestUnreachable, buildEchoRequest, parseIcmp, parseQuotedUdp } from '../../../src/ip/icmp.ts';
import { buildIpv4Packet, flowOf, parseIpv4Packet, PROTO_ESP, PROTO_ICMP, PROTO_UDP } from '../../../src/ip/ipv4.ts';
import { IpStack } from '../../../src/ip/stack.ts';
import { buildUdp, parseUdp } from '../../../src/ip/udp.ts';
import { equalBytes, writeU16 } from '../../../src/util/bytes.ts';
import { silentLogger } from '../../../src/util/log.ts';
import { hex, mutate, noise, type Field } from '../mutate.ts';
import type { Rand } from '../rand.ts';
import { fuzzTarget, violated } from '../target.ts';
import { runDue } from './harness.ts';

const LOCAL = '10.0.0.1';
const LOCAL_BYTES = addressToBytes(LOCAL)!;
const PEERS = ['198.51.100.53', '192.0.2.9', '203.0.113.77'].map((a) => addressToBytes(a)!);
const PORTS = [53, 4500, 5000, 49152];

/** Header fields of an IPv4 packet and of the UDP/ICMP header after it. */
const IP_FIELDS: Field[] = [
  { at: 0, size: 1 }, { at: 2, size: 2 }, { at: 4, size: 2 }, { at: 6, size: 2 }, { at: 9, size: 1 }, { at: 10, size: 2 },
  { at: 20, size: 2 }, { at: 22, size: 2 }, { at: 24, size: 2 }, { at: 26, size: 2 },
];

/** Makes the IPv4 header checksum good again (the header length as the packet now says). */
function fixIpChecksum(p: Uint8Array): Uint8Array {
  const hl = ((p[0] ?? 0) & 0x0f) * 4;
  if (p.length >= 20 && hl >= 20 && hl <= p.length) {
    writeU16(p, 10, 0);
    writeU16(p, 10, internetChecksum(p, 0, hl));
  }
  return p;
}

function payloadFor(rand: Rand, protocol: number, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const data = rand.bytes(rand.chance(0.05) ? rand.between(1400, 4000) : rand.int(64));
  if (protocol === PROTO_UDP) return buildUdp(src, dst, rand.pick(PORTS), rand.chance(0.8) ? rand.pick(PORTS) : rand.between(1, 0xffff), data);
  if (protocol !== PROTO_ICMP) return data;
  if (rand.chance(0.5)) return buildEchoRequest(rand.int(0x10000), rand.int(0x10000), data);
  // An error quoting a datagram we sent from LOCAL.
  const quoted = buildIpv4Packet({ src: LOCAL_BYTES, dst: src, protocol: PROTO_UDP, identification: rand.int(0x10000) }, buildUdp(LOCAL_BYTES, src, rand.pick(PORTS), 53, data.subarray(0, 8)));
  return buildDestUnreachable(rand.pick([0, 1, 2, 3, 4, 13]), quoted, 20);
}

function options(rand: Rand, packet: Uint8Array): Uint8Array {
  // Header options (never sent by us, skipped on receive): IHL > 5.
  const words = 1 + rand.int(10);
  const out = new Uint8Array(packet.length + words * 4);
  out.set(packet.subarray(0, 20));
  out.set(rand.bytes(words * 4), 20);
  out.set(packet.subarray(20), 20 + words * 4);
  out[0] = 0x40 | (5 + words);
  writeU16(out, 2, out.length);
  return fixIpChecksum(out);
}

/** A packet for us (mostly), as another host's stack would build it. */
function packetToUs(rand: Rand, src = rand.pick(PEERS)): Uint8Array {
  const protocol = rand.weighted([[5, PROTO_UDP], [3, PROTO_ICMP], [1, PROTO_ESP], [1, 99]] as const);
  const dst = rand.chance(0.9) ? LOCAL_BYTES : rand.pick(PEERS);
  const p = buildIpv4Packet({ src, dst, protocol, identification: rand.int(0x10000), ttl: rand.int(256), dontFragment: rand.chance(0.3) }, payloadFor(rand, protocol, src, dst));
  return rand.chance(0.1) ? options(rand, p) : p;
}

function mutated(rand: Rand, packet: Uint8Array): Uint8Array {
  const m = mutate(rand, packet, { fields: IP_FIELDS });
  return rand.chance(0.7) ? fixIpChecksum(m) : m;
}

interface ParserInput {
  packet: Uint8Array;
  outcome?: string;
}

export const ipParsers = fuzzTarget<undefined, ParserInput>({
  name: 'ip-parsers',
  about: 'parseIpv4Packet, parseUdp, parseIcmp, parseQuotedUdp, flowOf on mutated UDP/ICMP/ESP packets with options and fragment fields; views stay inside the packet',
  episode: 1_000_000,
  setup: () => undefined,
  make(rand) {
    if (rand.chance(0.05)) return { packet: noise(rand, 200, [0x45, 0x11, 0x01]) };
    return { packet: mutated(rand, packetToUs(rand)) };
  },
  feed(_s, input) {
    const p = input.packet;
    flowOf(p);
    const ip = parseIpv4Packet(p);
    if (!ip.ok) return void (input.outcome = ip.error);
    const { header, payload } = ip.value;
    violated(header.headerLength >= 20 && header.headerLength <= 60 && header.headerLength <= p.length, `header length ${header.headerLength}`);
    violated(payload.length === header.totalLength - header.headerLength && header.totalLength <= p.length, 'the payload does not match the total length');
    violated(payload.buffer === p.buffer, 'the payload is not a view of the packet');
    input.outcome = 'ipv4';
    if (header.protocol === PROTO_UDP) {
      const udp = parseUdp(payload, header.src, header.dst);
      input.outcome = udp.ok ? 'udp' : udp.error;
      if (udp.ok) violated(udp.value.payload.length <= payload.length - 8, 'UDP payload longer than the segment');
    } else if (header.protocol === PROTO_ICMP) {
      const icmp = parseIcmp(payload);
      input.outcome = icmp.ok ? `icmp ${icmp.value.type}` : icmp.error;
      if (icmp.ok) {
        const quote = parseQuotedUdp(icmp.value.code, icmp.value.body);
        if (quote.ok) input.outcome = 'icmp quoting udp';
      }
    }
  },
  label: (_s, i) => i.outcome ?? '',
  show: (i) => hex(i.packet),
});

interface StackState {
  stack: IpStack;
  now: number;
  /** ICMP errors we sent, by time (rate-limited to one a second). */
  lastIcmpError: number;
  delivered: Map<string, Uint8Array[]>;
  serial: number;
}

interface StackInput {
  packets: Uint8Array[];
  advance: number;
  /** A clean fragmented datagram: its UDP payload must reach port 5000 exactly. */
  whole?: { key: string; payload: Uint8Array };
  from: string;
}

/** A UDP datagram cut into fragments (8-byte aligned), shuffled; the caller may spoil some. */
function fragments(rand: Rand, src: Uint8Array, id: number, udpPayload: Uint8Array, dstPort: number): Uint8Array[] {
  const udp = buildUdp(src, LOCAL_BYTES, 53, dstPort, udpPayload);
  // Within the reassembler's fragment limit, so a clean set is one it must take.
  const fewest = Math.ceil(udp.length / 8 / DEFAULT_REASSEMBLY_LIMITS.maxFragments);
  const size = 8 * rand.between(fewest, Math.max(fewest, 64));
  const out: Uint8Array[] = [];
  for (let off = 0; off < udp.length; off += size) {
    const piece = udp.subarray(off, Math.min(udp.length, off + size));
    out.push(buildIpv4Packet({ src, dst: LOCAL_BYTES, protocol: PROTO_UDP, identification: id, fragmentOffset: off, moreFragments: off + size < udp.length }, piece));
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = rand.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export const ipStack = fuzzTarget<StackState, StackInput>({
  name: 'ip-stack',
  about: 'IpStack.input with sockets and handlers bound: hostile packets and fragment sets (overlaps, duplicates, gaps, floods of ids), timers; reassembly bounded, ICMP errors rate-limited, clean fragment sets delivered intact',
  episode: 20_000,
  retainedLimit: 64 * 1024,
  setup(rand) {
    const s: StackState = { stack: undefined as unknown as IpStack, now: 0, lastIcmpError: -Infinity, delivered: new Map(), serial: 0 };
    s.stack = new IpStack({ log: silentLogger(), random: rand }, {
      transmit: (packet, now) => {
        const p = parseIpv4Packet(packet);
        violated(p.ok, 'the stack sent a packet it cannot parse');
        if (p.value.header.protocol === PROTO_ICMP && p.value.header.fragmentOffset === 0 && p.value.payload[0] === 3) {
          violated(now - s.lastIcmpError >= 1000, `two ICMP errors within ${now - s.lastIcmpError} ms`);
          s.lastIcmpError = now;
        }
        return true;
      },
    });
    s.stack.setLocalAddress(LOCAL);
    for (const port of [53, 4500]) s.stack.bindUdp(port, () => {}, () => {});
    s.stack.bindUdp(5000, (d) => {
      const key = `${d.srcAddr}/${d.srcPort}`;
      const list = s.delivered.get(key) ?? [];
      list.push(d.payload.slice());
      s.delivered.set(key, list.slice(-2));
    });
    s.stack.setProtocolHandler(PROTO_ESP, () => {});
    s.stack.onEchoReply(() => {});
    return s;
  },
  make(rand, s) {
    const advance = rand.weighted([[6, 0], [3, rand.int(2000)], [1, rand.int(30_000)]] as const);
    const kind = rand.weighted([[5, 'packet'], [3, 'fragments'], [1, 'clean'], [1, 'flood']] as const);
    if (kind === 'packet') return { packets: [rand.chance(0.8) ? mutated(rand, packetToUs(rand)) : packetToUs(rand)], advance, from: 'a packet' };
    if (kind === 'flood') {
      // Fragments of many datagrams at once: reassembly must stay within its limits.
      const packets = Array.from({ length: 4 + rand.int(12) }, () => fragments(rand, rand.pick(PEERS), rand.int(0x10000), rand.bytes(rand.int(3000)), 5000)[0]!);
      return { packets, advance, from: 'first fragments of many datagrams' };
    }
    // A clean set from a source used once, so no older pending datagram shares its key.
    s.serial++;
    const src = Uint8Array.of(203, 0, 113, 1 + (s.serial % 200));
    const id = s.serial & 0xffff;
    const payload = rand.bytes(rand.between(100, 3000));
    const pieces = fragments(rand, src, id, payload, 5000);
    if (kind === 'clean' && pieces.length > 1) return { packets: pieces, advance, whole: { key: `${src.join('.')}/53`, payload }, from: 'a clean fragment set' };
    // Spoiled: drop, duplicate, overlap or mutate some pieces.
    const spoiled: Uint8Array[] = [];
    for (const p of pieces) {
      const r = rand.next();
      if (r < 0.15) continue;
      spoiled.push(r < 0.3 ? fixIpChecksum(mutate(rand, p, { fields: IP_FIELDS.slice(0, 6) })) : p);
      if (r > 0.9) spoiled.push(p);
    }
    return { packets: spoiled, advance, from: 'a spoiled fragment set' };
  },
  feed(s, input) {
    s.now += input.advance;
    runDue(s.stack, s.now, 'stack');
    for (const p of input.packets) s.stack.input(p, s.now);
  },
  check(s, input) {
    const pending = (s.stack as unknown as { reassembler: { pendingCount: number } }).reassembler.pendingCount;
    violated(pending <= DEFAULT_REASSEMBLY_LIMITS.maxPending, `${pending} datagrams pending reassembly`);
    if (input.whole) {
      const got = s.delivered.get(input.whole.key)?.at(-1);
      violated(got !== undefined && equalBytes(got, input.whole.payload), 'a clean fragment set was not delivered intact');
      s.delivered.delete(input.whole.key);
    }
    s.delivered.clear();
  },
  retained: (s) => s.stack,
  label: (_s, i) => i.from,
  show: (i) => `${i.from}, +${i.advance} ms: ${i.packets.map((p) => hex(p, 256)).join(' | ')}`,
});
