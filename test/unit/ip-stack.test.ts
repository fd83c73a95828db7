import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpStack, type RawDatagram, type UdpDatagram } from '../../src/ip/stack.ts';
import { buildIpv4Packet, parseIpv4Packet, PROTO_ESP, PROTO_UDP } from '../../src/ip/ipv4.ts';
import { buildUdp } from '../../src/ip/udp.ts';
import { addressToBytes } from '../../src/ip/address.ts';
import { silentLogger } from '../../src/util/log.ts';
import { utf8 } from '../../src/util/bytes.ts';
import { seededRandom } from './seeded-random.ts';

function wire() {
  const queue: { to: IpStack; packet: Uint8Array }[] = [];
  const a: IpStack = new IpStack({ log: silentLogger('a'), random: seededRandom(1) }, { transmit: (p) => (queue.push({ to: b, packet: p }), true) });
  const b: IpStack = new IpStack({ log: silentLogger('b'), random: seededRandom(2) }, { transmit: (p) => (queue.push({ to: a, packet: p }), true) });
  a.setLocalAddress('10.0.0.1');
  b.setLocalAddress('10.0.0.2');
  const flush = (now = 0) => {
    while (queue.length) {
      const { to, packet } = queue.shift()!;
      to.input(packet, now);
    }
  };
  return { a, b, queue, flush };
}

const A = addressToBytes('10.0.0.1')!;
const B = addressToBytes('10.0.0.2')!;

test('UDP request/response between two stacks with an ephemeral port', () => {
  const { a, b, flush } = wire();
  const server = b.bindUdp(7, (d, now) => server.sendTo(d.srcAddr, d.srcPort, d.payload.slice().reverse(), now));
  const got: UdpDatagram[] = [];
  const client = a.bindUdp(0, (d) => got.push({ ...d, payload: d.payload.slice() }));
  assert.ok(client.localPort >= 49152 && client.localPort <= 65535);
  assert.ok(client.sendTo('10.0.0.2', 7, utf8('abc'), 0));
  flush();
  assert.deepEqual(got, [{ srcAddr: '10.0.0.2', srcPort: 7, dstAddr: '10.0.0.1', dstPort: client.localPort, payload: utf8('cba') }]);
  const c = a.counters();
  assert.equal(c.packetsOut, 1);
  assert.equal(c.packetsIn, 1);
  assert.equal(c.bytesOut, 20 + 8 + 3);
  assert.equal(c.delivered, 1);
  assert.deepEqual(c.drops, {});
});

test('binding: taken ports and bad numbers throw; close frees the port and stops sending', () => {
  const { a } = wire();
  const s = a.bindUdp(500, () => {});
  assert.throws(() => a.bindUdp(500, () => {}), /already bound/);
  assert.throws(() => a.bindUdp(70000, () => {}), /bad udp port/);
  assert.throws(() => a.bindUdp(1.5, () => {}), /bad udp port/);
  s.close();
  assert.equal(s.sendTo('10.0.0.2', 1, new Uint8Array(1), 0), false);
  const again = a.bindUdp(500, () => {});
  s.close(); // closing twice must not unbind the new owner
  assert.throws(() => a.bindUdp(500, () => {}), /already bound/);
  again.close();
});

test('ephemeral ports never collide', () => {
  const { a } = wire();
  const ports = new Set<number>();
  for (let i = 0; i < 2000; i++) ports.add(a.bindUdp(0, () => {}).localPort);
  assert.equal(ports.size, 2000);
});

test('sending without a local address or to a bad address fails and is counted', () => {
  const s = new IpStack({ log: silentLogger() }, { transmit: () => assert.fail('nothing may leave') });
  const sock = s.bindUdp(1000, () => {});
  assert.equal(sock.sendTo('10.0.0.2', 53, new Uint8Array(1), 0), false);
  s.setLocalAddress('10.0.0.1');
  assert.equal(sock.sendTo('not.an.ip', 53, new Uint8Array(1), 0), false);
  assert.equal(sock.sendTo('10.0.0.2', 0, new Uint8Array(1), 0), false);
  assert.equal(sock.sendTo('10.0.0.2', 53, new Uint8Array(70000), 0), false);
  s.setLocalAddress(undefined);
  assert.equal(s.sendRaw(PROTO_ESP, '10.0.0.2', new Uint8Array(8), 0), false);
  assert.deepEqual(s.counters().drops, { 'send without local address': 2, 'send bad address': 1, 'send bad port': 1, 'send too long': 1 });
  assert.throws(() => s.setLocalAddress('10.0.0'), /not an IPv4/);
});

test('input drops: not for us, no local address, special source, bad UDP checksum', () => {
  const s = new IpStack({ log: silentLogger() }, { transmit: () => true });
  s.bindUdp(53, () => assert.fail('must not deliver'));
  const udp = (src: Uint8Array, dst: Uint8Array) => buildIpv4Packet({ src, dst, protocol: PROTO_UDP, identification: 1 }, buildUdp(src, dst, 1, 53, utf8('q')));
  s.input(udp(A, B), 0);
  s.setLocalAddress('10.0.0.2');
  s.input(udp(A, addressToBytes('10.0.0.3')!), 0);
  s.input(udp(addressToBytes('224.0.0.1')!, B), 0);
  const bad = udp(A, B);
  bad[bad.length - 1] ^= 0xff;
  s.input(bad, 0);
  assert.deepEqual(s.counters().drops, { 'no local address': 1, 'not for us': 1, 'bad source address': 1, 'udp bad checksum': 1 });
});

