/**
 * What a hostile or broken peer cannot do to the device's TCP: pin a connection with a zero
 * window (before and after close()), hold the socket table, learn from the challenge-ACK budget
 * whether a spoofed RST was in window (CVE-2016-5696), stretch TIME_WAIT with stray FINs, or
 * make a listener allocate buffers with SYNs alone; and no window, path MSS or refused send
 * leaves data waiting with no timer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACK, FIN, RST, SYN } from '../../src/net/tcp/segment.ts';
import { seqAdd } from '../../src/net/tcp/seq.ts';
import { DeviceRig, pattern, type Peer } from './tcp-rig.ts';

/** The peer answers every window probe with an ACK that keeps the window closed, for `ms`. */
function keepWindowClosed(rig: DeviceRig, peer: Peer, ms: number): number {
  const end = rig.now + ms;
  let probes = 0;
  while (rig.now < end) {
    const at = rig.layer.deadline();
    if (at === undefined || at > end) break;
    rig.advance(at - rig.now);
    for (const s of rig.take()) {
      if (s.payload.length !== 1) continue;
      probes++;
      peer.send(ACK, undefined, { window: 0 });
    }
  }
  rig.now = Math.max(rig.now, end);
  return probes;
}

test('zero window: a peer that ACKs every probe but never opens its window gets a RST and "timeout" after tcpMaxRetries × 60 s', () => {
  const rig = new DeviceRig();
  const { conn, events, peer } = rig.established(5000, 0);
  conn.write(pattern(100), rig.now);
  const probes = keepWindowClosed(rig, peer, 7 * 60_000);
  assert.ok(probes >= 8, `the probes were answered (${probes})`);
  assert.equal(conn.state, 'ESTABLISHED', 'still open at 7 min');
  keepWindowClosed(rig, peer, 60_000 + 1);
  assert.equal(conn.state, 'CLOSED', 'gone at 8 min (8 retries × 60 s)');
  assert.equal(events.closed[0]?.code, 'timeout');
  assert.ok(rig.history.some((s) => s.flags & RST), 'the peer is told with a RST');
  assert.equal(rig.layer.counters().connections, 0);
});

test('zero window after close() with data queued: FIN_WAIT_1 ends within the same bound instead of for ever', () => {
  const rig = new DeviceRig({ tcpMaxRetries: 3 });
  const { conn, peer } = rig.established(5000, 0);
  conn.write(pattern(500), rig.now);
  conn.close(rig.now);
  assert.equal(conn.state, 'FIN_WAIT_1');
  keepWindowClosed(rig, peer, 3 * 60_000 + 1);
  assert.equal(conn.state, 'CLOSED');
  assert.equal(rig.layer.counters().connections, 0, 'the socket is free again');
});

test('zero window: the bound counts from when the window closed; a window that opens starts it over', () => {
  const rig = new DeviceRig({ tcpMaxRetries: 3 });
  const { conn, peer } = rig.established(5000, 0);
  conn.write(pattern(100), rig.now);
  keepWindowClosed(rig, peer, 2 * 60_000);
  peer.send(ACK, undefined, { window: 10 });
  peer.ackAll(0);
  keepWindowClosed(rig, peer, 2 * 60_000);
  assert.equal(conn.state, 'ESTABLISHED', '4 min in all, but 2 min of each closed window');
});

test('socket limit: connections the app closed that still wait for the peer give way to connect(), oldest first', () => {
  const rig = new DeviceRig({ tcpMaxSockets: 2 });
  const a = rig.established(100, 0);
  const b = rig.established(200, 0);
  for (const x of [a, b]) {
    x.conn.write(pattern(50), rig.now);
    x.conn.close(rig.now);
    assert.equal(x.conn.state, 'FIN_WAIT_1');
  }
  rig.take();
  const fresh = rig.layer.connect(new Uint8Array([198, 51, 100, 10]), 7, rig.now);
  assert.equal(fresh.state, 'SYN_SENT', 'connect() does not fail with "no-sockets"');
  assert.equal(a.conn.state, 'CLOSED', 'the oldest closed one was reclaimed');
  assert.equal(b.conn.state, 'FIN_WAIT_1');
  const sent = rig.take();
  assert.ok(sent.some((s) => s.flags === RST && s.dstPort === 7 && s.srcPort === a.port), 'with a RST to its peer');
  assert.equal(rig.layer.counters().connections, 2);
});

