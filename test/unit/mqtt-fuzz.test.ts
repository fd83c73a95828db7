/** Fuzz (bounded time): random and mutated broker bytes never throw, and every packet survives a round trip. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket, encodeConnack, encodeEmpty, encodeIdPacket, encodePublish, encodeSuback, PacketReader } from '../../src/mqtt/codec.ts';
import { PINGRESP, PUBACK, UNSUBACK } from '../../src/mqtt/constants.ts';
import { MQTTClient } from '../../src/mqtt/client.ts';
import { FakeClock, FakeNetwork } from './fake-ecma419.ts';
import { FakeBroker } from './mqtt-fake-broker.ts';
import { prng } from './prng.ts';


const BUDGET_MS = 3000;

const SEEDS = [
  encodeConnack(false, 0), encodeConnack(true, 4), encodeIdPacket(PUBACK, 1), encodeIdPacket(UNSUBACK, 300),
  encodeSuback(2, [0, 1, 0x80]), encodeEmpty(PINGRESP),
  encodePublish({ topic: Uint8Array.of(0x61, 0x2f, 0x62), payload: Uint8Array.of(1, 2, 3), qos: 1, retain: false, dup: false, id: 9 }),
  encodePublish({ topic: Uint8Array.of(0x74), payload: new Uint8Array(200), qos: 0, retain: true, dup: false }),
];

test('fuzz: the packet reader never throws and never buffers beyond its maximum', () => {
  const rand = prng(0xc0ffee);
  const byte = () => Math.floor(rand() * 256);
  const until = Date.now() + BUDGET_MS;
  let runs = 0;
  let errors = 0;
  while (Date.now() < until) {
    runs++;
    const reader = new PacketReader(512);
    for (let k = 0; k < 8; k++) {
      let bytes: Uint8Array;
      if (rand() < 0.3) bytes = Uint8Array.from({ length: Math.floor(rand() * 40) }, byte);
      else {
        bytes = SEEDS[Math.floor(rand() * SEEDS.length)]!.slice();
        for (let m = Math.floor(rand() * 3); m > 0; m--) bytes[Math.floor(rand() * bytes.length)] = byte();
        if (rand() < 0.2) bytes = bytes.subarray(0, Math.floor(rand() * bytes.length));
      }
      let error;
      assert.doesNotThrow(() => (error = reader.feed(bytes, (p) => (assert.ok(p.type >= 1 && p.type <= 14), true))));
      if (error) { errors++; break; }
    }
  }
  assert.ok(runs > 1000, `${runs} runs`);
  assert.ok(errors > 0, 'some inputs were refused with a named error');
});

test('fuzz: decodePacket on random bodies of every type never throws', () => {
  const rand = prng(42);
  for (let i = 0; i < 50_000; i++) {
    const first = Math.floor(rand() * 256);
    const body = Uint8Array.from({ length: Math.floor(rand() * 24) }, () => Math.floor(rand() * 256));
    const r = decodePacket(first, body);
    if (!r.ok) assert.match(r.error.name, /^(unknown-packet-type|bad-flags|malformed-packet|bad-utf8|invalid-topic)$/);
  }
});

test('fuzz: random PUBLISH packets round-trip exactly', () => {
  const rand = prng(7);
  for (let i = 0; i < 5000; i++) {
    const topic = Uint8Array.from({ length: 1 + Math.floor(rand() * 30) }, () => 0x61 + Math.floor(rand() * 26));
    const payload = Uint8Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256));
    const qos = Math.floor(rand() * 3) as 0 | 1 | 2;
    const p = { topic, payload, qos, retain: rand() < 0.5, dup: qos > 0 && rand() < 0.5, id: qos ? 1 + Math.floor(rand() * 65535) : undefined };
    const bytes = encodePublish(p);
    const got: unknown[] = [];
    assert.equal(new PacketReader(4096).feed(bytes, (packet) => (got.push(packet), true)), undefined);
    assert.deepEqual(got, [{ type: 3, topic: new TextDecoder().decode(topic), payload, qos, retain: p.retain, dup: p.dup, id: p.id }]);
  }
});

test('fuzz: a client fed hostile broker bytes never throws and keeps reconnecting', () => {
  const rand = prng(0xbadb0b);
  const clock = new FakeClock();
  const net = new FakeNetwork(clock);
  const broker = new FakeBroker(net);
  let errors = 0;
  const client = new MQTTClient({
    host: '198.51.100.20', id: 'fuzz', socket: { io: net.TCP }, runtime: clock.runtime(), keepalive: 5000,
    limits: { maxPacket: 256, retryMinMs: 10, retryMaxMs: 50 },
    onError: () => errors++,
    onReadable(count) { this.read(count); },
  });
  const until = Date.now() + BUDGET_MS;
  let sent = 0;
  while (Date.now() < until) {
    clock.advance(20);
    const conn = broker.connections.at(-1);
    if (!conn || conn.conn.closed) continue;
    const bytes = rand() < 0.5 ? Uint8Array.from({ length: 1 + Math.floor(rand() * 30) }, () => Math.floor(rand() * 256)) : SEEDS[Math.floor(rand() * SEEDS.length)]!;
    conn.send(bytes);
    sent++;
    if (rand() < 0.3) client.write(Uint8Array.of(1, 2), { topic: 'up', QoS: rand() < 0.5 ? 1 : 0 });
  }
  clock.advance(1000);
  assert.ok(sent > 200, `${sent} hostile writes`);
  assert.ok(errors > 0 && broker.connections.length > 1, `${errors} named errors over ${broker.connections.length} connections`);
  assert.ok(client.counters.dropped <= client.counters.published + 1000);
  client.close();
});
