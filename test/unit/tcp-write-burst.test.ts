/**
 * Writes cost one segment per burst: what an app writes within a turn (Moddable's SDK clients
 * write an MQTT packet as header, topic and payload, the first ones with `{more: true}`) leaves
 * together at the end of the turn, like Moddable's lwIP socket; Nagle applies to what is left.
 * The figures (segments and link bytes both ways) are printed as diagnostics.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TcpSocket } from '../../src/net/sockets/tcp.ts';
import type { TcpConnection } from '../../src/net/tcp/connection.ts';
import { NetRig, tunnelInfo, watchAir } from './net-rig.ts';
import { pattern, PEER } from './tcp-rig.ts';

const BROKER_PORT = 1883;

/** An MQTT PUBLISH (QoS 0) written as the SDK's client writes it: three writes, the first two with `more`. */
function publishSdkStyle(socket: TcpSocket, topic: string, payload: Uint8Array): Uint8Array {
  const t = new TextEncoder().encode(topic);
  const length = 2 + t.length + payload.length;
  const header = length < 128 ? Uint8Array.of(0x30, length) : Uint8Array.of(0x30, 0x80 | (length & 0x7f), length >> 7);
  const topicField = Uint8Array.of(t.length >> 8, t.length & 0xff, ...t);
  socket.write(header, { more: true });
  socket.write(topicField, { more: true });
  socket.write(payload);
  return Uint8Array.of(...header, ...topicField, ...payload);
}

function broker(rig: NetRig): { conns: TcpConnection[]; received: () => Uint8Array } {
  const conns: TcpConnection[] = [];
  const chunks: Uint8Array[] = [];
  const l = rig.peerTcp.listen(BROKER_PORT, () => {
    for (let c = l.take(); c; c = l.take()) conns.push(c);
  });
  return {
    conns,
    received: () => {
      for (const c of conns) if (c.readable) chunks.push(c.read(c.readable, rig.now));
      return Uint8Array.from(chunks.flatMap((c) => [...c]));
    },
  };
}

test('SDK-style writes (header, topic, payload with {more: true}) from the app\'s timer and from callbacks: one segment per MQTT packet', (t) => {
  const rig = new NetRig();
  rig.up(tunnelInfo());
  const b = broker(rig);
  let open = false;
  const expected: Uint8Array[] = [];
  const socket: TcpSocket = new rig.sockets.TCP({
    address: PEER,
    port: BROKER_PORT,
    onWritable() {
      open = true;
    },
    onReadable() {
      // A command from the broker: the app answers it at once, inside the callback.
      this.read();
      expected.push(publishSdkStyle(this, 'devices/dev-1/ack', pattern(40)));
    },
  });
  rig.run(1000);
  assert.ok(open);
  const air = watchAir(rig);
  for (let i = 0; i < 10; i++) {
    // The app's own timer: each write is a call from outside the agent's turns.
    expected.push(publishSdkStyle(socket, 'devices/dev-1/telemetry', pattern(20 + i * 100, i)));
    rig.run(1000);
  }
  for (let i = 0; i < 9; i++) {
    b.conns[0]!.write(pattern(12, i), rig.now);
    rig.run(1000);
  }
  assert.equal(expected.length, 19);
  assert.deepEqual(b.received(), Uint8Array.from(expected.flatMap((p) => [...p])), 'every byte arrived in order');
  assert.deepEqual(air.dataSegments.map((s) => s.length), expected.map((p) => p.length), 'one segment per MQTT packet, each whole');
  t.diagnostic(`19 MQTT packets: ${air.dataSegments.length} data segments, ${air.up} packets up (${air.upBytes} B on the link), ${air.down} down (${air.downBytes} B)`);
  socket.close();
});

test('a burst larger than the MSS leaves in as few segments as the MSS allows; Nagle holds the next small burst while a small segment is unacknowledged', () => {
  const rig = new NetRig();
  rig.up(tunnelInfo());
  const b = broker(rig);
  const socket: TcpSocket = new rig.sockets.TCP({ address: PEER, port: BROKER_PORT });
  rig.run(1000);
  const air = watchAir(rig);
  const mss = b.conns[0]!.mss();
  // 2.5 MSS in ten writes of one turn.
  const chunk = Math.ceil((mss * 2.5) / 10);
  for (let i = 0; i < 10; i++) socket.write(pattern(chunk, i * chunk), { more: i < 9 });
  rig.run(0);
  assert.deepEqual(air.dataSegments.map((s) => s.length), [mss, mss, chunk * 10 - 2 * mss], 'three segments: two full ones and the rest');
  for (let i = 0; i < 3; i++) socket.write(pattern(10, i));
  rig.run(0);
  assert.equal(air.dataSegments.length, 3, 'Nagle: the small burst waits for the ACK of the small segment in flight');
  rig.run(1000);
  assert.deepEqual(air.dataSegments.map((s) => s.length).slice(3), [30], 'then goes as one segment');
  assert.equal(b.received().length, chunk * 10 + 30);
  socket.close();
});