test('socket limit: connections the app still holds never give way; half-open ones from a SYN flood do', () => {
  const rig = new DeviceRig({ tcpMaxSockets: 3, tcpMaxPending: 2 });
  const held = rig.established(100);
  held.conn.shutdown(rig.now); // half-closed, but the app still reads: not reclaimable
  held.peer.ackAll();
  rig.layer.listen(80, () => {});
  rig.inject({ srcPort: 40001, dstPort: 80, seq: 5, flags: SYN });
  rig.inject({ srcPort: 40002, dstPort: 80, seq: 9, flags: SYN });
  assert.equal(rig.layer.counters().connections, 3);
  const fresh = rig.layer.connect(new Uint8Array([198, 51, 100, 10]), 7, rig.now);
  assert.equal(fresh.state, 'SYN_SENT');
  assert.equal(held.conn.state, 'FIN_WAIT_2', 'the app\'s connection stays');
  assert.equal(rig.layer.counters().connections, 3);
  rig.inject({ srcPort: 40003, dstPort: 80, seq: 9, flags: SYN });
  assert.ok(rig.take().some((s) => s.flags === (SYN | ACK) && s.dstPort === 40003), 'a new SYN takes the oldest half-open slot');
  rig.layer.connect(new Uint8Array([198, 51, 100, 10]), 7, rig.now);
  assert.throws(() => rig.layer.connect(new Uint8Array([198, 51, 100, 10]), 7, rig.now), /TCP sockets are in use/, 'when only the app\'s remain: "no-sockets"');
});

test('RFC 5961 challenge ACKs: each connection has its own budget, so a spoofed RST on one cannot be seen in the answers on another', () => {
  const rig = new DeviceRig();
  const victim = rig.established(100);
  const attacker = rig.established(200);
  // Off path: a guess at the victim's window. In window, it costs a challenge ACK.
  victim.peer.send(RST, undefined, { seq: seqAdd(victim.peer.seq, 1000) });
  rig.take();
  for (let i = 0; i < 10; i++) attacker.peer.send(RST, undefined, { seq: seqAdd(attacker.peer.seq, 1000) });
  const answers = rig.take().filter((s) => s.srcPort === attacker.port && s.flags === ACK);
  assert.equal(answers.length, 10, 'the attacker gets its full burst whatever the guess hit');
  assert.equal(victim.conn.state, 'ESTABLISHED');
  for (let i = 0; i < 5; i++) attacker.peer.send(RST, undefined, { seq: seqAdd(attacker.peer.seq, 1000) });
  assert.equal(rig.take().length, 0, 'and the budget of one connection is still bounded');
});

test('TIME_WAIT: FINs outside the window (a stray or spoofed one) do not restart the timer', () => {
  const rig = new DeviceRig({ tcpTimeWait: 5 });
  const { conn, peer } = rig.established();
  conn.shutdown(rig.now);
  peer.ackAll();
  peer.send(FIN | ACK);
  assert.equal(conn.state, 'TIME_WAIT');
  rig.advance(4000);
  peer.send(FIN | ACK, undefined, { seq: seqAdd(peer.seq, 40000) });
  peer.send(FIN | ACK, pattern(10), { seq: seqAdd(peer.seq, -500) });
  rig.advance(1000);
  assert.equal(conn.state, 'CLOSED', 'stray FINs did not keep it');
});

