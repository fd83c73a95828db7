/** MQTT 3.1.1 codec: every packet type both ways, the length encoding, and hostile bytes → named errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodePacket, encodeConnack, encodeConnect, encodeEmpty, encodeIdPacket, encodePublish, encodeSuback, encodeSubscribe,
  encodeUnsubscribe, PacketReader, remainingLength, type Packet,
} from '../../src/mqtt/codec.ts';
import * as K from '../../src/mqtt/constants.ts';
import { utf8 } from '../../src/util/bytes.ts';
import { decodeUtf8 } from '../../src/util/utf8.ts';

function decodeAll(bytes: Uint8Array, max = 4096): { packets: Packet[]; error?: string } {
  const packets: Packet[] = [];
  const error = new PacketReader(max).feed(bytes, (p) => (packets.push(p), true));
  return { packets, error: error?.name };
}

test('remaining length: the boundaries of OASIS table 2.4', () => {
  const cases: [number, number[]][] = [
    [0, [0x00]], [127, [0x7f]], [128, [0x80, 0x01]], [16383, [0xff, 0x7f]], [16384, [0x80, 0x80, 0x01]],
    [2097151, [0xff, 0xff, 0x7f]], [2097152, [0x80, 0x80, 0x80, 0x01]], [268435455, [0xff, 0xff, 0xff, 0x7f]],
  ];
  for (const [n, bytes] of cases) assert.deepEqual(remainingLength(n), bytes, `length ${n}`);
});

test('every packet type survives encode → decode, fed whole and byte by byte', () => {
  const will = { topic: utf8('dev/1/status'), message: utf8('gone'), qos: 1 as const, retain: true };
  const packets: [Uint8Array, Packet][] = [
    [encodeConnect({ clientId: utf8('dev-1'), clean: false, keepalive: 60, will, user: utf8('device'), password: utf8('s3cret') }),
      { type: K.CONNECT, clientId: utf8('dev-1'), clean: false, keepalive: 60, will, user: utf8('device'), password: utf8('s3cret') }],
    [encodeConnack(true, 0), { type: K.CONNACK, sessionPresent: true, returnCode: 0 }],
    [encodePublish({ topic: utf8('a/b'), payload: utf8('hello'), qos: 1, retain: true, dup: true, id: 7 }),
      { type: K.PUBLISH, topic: 'a/b', payload: utf8('hello'), qos: 1, retain: true, dup: true, id: 7 }],
    [encodePublish({ topic: utf8('télémétrie/😀'), payload: new Uint8Array(300), qos: 0, retain: false, dup: false }),
      { type: K.PUBLISH, topic: 'télémétrie/😀', payload: new Uint8Array(300), qos: 0, retain: false, dup: false, id: undefined }],
    [encodeIdPacket(K.PUBACK, 7), { type: K.PUBACK, id: 7 }],
    [encodeIdPacket(K.PUBREC, 8), { type: K.PUBREC, id: 8 }],
    [encodeIdPacket(K.PUBREL, 9), { type: K.PUBREL, id: 9 }],
    [encodeIdPacket(K.PUBCOMP, 10), { type: K.PUBCOMP, id: 10 }],
    [encodeSubscribe(11, [{ topic: utf8('cmd/#'), qos: 1 }, { topic: utf8('+/x'), qos: 0 }]),
      { type: K.SUBSCRIBE, id: 11, items: [{ topic: 'cmd/#', qos: 1 }, { topic: '+/x', qos: 0 }] }],
    [encodeSuback(11, [1, 0x80]), { type: K.SUBACK, id: 11, codes: [1, 0x80] }],
    [encodeUnsubscribe(12, [utf8('cmd/#')]), { type: K.UNSUBSCRIBE, id: 12, topics: ['cmd/#'] }],
    [encodeIdPacket(K.UNSUBACK, 12), { type: K.UNSUBACK, id: 12 }],
    [encodeEmpty(K.PINGREQ), { type: K.PINGREQ }],
    [encodeEmpty(K.PINGRESP), { type: K.PINGRESP }],
    [encodeEmpty(K.DISCONNECT), { type: K.DISCONNECT }],
  ];
  for (const [bytes, expected] of packets) {
    assert.deepEqual(decodeAll(bytes), { packets: [expected], error: undefined }, `type ${expected.type}`);
    const reader = new PacketReader(4096);
    const got: Packet[] = [];
    for (const b of bytes) assert.equal(reader.feed(Uint8Array.of(b), (p) => (got.push(p), true)), undefined);
    assert.deepEqual(got, [expected], `type ${expected.type} byte by byte`);
  }
  // All of them in one stream.
  const stream = new Uint8Array(packets.reduce((n, [b]) => n + b.length, 0));
  let o = 0;
  for (const [b] of packets) { stream.set(b, o); o += b.length; }
  assert.equal(decodeAll(stream).packets.length, packets.length);
});

test('fixed header bytes match the specification (flags of PUBREL, SUBSCRIBE, UNSUBSCRIBE; PINGREQ)', () => {
  assert.deepEqual([...encodeIdPacket(K.PUBREL, 1)], [0x62, 2, 0, 1]);
  assert.equal(encodeSubscribe(1, [{ topic: utf8('t'), qos: 0 }])[0], 0x82);
  assert.equal(encodeUnsubscribe(1, [utf8('t')])[0], 0xa2);
  assert.deepEqual([...encodeEmpty(K.PINGREQ)], [0xc0, 0]);
  const connect = encodeConnect({ clientId: utf8('c'), clean: true, keepalive: 30 });
  assert.deepEqual([...connect.subarray(2, 12)], [0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 30], 'protocol name, level 4, clean flag, keepalive');
});

test('malformed remaining lengths: five length bytes, non-minimal encoding → named errors', () => {
  assert.equal(decodeAll(Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0xff, 0x7f)).error, 'malformed-remaining-length');
  assert.equal(decodeAll(Uint8Array.of(0x30, 0x80, 0x00)).error, 'malformed-remaining-length');
});

test('a remaining length beyond the configured maximum is refused before any body is buffered', () => {
  assert.equal(decodeAll(Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0x7f), 4096).error, 'packet-too-large');
  assert.equal(decodeAll(Uint8Array.of(0x30, 0x81, 0x20), 4096).error, 'packet-too-large', '4097 > 4096');
  assert.equal(decodeAll(Uint8Array.of(0x30, 0x80, 0x20), 4096).error, undefined, 'exactly 4096 waits for its body');
});

test('unknown packet types (0 and 15) and wrong fixed-header flags are named errors', () => {
  assert.equal(decodeAll(Uint8Array.of(0x00, 0)).error, 'unknown-packet-type');
  assert.equal(decodeAll(Uint8Array.of(0xf0, 0)).error, 'unknown-packet-type');
  assert.equal(decodeAll(Uint8Array.of(0x60, 2, 0, 1)).error, 'bad-flags', 'PUBREL needs flags 0010');
  assert.equal(decodeAll(Uint8Array.of(0x91, 3, 0, 1, 0)).error, 'bad-flags', 'SUBACK with flags');
  assert.equal(decodeAll(Uint8Array.of(0x36, 5, 0, 1, 0x61, 0, 1)).error, 'bad-flags', 'PUBLISH QoS 3');
  assert.equal(decodeAll(Uint8Array.of(0x38, 3, 0, 1, 0x61)).error, 'bad-flags', 'QoS 0 with DUP');
});

test('bad UTF-8 in a topic: overlong, surrogate, U+0000, truncated, stray continuation → bad-utf8', () => {
  const publishWithTopic = (topic: number[]) => Uint8Array.of(0x30, 2 + topic.length, 0, topic.length, ...topic);
  for (const topic of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x61, 0x00], [0xe2, 0x82], [0x80], [0xf5, 0x80, 0x80, 0x80], [0xf0, 0x82, 0x82, 0xac]]) {
    assert.equal(decodeAll(publishWithTopic(topic)).error, 'bad-utf8', `topic bytes ${topic.map((b) => b.toString(16)).join(' ')}`);
  }
  assert.equal(decodeAll(publishWithTopic([0x61, 0x2f, 0x2b])).error, 'invalid-topic', 'wildcard in a topic name');
  assert.equal(decodeAll(Uint8Array.of(0x30, 2, 0, 0)).error, 'invalid-topic', 'empty topic name');
  assert.deepEqual(decodeUtf8(Uint8Array.of(0xf0, 0x9f, 0x98, 0x80)), { ok: true, value: '😀' });
});

test('lengths inside a packet that run past it, packet id 0, trailing bytes → malformed-packet', () => {
  assert.equal(decodeAll(Uint8Array.of(0x30, 3, 0, 9, 0x61)).error, 'malformed-packet', 'topic length past the packet');
  assert.equal(decodeAll(Uint8Array.of(0x32, 3, 0, 1, 0x61)).error, 'malformed-packet', 'QoS 1 without an id');
  assert.equal(decodeAll(Uint8Array.of(0x40, 2, 0, 0)).error, 'malformed-packet', 'PUBACK id 0');
  assert.equal(decodeAll(Uint8Array.of(0x20, 3, 0, 0, 0)).error, 'malformed-packet', 'CONNACK of 3 bytes');
  assert.equal(decodeAll(Uint8Array.of(0x20, 2, 2, 0)).error, 'malformed-packet', 'CONNACK reserved flag');
  assert.equal(decodeAll(Uint8Array.of(0x90, 3, 0, 1, 7)).error, 'malformed-packet', 'SUBACK code 7');
  assert.equal(decodeAll(Uint8Array.of(0xd0, 1, 0)).error, 'malformed-packet', 'PINGRESP with a body');
  assert.equal(decodeAll(Uint8Array.of(0x82, 2, 0, 1)).error, 'malformed-packet', 'SUBSCRIBE without filters');
});

test('decodePacket checks the type before anything else', () => {
  assert.deepEqual(decodePacket(0xf0, new Uint8Array(0)), { ok: false, error: { name: 'unknown-packet-type', detail: 'type 15' } });
});
