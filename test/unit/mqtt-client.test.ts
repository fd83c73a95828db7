/** The ECMA-419 MQTT client over fake sockets and a scripted broker: what an app sees. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MQTTClient, type MqttClientOptions, type ReadableInfo } from '../../src/mqtt/client.ts';
import type { ControlMessage, MqttError, MqttEvent } from '../../src/mqtt/session.ts';
import { CONNECT, DISCONNECT, PINGREQ, PUBLISH, PUBACK, SUBSCRIBE, UNSUBSCRIBE } from '../../src/mqtt/constants.ts';
import { utf8 } from '../../src/util/bytes.ts';
import { FakeClock, FakeNetwork } from './fake-ecma419.ts';
import { FakeBroker } from './mqtt-fake-broker.ts';

const text = (b: ArrayBuffer | Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : '');

function rig(options: Partial<MqttClientOptions> = {}) {
  const clock = new FakeClock();
  const net = new FakeNetwork(clock);
  net.names.set('broker.lab.example', '198.51.100.20');
  const broker = new FakeBroker(net);
  const seen = {
    messages: [] as { topic: string; payload: string; info: ReadableInfo }[],
    controls: [] as ControlMessage[],
    errors: [] as MqttError[],
    events: [] as MqttEvent[],
    writable: [] as number[],
    closed: 0,
  };
  const client = new MQTTClient({
    host: 'broker.lab.example',
    id: 'dev-1',
    socket: { io: net.TCP },
    dns: { io: net.Resolver, servers: ['198.51.100.53'] },
    runtime: clock.runtime(),
    onReadable(count, info) {
      seen.messages.push({ topic: info.topic, payload: text(this.read(count)), info });
    },
    onControl: (m) => seen.controls.push(m),
    onError: (e) => seen.errors.push(e),
    onWritable: (n) => seen.writable.push(n),
    onClose: () => seen.closed++,
    onEvent: (e) => seen.events.push(e),
    ...options,
  });
  const connected = () => clock.until(() => client.connected);
  return { clock, net, broker, client, seen, connected };
}

test('connect: CONNECT carries id, clean, keepalive in seconds, will, user and password; CONNACK → onControl and onWritable', () => {
  const { broker, seen, connected, net } = rig({
    clean: false, keepalive: 60_000, user: 'device', password: 's3cret',
    will: { topic: 'dev/1/status', message: 'offline', QoS: 1, retain: true },
  });
  assert.ok(connected());
  assert.deepEqual(net.lookups, ['broker.lab.example'], 'the broker name went through the DNS class given');
  const [c] = broker.sent(CONNECT);
  assert.ok(c);
  assert.equal(text(c.clientId), 'dev-1');
  assert.equal(c.clean, false);
  assert.equal(c.keepalive, 60);
  assert.equal(text(c.user), 'device');
  assert.equal(text(c.password), 's3cret');
  assert.deepEqual({ topic: text(c.will!.topic), message: text(c.will!.message), qos: c.will!.qos, retain: c.will!.retain }, { topic: 'dev/1/status', message: 'offline', qos: 1, retain: true });
  assert.equal(seen.controls[0]?.operation, MQTTClient.CONNACK);
  assert.ok(seen.writable.length > 0 && seen.writable[0]! > 0, 'onWritable after CONNACK');
  assert.deepEqual(seen.errors, []);
});

test('CONNACK refusals are named errors, retried with capped backoff (bounded attempts)', () => {
  const names: Record<number, string> = { 1: 'unacceptable-protocol-version', 2: 'identifier-rejected', 3: 'server-unavailable', 4: 'bad-user-name-or-password', 5: 'not-authorized', 9: 'connack-refused' };
  for (const [code, name] of Object.entries(names)) {
    const { broker, seen, clock } = rig({ limits: { retryMinMs: 1000, retryMaxMs: 8000 } });
    broker.connack = Number(code);
    clock.advance(60_000);
    assert.ok(seen.errors.length > 0);
    assert.ok(seen.errors.every((e) => e.name === name), `code ${code} → ${name}`);
    // 1 + 2 + 4 + 8 + 8 ... seconds apart: about 9 attempts in 60 s, never a tight loop.
    const attempts = broker.sent(CONNECT).length;
    assert.ok(attempts >= 5 && attempts <= 10, `${attempts} attempts in 60 s`);
    const waits = seen.events.filter((e): e is Extract<MqttEvent, { type: 'mqtt-retry' }> => e.type === 'mqtt-retry').map((e) => e.inMs);
    const base = [1000, 2000, 4000, 8000, 8000];
    assert.ok(waits.slice(0, 5).every((w, i) => w >= 0.8 * base[i]! && w <= 1.2 * base[i]!), `capped exponential backoff, ±20 % jitter: ${waits.slice(0, 5)}`);
  }
});

test('QoS 0 and QoS 1 publish: packet ids, PUBACK reported through onControl, retain flag', () => {
  const { broker, client, seen, connected, clock } = rig();
  assert.ok(connected());
  client.write(utf8('t=21.5'), { topic: 'dev/1/telemetry' });
  client.write(utf8('boot'), { topic: 'dev/1/status', QoS: 1, retain: true });
  client.write(utf8('second'), { topic: 'dev/1/status', QoS: 1 });
  clock.settle();
  const pubs = broker.sent(PUBLISH);
  assert.deepEqual(pubs.map((p) => [p.topic, text(p.payload), p.qos, p.retain, p.dup]), [
    ['dev/1/telemetry', 't=21.5', 0, false, false],
    ['dev/1/status', 'boot', 1, true, false],
    ['dev/1/status', 'second', 1, false, false],
  ]);
  assert.equal(pubs[0]!.id, undefined);
  assert.ok(pubs[1]!.id! > 0 && pubs[2]!.id! > 0 && pubs[1]!.id !== pubs[2]!.id, 'distinct non-zero ids');
  assert.deepEqual(seen.controls.filter((c) => c.operation === PUBACK).map((c) => c.id), [pubs[1]!.id, pubs[2]!.id]);
  assert.equal(client.counters.acknowledged, 2);
});

test('no PUBACK within the ack timeout: reconnect and send again with DUP and the same id', () => {
  const { broker, client, seen, connected, clock } = rig({ clean: false, limits: { ackTimeoutMs: 5000, retryMinMs: 3000 } });
  assert.ok(connected());
  broker.puback = false;
  client.write(utf8('m1'), { topic: 't', QoS: 1 });
  clock.advance(6000);
  assert.equal(seen.errors[0]?.name, 'ack-timeout');
  broker.puback = true;
  broker.sessionPresent = true;
  assert.ok(clock.until(() => client.counters.acknowledged === 1));
  const [first, again] = broker.sent(PUBLISH);
  assert.equal(first!.dup, false);
  assert.equal(again!.dup, true);
  assert.equal(again!.id, first!.id);
  assert.equal(broker.connections.length, 2);
});

test('connection lost with QoS 1 in flight: resent with DUP in order after reconnect; QoS 0 offline is dropped and counted', () => {
  const { broker, client, seen, connected, clock, net } = rig({ clean: false });
  assert.ok(connected());
  broker.puback = false;
  for (let i = 0; i < 5; i++) client.write(utf8(`m${i}`), { topic: 't', QoS: 1 });
  clock.settle();
  net.breakAll();
  clock.settle();
  assert.equal(seen.errors.at(-1)?.name, 'connection-lost');
  client.write(utf8('lost'), { topic: 't' }); // QoS 0 while offline
  assert.equal(client.counters.dropped, 1);
  assert.ok(seen.events.some((e) => e.type === 'mqtt-dropped' && e.reason === 'offline'));
  broker.puback = true;
  broker.sessionPresent = true;
  assert.ok(clock.until(() => client.counters.acknowledged === 5));
  const second = broker.connections[1]!.packets.filter((p) => p.type === PUBLISH);
  assert.deepEqual(second.map((p) => p.type === PUBLISH && [text(p.payload), p.dup]), [0, 1, 2, 3, 4].map((i) => [`m${i}`, true]));
  const connectedEvent = seen.events.filter((e) => e.type === 'mqtt-connected').at(-1);
  assert.deepEqual(connectedEvent, { type: 'mqtt-connected', sessionPresent: true, resent: 5 });
});

test('the QoS 1 queue is bounded: offline, the oldest messages are dropped, each drop counted and reported', () => {
  const { broker, client, seen, clock } = rig({ clean: false, limits: { queueLength: 4 } });
  broker.connack = 'silent'; // never connected
  for (let i = 0; i < 10; i++) client.write(utf8(`m${i}`), { topic: 't', QoS: 1 });
  assert.equal(client.counters.dropped, 6);
  const drops = seen.events.filter((e): e is Extract<MqttEvent, { type: 'mqtt-dropped' }> => e.type === 'mqtt-dropped');
  assert.deepEqual(drops.map((d) => [d.reason, d.total]), [1, 2, 3, 4, 5, 6].map((n) => ['queue-full', n]));
  broker.connack = 0;
  assert.ok(clock.until(() => client.counters.acknowledged === 4, 120_000));
  assert.deepEqual(broker.published.map((p) => text(p.payload)), ['m6', 'm7', 'm8', 'm9'], 'the newest four survive, in order');
});

test('the queue is bounded by bytes too', () => {
  const { broker, client, clock } = rig({ limits: { queueBytes: 1000 } });
  broker.connack = 'silent';
  for (let i = 0; i < 5; i++) client.write(new Uint8Array(300), { topic: 't', QoS: 1 });
  assert.equal(client.counters.dropped, 2, 'three 301-byte messages fit in 1000 bytes');
  assert.throws(() => client.write(new Uint8Array(1000), { topic: 't', QoS: 1 }), RangeError, 'one message larger than the queue');
  clock.settle();
});

test('subscribe/unsubscribe as Moddable does it: write(null, {operation, items}); SUBACK codes; refused filters reported', () => {
  const { broker, client, seen, connected, clock } = rig();
  assert.ok(connected());
  broker.refuse.add('forbidden/#');
  client.write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: 'cmd/dev-1/#', QoS: 1 }, { topic: 'forbidden/#' }, { topic: 'all/+', QoS: 2 }] });
  clock.settle();
  const [sub] = broker.sent(SUBSCRIBE);
  assert.deepEqual(sub!.items, [{ topic: 'cmd/dev-1/#', qos: 1 }, { topic: 'forbidden/#', qos: 0 }, { topic: 'all/+', qos: 1 }], 'QoS 2 asked for becomes 1');
  assert.deepEqual(seen.controls.find((c) => c.operation === MQTTClient.SUBACK), { operation: MQTTClient.SUBACK, id: sub!.id, payload: [1, 0x80, 1] });
  assert.ok(seen.events.some((e) => e.type === 'mqtt-subscribe-refused' && e.topic === 'forbidden/#'));
  client.write(null, { operation: MQTTClient.UNSUBSCRIBE, items: [{ topic: 'all/+' }] });
  clock.settle();
  assert.deepEqual(broker.sent(UNSUBSCRIBE).map((u) => u.topics), [['all/+']]);
  assert.ok(seen.controls.some((c) => c.operation === MQTTClient.UNSUBACK));
  assert.throws(() => client.write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: 'a/#/b' }] }), RangeError);
});

test('messages from the broker: onReadable(count, {topic, QoS, retain}), read(); QoS 1 acknowledged after delivery', () => {
  const { broker, seen, connected, clock } = rig();
  assert.ok(connected());
  broker.last.publish('cmd/dev-1/led', 'on', { qos: 1, id: 42 });
  broker.last.publish('cfg/dev-1', 'interval=5', { retain: true });
  clock.settle();
  assert.deepEqual(seen.messages.map((m) => [m.topic, m.payload, m.info.QoS, m.info.retain, m.info.byteLength]), [
    ['cmd/dev-1/led', 'on', 1, false, 2],
    ['cfg/dev-1', 'interval=5', 0, true, 10],
  ]);
  assert.deepEqual(broker.sent(PUBACK).map((p) => p.id), [42]);
});

test('the broker resends a delivered QoS 1 message with DUP (its PUBACK was lost): acknowledged, not delivered twice', () => {
  const { broker, client, seen, connected, clock, net } = rig({ clean: false });
  assert.ok(connected());
  broker.last.publish('cmd', 'once', { qos: 1, id: 5 });
  clock.settle();
  net.breakAll();
  broker.sessionPresent = true;
  assert.ok(clock.until(() => broker.connections.length === 2 && client.connected));
  broker.last.publish('cmd', 'once', { qos: 1, id: 5, dup: true });
  broker.last.publish('cmd', 'new', { qos: 1, id: 6, dup: true }); // a DUP the device never saw: delivered
  clock.settle();
  assert.deepEqual(seen.messages.map((m) => m.payload), ['once', 'new']);
  assert.equal(client.counters.duplicates, 1);
  assert.deepEqual(broker.connections[1]!.packets.filter((p) => p.type === PUBACK).map((p) => p.type === PUBACK && p.id), [5, 6]);
});

test('re-subscribes after a reconnect when the broker kept no session', () => {
  const { broker, client, connected, clock, net } = rig({ clean: true });
  assert.ok(connected());
  client.write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: 'cmd/#', QoS: 1 }] });
  clock.settle();
  net.breakAll();
  assert.ok(clock.until(() => broker.connections.length === 2 && broker.sent(SUBSCRIBE).length === 2));
  assert.deepEqual(broker.sent(SUBSCRIBE)[1]!.items, [{ topic: 'cmd/#', qos: 1 }]);
});

test('keepalive: PINGREQ after an idle keepalive; no PINGRESP → ping-timeout and reconnect', () => {
  const { broker, client, seen, connected, clock } = rig({ keepalive: 30_000, limits: { pingTimeoutMs: 10_000 } });
  assert.ok(connected());
  clock.advance(29_000);
  assert.equal(broker.sent(PINGREQ).length, 0);
  clock.advance(1_500);
  assert.equal(broker.sent(PINGREQ).length, 1);
  assert.ok(seen.controls.some((c) => c.operation === MQTTClient.PINGRESP));
  // Traffic resets the idle time: publishing every 20 s needs no ping at all.
  for (let i = 0; i < 5; i++) { client.write(utf8('x'), { topic: 't' }); clock.advance(20_000); }
  assert.equal(broker.sent(PINGREQ).length, 1);
  broker.pingresp = false;
  clock.until(() => seen.errors.length > 0, 60_000, 500);
  assert.equal(seen.errors[0]?.name, 'ping-timeout');
  assert.ok(clock.until(() => client.connected && broker.connections.length === 2));
});

test('DNS failure is a named error and retried', () => {
  const { seen, clock, net, client } = rig();
  net.names.delete('broker.lab.example');
  clock.advance(5000);
  assert.equal(seen.errors[0]?.name, 'dns-failed');
  net.names.set('broker.lab.example', '198.51.100.20');
  assert.ok(clock.until(() => client.connected));
});

test('close(): DISCONNECT (the broker drops the will), onClose, no reconnect', () => {
  const { broker, client, seen, connected, clock } = rig({ keepalive: 10_000 });
  assert.ok(connected());
  client.close();
  clock.advance(600_000);
  assert.equal(broker.last.packets.at(-1)?.type, DISCONNECT);
  assert.equal(broker.connections.length, 1);
  assert.equal(seen.closed, 1);
  assert.throws(() => client.write(utf8('x'), { topic: 't' }));
});

test('app mistakes throw as ECMA-419 classes do: wildcard topic, QoS 2, bad UTF-8, fragmented publish', () => {
  const { client } = rig();
  assert.throws(() => client.write(utf8('x'), { topic: 'a/+' }), RangeError);
  assert.throws(() => client.write(utf8('x'), { topic: 't', QoS: 2 }), RangeError);
  assert.throws(() => client.write(utf8('x'), { topic: 'a\uD800' }), RangeError);
  assert.throws(() => client.write(utf8('x'), { topic: 't', byteLength: 10 }), RangeError);
  assert.throws(() => client.write(utf8('x'), { topic: '' }), RangeError);
  assert.throws(() => new MQTTClient({ host: '', socket: { io: new FakeNetwork(new FakeClock()).TCP }, runtime: new FakeClock().runtime() }), TypeError);
});

test('hostile broker: oversized, malformed, bad UTF-8, unknown type, packet before CONNACK → named error, connection closed, reconnect', () => {
  const cases: [string, number[], boolean][] = [
    ['packet-too-large', [0x30, 0xff, 0xff, 0xff, 0x7f], true],
    ['malformed-remaining-length', [0x30, 0xff, 0xff, 0xff, 0xff, 0x01], true],
    ['bad-utf8', [0x30, 4, 0, 2, 0xc0, 0xaf], true],
    ['unknown-packet-type', [0xf0, 0], true],
    ['protocol-error', [0x40, 2, 0, 1], false], // PUBACK before CONNACK
    ['protocol-error', [0x62, 2, 0, 1], true], // PUBREL: QoS 2 never asked for
  ];
  for (const [name, bytes, afterConnack] of cases) {
    const { broker, client, seen, clock, net } = rig({ limits: { maxPacket: 1024 } });
    if (!afterConnack) broker.connack = 'silent';
    clock.until(() => broker.connections.length === 1 && (!afterConnack || client.connected), 10_000);
    broker.last.send(bytes);
    clock.settle();
    assert.equal(seen.errors[0]?.name, name, `bytes ${bytes.map((b) => b.toString(16)).join(' ')}`);
    assert.equal(broker.connections[0]!.conn.closed, true, 'the client closed that connection');
    assert.equal(net.openSockets().length, 0);
    broker.connack = 0;
    assert.ok(clock.until(() => client.connected && broker.connections.length === 2), 'and came back');
  }
});

test('a packet split across many reads is reassembled; a message larger than maxPacket never allocates its length', () => {
  const { broker, seen, connected, clock } = rig({ limits: { maxPacket: 64 } });
  assert.ok(connected());
  const big = [0x30, 0x80, 0x80, 0x80, 0x01]; // 2 MiB announced
  const before = process.memoryUsage().arrayBuffers;
  broker.last.send(big);
  clock.settle();
  assert.equal(seen.errors[0]?.name, 'packet-too-large');
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20, 'no 2 MiB buffer');
  const r2 = rig();
  assert.ok(r2.connected());
  const pkt = [0x30, 9, 0, 3, 0x61, 0x2f, 0x62, 0x68, 0x65, 0x79, 0x21];
  for (const b of pkt) { r2.broker.last.send([b]); r2.clock.settle(); }
  assert.deepEqual(r2.seen.messages.map((m) => [m.topic, m.payload]), [['a/b', 'hey!']]);
});

test('an app callback that throws does not break the session', () => {
  const { broker, client, connected, clock } = rig({ onReadable() { throw new Error('app bug'); } });
  assert.ok(connected());
  broker.last.publish('t', 'x', { qos: 1, id: 3 });
  clock.settle();
  assert.ok(client.connected);
  assert.deepEqual(broker.sent(PUBACK).map((p) => p.id), [3]);
});

test('a broker that stops reading while it keeps sending QoS 1: the outbox stays bounded, the session fails (outbox-full) and reconnects after a backoff', () => {
  const { broker, client, seen, connected, clock, net } = rig({ keepalive: 0, limits: { queueBytes: 1024 } });
  net.sendBuffer = 1024;
  assert.ok(connected());
  const first = broker.last;
  first.conn.stalled = true;
  for (let i = 0; i < 5000 && !seen.errors.length; i++) {
    first.publish('cmd', 'x', { qos: 1, id: (i % 65535) + 1 });
    clock.settle();
  }
  assert.equal(seen.errors[0]?.name, 'outbox-full');
  assert.equal(first.conn.closed, true, 'the stuck connection was closed');
  // 256 PUBACKs fill the socket's 1,024 B, then at most 1,024 + 512 B wait in the outbox.
  assert.ok(client.counters.received <= 256 + (1024 + 512) / 4 + 1, `${client.counters.received} messages taken before it failed`);
  const retry = seen.events.find((e): e is Extract<MqttEvent, { type: 'mqtt-retry' }> => e.type === 'mqtt-retry');
  assert.ok(retry && retry.inMs >= 800, 'the next connection waits for the backoff');
  assert.ok(clock.until(() => client.connected && broker.connections.length === 2));
});

test('keepalive notices a stuck connection although the broker keeps sending: queued bytes are not sent, and only PINGRESP answers a ping', () => {
  for (const qos of [0, 1] as const) {
    const { broker, seen, connected, clock, net } = rig({ keepalive: 30_000, limits: { pingTimeoutMs: 10_000 } });
    net.sendBuffer = 64; // the socket's buffer fills after 16 PUBACKs; the rest waits in the client
    assert.ok(connected());
    broker.last.conn.stalled = true; // its receive window closed: nothing of ours leaves
    for (let i = 0; i < 60 && !seen.errors.length; i++) {
      broker.last.publish('cmd', 'x', { qos, id: qos ? i + 1 : undefined });
      clock.advance(1000);
    }
    assert.equal(seen.errors[0]?.name, 'ping-timeout', `QoS ${qos} traffic from the broker`);
    // QoS 0: nothing left since 0 s; QoS 1: the last PUBACK the socket took at 16 s. Then keepalive + ping timeout.
    assert.ok(clock.now <= (qos ? 16_000 : 0) + 41_000, `noticed at ${clock.now} ms`);
  }
});

test('a broker that accepts then drops: the backoff keeps growing; a connection that stayed up starts it afresh', () => {
  const { client, seen, clock, net } = rig({ keepalive: 0, limits: { retryMinMs: 1000, retryMaxMs: 300_000, stableMs: 60_000 } });
  let connects = 0;
  while (clock.now < 3_600_000) {
    clock.advance(500);
    if (client.connected) { connects++; net.breakAll(); }
  }
  assert.ok(connects <= 20, `${connects} connections in an hour (a reset on every CONNACK: ~3,000)`);
  // Now the broker keeps the connection for two minutes: the next wait is the shortest again.
  assert.ok(clock.until(() => client.connected, 400_000));
  clock.advance(120_000);
  net.breakAll();
  clock.settle();
  const waits = seen.events.filter((e): e is Extract<MqttEvent, { type: 'mqtt-retry' }> => e.type === 'mqtt-retry');
  assert.ok(waits.at(-1)!.inMs <= 1200, `after a stable connection: ${waits.at(-1)!.inMs} ms`);
});