test('listener: a SYN allocates no buffers (the SYN-ACK still offers the whole window); the handshake\'s ACK does, and its data is kept', () => {
  const rig = new DeviceRig({ tcpMaxPending: 2 });
  let ready = 0;
  const l = rig.layer.listen(80, () => void ready++);
  rig.inject({ srcPort: 40001, dstPort: 80, seq: 5, flags: SYN });
  rig.inject({ srcPort: 40002, dstPort: 80, seq: 9, flags: SYN });
  const synAcks = rig.take();
  assert.deepEqual(synAcks.map((s) => s.window), [8192, 8192]);
  assert.equal(rig.layer.counters().bufferBytes, 0, 'two half-open connections, no buffers');
  rig.inject({ srcPort: 40001, dstPort: 80, seq: 6, ack: seqAdd(synAcks[0]!.seq, 1), flags: ACK, payload: pattern(300) });
  assert.equal(rig.layer.counters().bufferBytes, 16384, 'one established connection: its two 8 KiB buffers');
  const conn = l.take()!;
  assert.equal(ready, 1);
  assert.deepEqual(conn.read(1000, rig.now), pattern(300));
});

test('socket limit: a connection the app ends itself (close() with unread data: a RST) frees its slot at once', () => {
  const rig = new DeviceRig({ tcpMaxSockets: 1 });
  const { conn, peer } = rig.established();
  peer.send(ACK, pattern(10));
  conn.close(rig.now);
  assert.equal(conn.state, 'CLOSED');
  assert.equal(rig.layer.counters().connections, 0);
  assert.doesNotThrow(() => rig.layer.connect(new Uint8Array([198, 51, 100, 10]), 7, rig.now));
});

test('a window too small to use (sender SWS avoidance holds the data): the override timeout sends what fits, so the data and the FIN still go', () => {
  const rig = new DeviceRig();
  const { conn, peer } = rig.established();
  peer.send(ACK, undefined, { window: 1 });
  conn.write(pattern(100), rig.now);
  conn.close(rig.now);
  assert.equal(rig.take().length, 0, 'a 1-byte window is not used at once');
  rig.advance(1000);
  const sent = rig.take();
  assert.deepEqual(sent.map((s) => s.payload.length), [1], 'after the persist interval, the byte that fits');
  peer.ackAll(1000);
  assert.equal(rig.take().reduce((n, s) => n + s.payload.length, 0), 99, 'the rest once the window opened');
  peer.ackAll(1000);
  assert.equal(conn.state, 'FIN_WAIT_2');
});

test('the path MSS grows (a rekey to another suite) above the congestion window: data still flows, in full segments', () => {
  const rig = new DeviceRig();
  rig.mss = 100;
  const { conn, peer } = rig.established();
  rig.mss = 1358;
  conn.write(pattern(3000), rig.now);
  let delivered = 0;
  for (let i = 0; i < 10 && delivered < 3000; i++) {
    delivered += rig.take().reduce((n, s) => n + s.payload.length, 0);
    peer.ackAll();
    rig.advance(200);
  }
  assert.equal(delivered, 3000, 'everything went');
  assert.ok(rig.history.some((s) => s.payload.length === 1358), 'full segments of the new MSS');
});

test('a window probe still unacknowledged when the serial line refuses the next send: a timer keeps running, and the data and FIN go once it drains', () => {
  const rig = new DeviceRig();
  const { conn, peer } = rig.established(5000, 0);
  conn.write(pattern(100), rig.now);
  conn.close(rig.now);
  rig.advance(1000);
  assert.equal(rig.take()[0]?.payload.length, 1, 'the zero-window probe');
  peer.send(ACK, undefined, { window: 1 }); // a tiny window; the probe byte not acknowledged
  rig.room = false;
  rig.advance(2000); // the persist timer fires while the line is full
  rig.room = true;
  rig.layer.pump(rig.now); // the line drained
  for (let i = 0; i < 60 && conn.state === 'FIN_WAIT_1'; i++) {
    rig.advance(5000);
    if (rig.take().length) peer.ackAll(1000);
  }
  assert.equal(conn.state, 'FIN_WAIT_2', 'everything was sent and acknowledged');
});
