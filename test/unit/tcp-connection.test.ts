/**
 * The TCP state machine (RFC 9293 3.3.2's diagram) against a scripted peer: every state and
 * event the device can meet, the RFC 5961 checks, retransmission, windows and closing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACK, FIN, PSH, RST, SYN } from '../../src/net/tcp/segment.ts';
import { seqAdd } from '../../src/net/tcp/seq.ts';
import { DeviceRig, Peer, pattern, rawSegment, record } from './tcp-rig.ts';

const SYN_ACK = SYN | ACK;

test('active open: SYN with the path MSS, SYN-ACK, ESTABLISHED with an ACK; the handshake gives an RTT sample', () => {
  const rig = new DeviceRig();
  const { conn, events } = rig.connect();
  assert.equal(conn.state, 'SYN_SENT');
  const [syn] = rig.take();
  assert.equal(syn!.flags, SYN);
  assert.equal(syn!.mss, 1398, 'MSS option from the tunnel path');
  assert.ok(syn!.srcPort >= 49152, 'ephemeral port');
  assert.equal(syn!.window, 8192);
  rig.now += 300;
  rig.inject({ srcPort: 7, dstPort: syn!.srcPort, seq: 9000, ack: seqAdd(syn!.seq, 1), flags: SYN_ACK, window: 4000, mss: 1200 });
  assert.equal(conn.state, 'ESTABLISHED');
  assert.equal(events.established, 1);
  const [ack] = rig.take();
  assert.deepEqual([ack!.flags, ack!.seq, ack!.ack], [ACK, seqAdd(syn!.seq, 1), 9001]);
  assert.equal(conn.mss(), 1200, 'the peer MSS bounds what we send');
  assert.equal(conn.writable, 8192);
});

test('SYN_SENT: a RST acknowledging the SYN is "refused"; a RST without ACK and a bad ACK are not taken', () => {
  const rig = new DeviceRig();
  const { conn, events } = rig.connect();
  const syn = rig.take()[0]!;
  rig.inject({ srcPort: 7, dstPort: syn.srcPort, seq: 0, flags: RST });
  assert.equal(conn.state, 'SYN_SENT', 'RST without ACK: dropped');
  rig.inject({ srcPort: 7, dstPort: syn.srcPort, seq: 1, ack: seqAdd(syn.seq, 5), flags: ACK });
  const rst = rig.take()[0]!;
  assert.deepEqual([rst.flags, rst.seq], [RST, seqAdd(syn.seq, 5)], 'a bad ACK is answered with a RST');
  assert.equal(conn.state, 'SYN_SENT');
  rig.inject({ srcPort: 7, dstPort: syn.srcPort, seq: 0, ack: seqAdd(syn.seq, 1), flags: RST | ACK });
  assert.equal(conn.state, 'CLOSED');
  assert.equal(events.closed[0]?.code, 'refused');
  assert.equal(rig.layer.counters().connections, 0, 'the closed connection left the table');
});

test('SYN_SENT: unanswered SYNs back off 1, 2, 4 ... s and end in "timeout" after tcpSynRetries', () => {
  const rig = new DeviceRig({ tcpSynRetries: 3 });
  const { conn, events } = rig.connect();
  const times: number[] = [rig.now];
  rig.take();
  for (let i = 0; i < 3; i++) {
    rig.advance(rig.layer.deadline()! - rig.now);
    times.push(rig.now);
    assert.equal(rig.take()[0]?.flags, SYN, 'the SYN again');
  }
  assert.deepEqual(times.slice(1).map((t, i) => t - times[i]!), [1000, 2000, 4000]);
  rig.advance(8000);
  assert.equal(conn.state, 'CLOSED');
  assert.equal(events.closed[0]?.code, 'timeout');
});

test('simultaneous open: SYN_SENT + SYN → SYN_RECEIVED (SYN-ACK) → ACK → ESTABLISHED', () => {
  const rig = new DeviceRig();
  const { conn, events } = rig.connect();
  const syn = rig.take()[0]!;
  rig.inject({ srcPort: 7, dstPort: syn.srcPort, seq: 700, flags: SYN, mss: 1000 });
  assert.equal(conn.state, 'SYN_RECEIVED');
  const synAck = rig.take()[0]!;
  assert.deepEqual([synAck.flags, synAck.seq, synAck.ack], [SYN_ACK, syn.seq, 701]);
  rig.inject({ srcPort: 7, dstPort: syn.srcPort, seq: 701, ack: seqAdd(syn.seq, 1), flags: ACK });
  assert.equal(conn.state, 'ESTABLISHED');
  assert.equal(events.established, 1);
});

test('passive open: LISTEN + SYN → SYN_RECEIVED → ACK → ESTABLISHED, ready for the app; a repeated SYN gets the SYN-ACK again', () => {
  const rig = new DeviceRig();
  let ready = 0;
  const l = rig.layer.listen(8080, () => void ready++);
  rig.inject({ srcPort: 40000, dstPort: 8080, seq: 100, flags: SYN, mss: 1400 });
  const synAck = rig.take()[0]!;
  assert.deepEqual([synAck.flags, synAck.ack, synAck.mss, synAck.srcPort], [SYN_ACK, 101, 1398, 8080]);
  rig.inject({ srcPort: 40000, dstPort: 8080, seq: 100, flags: SYN, mss: 1400 });
  const again = rig.take()[0]!;
  assert.deepEqual([again.flags, again.seq], [SYN_ACK, synAck.seq], 'the same SYN-ACK');
  assert.equal(l.ready, 0);
  rig.inject({ srcPort: 40000, dstPort: 8080, seq: 101, ack: seqAdd(synAck.seq, 1), flags: ACK, payload: pattern(10) });
  assert.equal(ready, 1);
  const conn = l.take()!;
  assert.equal(conn.state, 'ESTABLISHED');
  assert.deepEqual(conn.read(100, rig.now), pattern(10), 'data with the handshake ACK is kept for the app');
  rig.advance(200);
  assert.equal(rig.take().at(-1)!.ack, 111, 'and ACKed');
});

test('LISTEN: an ACK gets a RST, a RST is ignored, a full backlog drops SYNs; RST in SYN_RECEIVED frees the slot', () => {
  const rig = new DeviceRig({ tcpMaxPending: 1 });
  const l = rig.layer.listen(80, () => {});
  rig.inject({ srcPort: 40001, dstPort: 80, seq: 5, ack: 77, flags: ACK });
  assert.deepEqual([rig.last().flags, rig.last().seq], [RST, 77]);
  rig.take();
  rig.inject({ srcPort: 40001, dstPort: 80, seq: 5, flags: RST });
  assert.equal(rig.sent.length, 0);
  rig.inject({ srcPort: 40002, dstPort: 80, seq: 5, flags: SYN });
  rig.inject({ srcPort: 40003, dstPort: 80, seq: 9, flags: SYN });
  assert.equal(rig.take().length, 1, 'one SYN-ACK: the second SYN found the backlog full');
  assert.equal(rig.drops()['tcp listener backlog full'], 1);
  rig.inject({ srcPort: 40002, dstPort: 80, seq: 6, flags: RST });
  assert.equal(rig.layer.counters().connections, 0, 'RST in SYN_RECEIVED: gone');
  rig.inject({ srcPort: 40003, dstPort: 80, seq: 9, flags: SYN });
  assert.equal(rig.take()[0]?.flags, SYN_ACK, 'room again');
  assert.equal(l.ready, 0);
});

test('SYN_RECEIVED: an ACK that does not acknowledge our SYN gets a RST', () => {
  const rig = new DeviceRig();
  rig.layer.listen(80, () => {});
  rig.inject({ srcPort: 40000, dstPort: 80, seq: 100, flags: SYN });
  const synAck = rig.take()[0]!;
  rig.inject({ srcPort: 40000, dstPort: 80, seq: 101, ack: seqAdd(synAck.seq, 9), flags: ACK });
  assert.deepEqual([rig.last().flags, rig.last().seq], [RST, seqAdd(synAck.seq, 9)]);
});

test('ESTABLISHED: data both ways; a lone segment is ACKed after 200 ms, every second one at once', () => {
  const rig = new DeviceRig();
  const { conn, events, peer } = rig.established();
  peer.send(ACK | PSH, pattern(100));
  assert.equal(events.readable, 1);
  assert.equal(rig.sent.length, 0, 'delayed');
  rig.advance(199);
  assert.equal(rig.sent.length, 0);
  rig.advance(1);
  assert.equal(rig.take()[0]!.ack, peer.seq, 'ACK after 200 ms');
  peer.send(ACK, pattern(1000, 100));
  peer.send(ACK, pattern(1000, 1100));
  assert.equal(rig.take()[0]!.ack, peer.seq, 'the second segment is ACKed at once');
  assert.deepEqual(conn.read(5000, rig.now), pattern(2100));
  assert.equal(rig.take()[0]?.window, 8192, 'a window update after the read');
  assert.equal(conn.write(pattern(3000), rig.now), 3000);
  rig.advance(0); // two segments per turn: the rest in the next turn
  const out = rig.take();
  assert.deepEqual(out.map((s) => s.payload.length), [1398, 1398, 204], 'full segments, then the rest (no short one in flight)');
  assert.equal(out[2]!.flags & PSH, PSH);
});

test('active close: FIN_WAIT_1 → ACK → FIN_WAIT_2 → FIN → TIME_WAIT → 2 MSL → CLOSED', () => {
  const rig = new DeviceRig({ tcpTimeWait: 5 });
  const { conn, events, peer } = rig.established();
  conn.shutdown(rig.now);
  assert.equal(conn.state, 'FIN_WAIT_1');
  assert.equal(rig.last().flags, FIN | ACK);
  peer.ackAll();
  assert.equal(conn.state, 'FIN_WAIT_2');
  peer.send(FIN | ACK);
  assert.equal(conn.state, 'TIME_WAIT');
  assert.equal(rig.last().ack, peer.seq, 'the FIN is ACKed');
  assert.equal(events.peerFinished, 1);
  assert.deepEqual(events.closed, [undefined], 'an orderly end, reported at once');
  rig.advance(4999);
  assert.equal(conn.state, 'TIME_WAIT');
  rig.advance(1);
  assert.equal(conn.state, 'CLOSED');
  assert.equal(rig.layer.counters().connections, 0);
});

test('TIME_WAIT: a retransmitted FIN is ACKed again and restarts the timer', () => {
  const rig = new DeviceRig({ tcpTimeWait: 5 });
  const { conn, peer } = rig.established();
  conn.shutdown(rig.now);
  peer.ackAll();
  peer.send(FIN | ACK);
  rig.take();
  rig.advance(4000);
  peer.seq = seqAdd(peer.seq, -1);
  peer.send(FIN | ACK);
  assert.equal(rig.take()[0]?.ack, peer.seq, 'ACKed again');
  rig.advance(4000);
  assert.equal(conn.state, 'TIME_WAIT', 'the timer restarted');
  rig.advance(1000);
  assert.equal(conn.state, 'CLOSED');
});

test('simultaneous close: FIN_WAIT_1 + FIN → CLOSING → ACK → TIME_WAIT; FIN+ACK of our FIN goes straight to TIME_WAIT', () => {
  const rig = new DeviceRig();
  const a = rig.established();
  a.conn.shutdown(rig.now);
  a.peer.send(FIN | ACK);
  assert.equal(a.conn.state, 'CLOSING');
  a.peer.ackAll();
  assert.equal(a.conn.state, 'TIME_WAIT');

  const rig2 = new DeviceRig();
  const b = rig2.established();
  b.conn.shutdown(rig2.now);
  b.peer.ack = seqAdd(b.peer.ack, 1);
  b.peer.send(FIN | ACK);
  assert.equal(b.conn.state, 'TIME_WAIT');
});

test('passive close and half-close: FIN → CLOSE_WAIT, the app still sends, then LAST_ACK → ACK → CLOSED', () => {
  const rig = new DeviceRig();
  const { conn, events, peer } = rig.established();
  peer.send(ACK, pattern(10));
  peer.send(FIN | ACK);
  assert.equal(conn.state, 'CLOSE_WAIT');
  assert.equal(events.peerFinished, 1);
  assert.equal(conn.writable, 8192, 'half-close: the device may still send');
  conn.write(pattern(500), rig.now);
  assert.equal(rig.last().payload.length, 500);
  conn.shutdown(rig.now);
  assert.equal(conn.state, 'LAST_ACK');
  assert.equal(rig.last().flags & FIN, FIN);
  peer.ackAll();
  assert.equal(conn.state, 'CLOSED');
  assert.deepEqual(events.closed, [undefined]);
  assert.deepEqual(conn.read(100, rig.now), pattern(10), 'unread data stays readable after an orderly end');
});

test('close() with unread data resets the connection (RFC 1122 4.2.2.13); data after close() too', () => {
  const rig = new DeviceRig();
  const a = rig.established();
  a.peer.send(ACK, pattern(10));
  a.conn.close(rig.now);
  assert.equal(rig.last().flags, RST);
  assert.equal(a.conn.state, 'CLOSED');
  rig.take();

  const b = rig.established(8000);
  b.conn.close(rig.now);
  assert.equal(b.conn.state, 'FIN_WAIT_1');
  b.peer.send(ACK, pattern(10));
  assert.equal(rig.last().flags, RST);
  assert.equal(b.conn.state, 'CLOSED');
});

test('FIN_WAIT_2 is bounded after a full close: 60 s without the peer\'s FIN ends it', () => {
  const rig = new DeviceRig();
  const { conn, peer } = rig.established();
  conn.close(rig.now);
  peer.ackAll();
  assert.equal(conn.state, 'FIN_WAIT_2');
  rig.advance(60_000);
  assert.equal(conn.state, 'CLOSED');
});

test('RFC 5961: an exact RST resets, a RST in the window gets a challenge ACK, one outside is dropped silently', () => {
  const rig = new DeviceRig();
  const { conn, events, peer } = rig.established();
  peer.send(RST, undefined, { seq: seqAdd(peer.seq, 100) });
  const challenge = rig.take();
  assert.deepEqual(challenge.map((s) => [s.flags, s.ack]), [[ACK, peer.seq]], 'challenge ACK');
  peer.send(RST, undefined, { seq: seqAdd(peer.seq, 100000) });
  assert.equal(rig.take().length, 0, 'out of window: no answer');
  assert.equal(conn.state, 'ESTABLISHED');
  assert.equal(rig.layer.counters().challengeAcks, 1);
  assert.equal(rig.drops()['tcp rst out of window'], 1);
  peer.send(RST);
  assert.equal(conn.state, 'CLOSED');
  assert.equal(events.closed[0]?.code, 'reset');
});

test('RFC 5961: a SYN in a synchronized state gets a challenge ACK and changes nothing', () => {
  const rig = new DeviceRig();
  const { conn, peer } = rig.established();
  const expected = peer.seq;
  peer.send(SYN, undefined, { seq: seqAdd(peer.seq, 10) });
  assert.deepEqual(rig.take().map((s) => [s.flags, s.ack]), [[ACK, expected]]);
  peer.send(SYN, undefined, { seq: 12345 });
  assert.equal(conn.state, 'ESTABLISHED');
  assert.ok(rig.layer.counters().challengeAcks >= 1);
});

test('RFC 5961: ACKs of data never sent, and too old, are dropped and answered; answers are rate limited', () => {
  const rig = new DeviceRig();
  const { conn, peer } = rig.established();
  conn.write(pattern(100), rig.now);
  rig.take();
  peer.send(ACK, pattern(5), { ack: seqAdd(peer.ack, 5000) });
  assert.equal(conn.readable, 0, 'the data of that segment was not taken');
  assert.equal(rig.drops()['tcp ack of unsent data'], 1);
  peer.send(ACK, undefined, { ack: seqAdd(peer.ack, -200000) });
  assert.equal(rig.drops()['tcp ack too old'], 1);
  for (let i = 0; i < 50; i++) peer.send(ACK, undefined, { seq: seqAdd(peer.seq, 1_000_000) });
  assert.ok(rig.take().length <= 12, 'at most a burst of answers');
  assert.ok(rig.drops()['tcp answer rate limited']! >= 30);
});

test('retransmission: RTO 1 s, doubled each time (Karn: no sample), maxRetries ends in "timeout"', () => {
  const rig = new DeviceRig({ tcpMaxRetries: 3 });
  const { conn, events } = rig.established();
  conn.write(pattern(100), rig.now);
  const first = rig.take()[0]!;
  const at: number[] = [];
  for (let i = 0; i < 3; i++) {
    rig.advance(rig.layer.deadline()! - rig.now);
    const again = rig.take()[0]!;
    assert.equal(again.seq, first.seq);
    assert.deepEqual(again.payload, first.payload);
    at.push(rig.now);
  }
  // The handshake's sample (0 ms here) puts RTO at its 1 s floor.
  assert.deepEqual([at[1]! - at[0]!, at[2]! - at[1]!], [2000, 4000]);
  rig.advance(8000);
  assert.equal(conn.state, 'CLOSED');
  assert.equal(events.closed[0]?.code, 'timeout');
  assert.equal(rig.layer.counters().retransmits, 3);
});

test('RTT samples set the RTO (RFC 6298): a 3 s path gets an RTO above 3 s', () => {
  const rig = new DeviceRig();
  const { conn, peer } = rig.established();
  for (let i = 0; i < 4; i++) {
    conn.write(pattern(10), rig.now);
    rig.now += 3000;
    peer.ackAll();
    rig.take();
  }
  conn.write(pattern(10), rig.now);
  const sentAt = rig.now;
  rig.take();
  const at = rig.layer.deadline()!;
  assert.ok(at - sentAt > 3000 && at - sentAt <= 60_000, `RTO ${at - sentAt} ms`);
});

test('fast retransmit: three duplicate ACKs resend the first unacknowledged segment before the RTO; the first two let new data out (limited transmit)', () => {
  const rig = new DeviceRig();
  const { conn, peer } = rig.established();
  conn.write(pattern(1398 * 6), rig.now);
  rig.advance(0);
  const out = rig.take();
  assert.equal(out.length, 3, 'the initial window: 3 segments');
  // The peer got the 2nd and 3rd segments but not the 1st.
  peer.send(ACK);
  rig.advance(0);
  const limited = rig.take();
  assert.deepEqual(limited.map((s) => s.seq), [seqAdd(out[2]!.seq, 1398)], 'limited transmit: one new segment');
  peer.send(ACK);
  peer.send(ACK);
  const re = rig.take();
  assert.ok(re.some((s) => s.seq === out[0]!.seq), 'the lost segment, at once');
  assert.equal(rig.layer.counters().fastRetransmits, 1);
});

test('early retransmit: with two segments out and nothing more to send, one duplicate ACK is enough', () => {
  const rig = new DeviceRig();
  const { conn, peer } = rig.established();
  conn.write(pattern(1398 * 2), rig.now);
  const out = rig.take();
  assert.equal(out.length, 2);
  peer.send(ACK);
  assert.equal(rig.take()[0]?.seq, out[0]!.seq);
  assert.equal(rig.layer.counters().fastRetransmits, 1);
});

test('zero window: data waits, window probes go out (with backoff), and flow resumes when the window opens', () => {
  const rig = new DeviceRig();
  const { conn, peer } = rig.established(5000, 0);
  conn.write(pattern(100), rig.now);
  assert.equal(rig.take().length, 0, 'nothing fits a zero window');
  rig.advance(1000);
  const probe = rig.take()[0]!;
  assert.equal(probe.payload.length, 1, 'a one-byte probe');
  peer.send(ACK, undefined, { window: 0 });
  rig.advance(1999);
  assert.equal(rig.take().length, 0);
  rig.advance(1);
  assert.equal(rig.take()[0]?.payload.length, 1, 'the next probe after 2 s');
  peer.send(ACK, undefined, { window: 4000 });
  const rest = rig.take();
  assert.equal(rest.reduce((n, s) => n + s.payload.length, 0), 100, 'everything once the window opened');
  assert.equal(conn.state, 'ESTABLISHED');
  assert.ok(rig.layer.counters().zeroWindowProbes >= 2);
});

test('receive window: the advertised window shrinks as data waits and a window update follows the read', () => {
  const rig = new DeviceRig({ tcpReceiveBuffer: 4096 });
  const { conn, peer } = rig.established();
  peer.send(ACK, pattern(2000));
  peer.send(ACK, pattern(2096, 2000));
  const ack = rig.take().at(-1)!;
  assert.equal(ack.window, 0, 'full');
  peer.send(ACK, pattern(10, 4096));
  assert.equal(conn.readable, 4096, 'beyond the window: not taken');
  conn.read(3000, rig.now);
  const update = rig.take().at(-1)!;
  assert.equal(update.window, 3000, 'window update after the read');
});

test('out of order: segments after a hole are kept and ACKed at once; the hole fills and everything is delivered', () => {
  const rig = new DeviceRig();
  const { conn, peer } = rig.established();
  const start = peer.seq;
  peer.seq = seqAdd(start, 1000);
  peer.send(ACK, pattern(1000, 1000));
  peer.send(ACK, pattern(1000, 2000));
  const dups = rig.take();
  assert.deepEqual(dups.map((s) => s.ack), [start, start], 'duplicate ACKs for the hole');
  assert.equal(conn.readable, 0);
  peer.seq = start;
  peer.send(ACK, pattern(1000));
  assert.equal(rig.take()[0]!.ack, seqAdd(start, 3000), 'one cumulative ACK');
  assert.deepEqual(conn.read(5000, rig.now), pattern(3000));
});

test('out of order: at most tcpOutOfOrder ranges are kept', () => {
  const rig = new DeviceRig({ tcpOutOfOrder: 2 });
  const { conn, peer } = rig.established();
  const start = peer.seq;
  const at = (offset: number, length: number) => {
    peer.seq = seqAdd(start, offset);
    peer.send(ACK, pattern(length, offset));
  };
  at(100, 50);
  at(300, 50);
  at(500, 50);
  assert.equal(rig.drops()['tcp out-of-order ranges full'], 1, 'the third range was not kept');
  at(0, 100);
  assert.equal(conn.readable, 150, 'the first hole filled: [100, 150) joins');
  at(150, 150);
  assert.equal(conn.readable, 350);
  at(350, 150);
  assert.equal(conn.readable, 500, '[500, 550) was dropped: the peer resends it');
  at(500, 100);
  assert.deepEqual(conn.read(1000, rig.now), pattern(600));
});

test('Nagle: while data is in flight small writes wait and coalesce; nodelay sends each at once', () => {
  const rig = new DeviceRig();
  const { conn, peer } = rig.established();
  conn.write(pattern(10), rig.now);
  assert.equal(rig.take().length, 1, 'nothing in flight: sent');
  conn.write(pattern(10), rig.now);
  conn.write(pattern(10), rig.now);
  assert.equal(rig.take().length, 0, 'waits for the ACK');
  peer.ackAll();
  assert.deepEqual(rig.take().map((s) => s.payload.length), [20], 'coalesced');

  const rig2 = new DeviceRig();
  const b = rig2.established();
  b.conn.nodelay = true;
  b.conn.write(pattern(10), rig2.now);
  b.conn.write(pattern(10), rig2.now);
  assert.deepEqual(rig2.take().map((s) => s.payload.length), [10, 10]);
});

test('bounded send buffer: write() takes what fits, writable tells the rest, ACKs make room and signal writable', () => {
  const rig = new DeviceRig({ tcpSendBuffer: 2048 });
  const { conn, events, peer } = rig.established(5000, 1000);
  assert.equal(conn.write(pattern(5000), rig.now), 2048);
  assert.equal(conn.writable, 0);
  peer.ackAll();
  assert.ok(conn.writable >= 1000);
  assert.ok(events.writable >= 1);
});

test('path MSS: segments never exceed it, and a smaller path (a rekey to another suite) shrinks later segments', () => {
  const rig = new DeviceRig();
  const { conn, peer } = rig.established();
  conn.write(pattern(3000), rig.now);
  assert.ok(rig.take().every((s) => s.payload.length <= 1398));
  peer.ackAll();
  rig.mss = 1382;
  conn.write(pattern(3000), rig.now);
  assert.ok(rig.take().every((s) => s.payload.length <= 1382));
});

test('the serial line full: nothing is sent until it drains, then pump() sends', () => {
  const rig = new DeviceRig();
  const { conn } = rig.established();
  rig.room = false;
  conn.write(pattern(1000), rig.now);
  assert.equal(rig.take().length, 0);
  rig.room = true;
  rig.layer.beginTurn();
  rig.layer.pump(rig.now);
  assert.equal(rig.take()[0]?.payload.length, 1000);
});

test('a segment for no connection gets a RST (ACK-less: <SEQ=0><ACK=SEG.SEQ+SEG.LEN>); a RST gets nothing', () => {
  const rig = new DeviceRig();
  rig.inject({ srcPort: 9, dstPort: 1234, seq: 500, flags: SYN });
  assert.deepEqual([rig.last().flags, rig.last().seq, rig.last().ack], [RST | ACK, 0, 501]);
  rig.take();
  rig.inject({ srcPort: 9, dstPort: 1234, seq: 500, flags: RST });
  assert.equal(rig.sent.length, 0);
  assert.equal(rig.drops()['tcp no connection'], 2);
});

test('bad segments are dropped and counted: checksum, data offset, options, flags, zero port', () => {
  const rig = new DeviceRig();
  const { conn, peer } = rig.established();
  peer.send(ACK, pattern(10), {});
  const okReadable = conn.readable;
  rig.inject({ srcPort: 7, dstPort: peer.devicePort, seq: peer.seq, ack: peer.ack, flags: ACK, payload: pattern(10) }, { corrupt: true });
  const raw = (mutate: (b: Uint8Array) => void) => {
    const b = new Uint8Array(28);
    b.set([0, 7, peer.devicePort >> 8, peer.devicePort & 0xff]);
    b[12] = 7 << 4;
    b[13] = ACK;
    mutate(b);
    return rawSegment(b);
  };
  rig.inject({ flags: 0 }, { raw: raw((b) => (b[12] = 2 << 4)) });
  rig.inject({ flags: 0 }, { raw: raw((b) => (b[12] = 15 << 4)) });
  rig.inject({ flags: 0 }, { raw: raw((b) => b.set([2, 9, 0, 0], 20)) });
  rig.inject({ flags: 0 }, { raw: raw((b) => b.set([1, 1, 8, 1], 20)) });
  rig.inject({ flags: 0 }, { raw: raw((b) => b.set([2, 3, 5, 0], 20)) });
  rig.inject({ flags: SYN | FIN, srcPort: 7, dstPort: peer.devicePort });
  rig.inject({ flags: 0, srcPort: 7, dstPort: peer.devicePort });
  rig.inject({ flags: ACK, srcPort: 0, dstPort: peer.devicePort });
  const drops = rig.drops();
  assert.equal(drops['tcp bad checksum'], 1);
  assert.equal(drops['tcp bad data offset'], 2);
  assert.equal(drops['tcp malformed options'], 3, 'an MSS of length 9, an option of length 1, an MSS of length 3');
  assert.equal(drops['tcp impossible flags'], 2);
  assert.equal(drops['tcp port zero'], 1);
  assert.equal(conn.readable, okReadable);
  assert.equal(conn.state, 'ESTABLISHED');
});

test('socket limit: connect beyond tcpMaxSockets throws "no-sockets"; a TIME_WAIT connection gives way', () => {
  const rig = new DeviceRig({ tcpMaxSockets: 2 });
  const a = rig.established(100);
  rig.established(200);
  assert.throws(() => rig.layer.connect(new Uint8Array([198, 51, 100, 10]), 7, rig.now), /no-sockets|TCP sockets/);
  a.conn.shutdown(rig.now);
  a.peer.ackAll();
  a.peer.send(FIN | ACK);
  assert.equal(a.conn.state, 'TIME_WAIT');
  assert.doesNotThrow(() => rig.layer.connect(new Uint8Array([198, 51, 100, 10]), 7, rig.now));
});

test('no address (tunnel down): connect throws "tunnel-down"; sends while down are counted, and the connection resumes after', () => {
  const rig = new DeviceRig();
  const { conn, peer } = rig.established();
  rig.address = undefined;
  conn.write(pattern(100), rig.now);
  assert.equal(rig.take().length, 0);
  assert.equal(rig.drops()['tcp send while the tunnel is down'], 1);
  assert.throws(() => rig.layer.connect(new Uint8Array([198, 51, 100, 10]), 7, rig.now), (e: Error & { code?: string }) => e.code === 'tunnel-down');
  rig.address = new Uint8Array([192, 0, 2, 7]);
  rig.advance(1000);
  assert.equal(rig.take()[0]?.payload.length, 100, 'the retransmission goes out');
  peer.ackAll();
  assert.equal(conn.state, 'ESTABLISHED');
});

test('ISNs differ per connection and per key, and advance with time (RFC 6528)', () => {
  const a = new DeviceRig({}, 1);
  const b = new DeviceRig({}, 2);
  a.connect();
  a.connect();
  b.connect();
  const [s1, s2] = a.take();
  const [s3] = b.take();
  assert.notEqual(s1!.seq, s2!.seq);
  assert.notEqual(s1!.seq, s3!.seq);
  const conns = new Set([s1!.srcPort, s2!.srcPort]);
  assert.equal(conns.size, 2, 'different ephemeral ports');
});

test('connection events: a passive connection records no events before the app takes it', () => {
  const rig = new DeviceRig();
  const l = rig.layer.listen(99, () => {});
  rig.inject({ srcPort: 40000, dstPort: 99, seq: 1, flags: SYN });
  const synAck = rig.take()[0]!;
  rig.inject({ srcPort: 40000, dstPort: 99, seq: 2, ack: seqAdd(synAck.seq, 1), flags: ACK });
  const conn = l.take()!;
  const events = record(conn);
  const peer = new Peer(rig, 99, 2, seqAdd(synAck.seq, 1), 40000);
  peer.send(ACK, pattern(5));
  assert.equal(events.readable, 1);
});
