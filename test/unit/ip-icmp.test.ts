import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpStack, type EchoReply, type UdpUnreachable } from '../../src/ip/stack.ts';
import { buildEchoRequest, buildIcmp, parseIcmp, parseQuotedUdp, ICMP_ECHO_REQUEST } from '../../src/ip/icmp.ts';
import { buildIpv4Packet, PROTO_ICMP } from '../../src/ip/ipv4.ts';
import { addressToBytes } from '../../src/ip/address.ts';
import { silentLogger } from '../../src/util/log.ts';
import { utf8 } from '../../src/util/bytes.ts';

/** Two stacks on a point-to-point wire; packets queue until flush() so handlers never re-enter. */
function wire() {
  const queue: { to: IpStack; packet: Uint8Array }[] = [];
  const a: IpStack = new IpStack({ log: silentLogger('a') }, { transmit: (p) => (queue.push({ to: b, packet: p }), true) });
  const b: IpStack = new IpStack({ log: silentLogger('b') }, { transmit: (p) => (queue.push({ to: a, packet: p }), true) });
  a.setLocalAddress('10.0.0.1');
  b.setLocalAddress('10.0.0.2');
  const flush = (now: number) => {
    for (let n = 0; queue.length; n++) {
      assert.ok(n < 1000, 'packet storm');
      const { to, packet } = queue.shift()!;
      to.input(packet, now);
    }
  };
  return { a, b, queue, flush };
}

test('echo request/reply round trip between two stacks', () => {
  const { a, b, flush } = wire();
  const replies: EchoReply[] = [];
  a.onEchoReply((r) => replies.push(r));
  assert.ok(a.ping('10.0.0.2', 0x1234, 7, utf8('ping data'), 0));
  flush(0);
  assert.equal(replies.length, 1);
  assert.deepEqual({ ...replies[0]!, data: [...replies[0]!.data] }, { srcAddr: '10.0.0.2', identifier: 0x1234, sequence: 7, data: [...utf8('ping data')] });
  assert.equal(b.counters().packetsOut, 1);
  assert.equal(b.counters().delivered, 1);
});

test('echo request with a bad ICMP checksum is dropped, not answered', () => {
  const { a, b, queue, flush } = wire();
  const icmp = buildEchoRequest(1, 1, new Uint8Array(4));
  icmp[9] ^= 1;
  b.input(buildIpv4Packet({ src: addressToBytes('10.0.0.1')!, dst: addressToBytes('10.0.0.2')!, protocol: PROTO_ICMP, identification: 1 }, icmp), 0);
  assert.equal(queue.length, 0);
  assert.equal(b.counters().drops['icmp bad checksum'], 1);
  flush(0);
  assert.equal(a.counters().packetsIn, 0);
});

test('UDP to an unbound port: ICMP port unreachable reaches the sending socket', () => {
  const { a, b, flush } = wire();
  const errors: UdpUnreachable[] = [];
  const s = a.bindUdp(5000, () => assert.fail('no data expected'), (u) => errors.push(u));
  s.sendTo('10.0.0.2', 9999, utf8('anyone?'), 0);
  flush(0);
  assert.deepEqual(errors, [{ addr: '10.0.0.2', port: 9999, code: 3 }]);
  assert.equal(b.counters().drops['udp port unreachable'], 1);
  assert.equal(b.counters().icmpErrorsSent, 1);
});

test('ICMP errors are rate limited to one per interval', () => {
  const { a, b, flush } = wire();
  const errors: UdpUnreachable[] = [];
  const s = a.bindUdp(5000, () => {}, (u) => errors.push(u));
  for (let i = 0; i < 5; i++) s.sendTo('10.0.0.2', 9999, utf8('x'), 100);
  flush(100);
  s.sendTo('10.0.0.2', 9999, utf8('x'), 1200);
  flush(1200);
  assert.equal(errors.length, 2);
  assert.equal(b.counters().icmpErrorsSuppressed, 4);
  assert.equal(b.counters().drops['udp port unreachable'], 6);
});

test('icmpErrors: false only counts', () => {
  const queue: Uint8Array[] = [];
  const b = new IpStack({ log: silentLogger() }, { transmit: (p) => (queue.push(p), true) }, { icmpErrors: false });
  b.setLocalAddress('10.0.0.2');
  const a = new IpStack({ log: silentLogger() }, { transmit: (p) => (b.input(p, 0), true) });
  a.setLocalAddress('10.0.0.1');
  a.bindUdp(1, () => {}).sendTo('10.0.0.2', 9, new Uint8Array(1), 0);
  assert.equal(queue.length, 0);
  assert.equal(b.counters().drops['udp port unreachable'], 1);
});

test('unreachable quoting another source address or unbound port is ignored', () => {
  const { a } = wire();
  let called = 0;
  a.bindUdp(5000, () => {}, () => called++);
  const quoteFrom = (src: string, port: number) => {
    const inner = buildIpv4Packet({ src: addressToBytes(src)!, dst: addressToBytes('10.0.0.2')!, protocol: 17, identification: 1 }, new Uint8Array([port >> 8, port & 0xff, 0, 53, 0, 8, 0, 0]));
    const icmp = buildIcmp(3, 3, new Uint8Array(4), inner);
    return buildIpv4Packet({ src: addressToBytes('10.0.0.2')!, dst: addressToBytes('10.0.0.1')!, protocol: PROTO_ICMP, identification: 2 }, icmp);
  };
  a.input(quoteFrom('10.9.9.9', 5000), 0);
  a.input(quoteFrom('10.0.0.1', 5001), 0);
  assert.equal(called, 0);
  assert.equal(a.counters().drops['icmp quote not ours'], 1);
  assert.equal(a.counters().drops['icmp unreachable unclaimed'], 1);
  a.input(quoteFrom('10.0.0.1', 5000), 0);
  assert.equal(called, 1);
});

test('parsers reject short ICMP and short quotes', () => {
  assert.deepEqual(parseIcmp(new Uint8Array(7)), { ok: false, error: 'icmp truncated' });
  assert.equal(parseQuotedUdp(3, new Uint8Array(10)).ok, false);
  const m = parseIcmp(buildIcmp(ICMP_ECHO_REQUEST, 0, new Uint8Array(4), new Uint8Array(0)));
  assert.ok(m.ok);
});