test('raw protocol handler (ESP) receives and sends; unknown protocols get ICMP protocol unreachable', () => {
  const { a, b, queue, flush } = wire();
  const got: RawDatagram[] = [];
  b.setProtocolHandler(PROTO_ESP, (d) => got.push(d));
  assert.ok(a.sendRaw(PROTO_ESP, '10.0.0.2', utf8('esp!'), 0));
  flush();
  assert.equal(got.length, 1);
  assert.equal(got[0]!.srcAddr, '10.0.0.1');
  assert.equal(got[0]!.protocol, PROTO_ESP);
  assert.deepEqual(got[0]!.payload, utf8('esp!'));

  b.setProtocolHandler(PROTO_ESP, undefined);
  a.sendRaw(PROTO_ESP, '10.0.0.2', utf8('esp!'), 0);
  b.input(queue.shift()!.packet, 0);
  assert.equal(b.counters().drops['unknown protocol'], 1);
  const icmp = parseIpv4Packet(queue.shift()!.packet);
  assert.ok(icmp.ok);
  assert.equal(icmp.value.header.protocol, 1);
  assert.equal(icmp.value.payload[0], 3); // destination unreachable
  assert.equal(icmp.value.payload[1], 2); // protocol unreachable
  assert.throws(() => b.setProtocolHandler(PROTO_UDP, () => {}));
});

test('identification counter increments per datagram', () => {
  const sent: Uint8Array[] = [];
  const s = new IpStack({ log: silentLogger() }, { transmit: (p) => (sent.push(p), true) });
  s.setLocalAddress('10.0.0.1');
  const sock = s.bindUdp(1, () => {});
  sock.sendTo('10.0.0.2', 2, new Uint8Array(1), 0);
  sock.sendTo('10.0.0.2', 2, new Uint8Array(1), 0);
  const ids = sent.map((p) => (p[4]! << 8) | p[5]!);
  assert.equal(ids[1], (ids[0]! + 1) & 0xffff);
});

test('robustness: random and mutated packets never throw', () => {
  const rnd = seededRandom(42);
  const { b, queue } = wire();
  b.bindUdp(53, () => {});
  b.setProtocolHandler(PROTO_ESP, () => {});
  const seeds: Uint8Array[] = [];
  const collect = new IpStack({ log: silentLogger() }, { transmit: (p) => (seeds.push(p), true) }, { mtu: 300 });
  collect.setLocalAddress('10.0.0.1');
  const sock = collect.bindUdp(4000, () => {});
  sock.sendTo('10.0.0.2', 53, utf8('valid query'), 0);
  sock.sendTo('10.0.0.2', 53, new Uint8Array(900), 0); // fragments
  collect.ping('10.0.0.2', 1, 1, utf8('ping'), 0);
  collect.sendRaw(PROTO_ESP, '10.0.0.2', new Uint8Array(40), 0);
  const n = (k: number) => Math.floor(rnd.next() * k);
  let now = 0;
  for (let i = 0; i < 5000; i++) {
    let p: Uint8Array;
    if (i % 5 === 0) p = rnd.bytes(n(120));
    else {
      p = seeds[n(seeds.length)]!.slice();
      const flips = 1 + n(4);
      for (let f = 0; f < flips; f++) p[n(p.length)] = n(256);
      if (rnd.next() < 0.2) p = p.subarray(0, n(p.length + 1));
      if (rnd.next() < 0.3 && p.length >= 20) {
        // Repair the header checksum so mutations reach the upper layers.
        p[10] = p[11] = 0;
        const ihl = Math.min(p.length, (p[0]! & 0x0f) * 4);
        let sum = 0;
        for (let j = 0; j + 1 < ihl; j += 2) sum += (p[j]! << 8) | p[j + 1]!;
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
        p[10] = (~sum >> 8) & 0xff;
        p[11] = ~sum & 0xff;
      }
    }
    now += n(100);
    b.input(p, now);
    if (b.deadline() !== undefined && b.deadline()! <= now) b.onTimer(now);
    queue.length = 0;
  }
  const c = b.counters();
  assert.equal(c.packetsIn, 5000);
  assert.ok(Object.keys(c.drops).length > 5);
});

test('the layer below may refuse a packet (e.g. outside the tunnel\'s selectors): the send fails and is counted', () => {
  const s = new IpStack({ log: silentLogger('s') }, { transmit: () => false });
  s.setLocalAddress('10.0.0.1');
  const u = s.bindUdp(0, () => {});
  assert.equal(u.sendTo('10.0.0.2', 7, utf8('x'), 0), false);
  assert.equal(s.sendRaw(6, '10.0.0.2', utf8('y'), 0), false);
  assert.equal(s.counters().drops['send refused below'], 2);
  assert.equal(s.counters().packetsOut, 0);
});

test('setMtu: the tunnel lowers the MTU so larger datagrams are fragmented before ESP; raw handlers see address bytes', () => {
  const { a, b, queue, flush } = wire();
  a.setMtu(576);
  const got: RawDatagram[] = [];
  b.setProtocolHandler(6, (d) => got.push({ ...d, payload: d.payload.slice(), src: d.src.slice(), dst: d.dst.slice() }));
  assert.ok(a.sendRaw(6, B, new Uint8Array(1000), 0), 'by address bytes');
  assert.equal(queue.length, 2, 'two fragments');
  flush();
  assert.equal(got.length, 1);
  assert.deepEqual([got[0]!.src, got[0]!.dst], [A, B]);
  assert.equal(got[0]!.payload.length, 1000);
  assert.throws(() => a.setMtu(60));
});
