/**
 * MQTT 3.1.1 packets to and from bytes. Encoders take checked values (the client validates app
 * input first); the decoder trusts nothing: every length is checked before it is read, strings
 * must be well-formed UTF-8 without U+0000 (1.5.3), and any violation is a named error.
 */
import { err, ok, type Result } from '../util/result.ts';
import { readU16 } from '../util/bytes.ts';
import { decodeUtf8 } from '../util/utf8.ts';
import {
  CONNACK, CONNECT, DISCONNECT, PINGREQ, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, SUBACK, SUBSCRIBE,
  UNSUBACK, UNSUBSCRIBE, MAX_REMAINING_LENGTH, type MqttDecodeErrorName, type QoS,
} from './constants.ts';

export interface Will {
  topic: Uint8Array;
  message: Uint8Array;
  qos: QoS;
  retain: boolean;
}

export interface ConnectPacket {
  type: typeof CONNECT;
  clientId: Uint8Array;
  clean: boolean;
  keepalive: number; // seconds
  will?: Will;
  user?: Uint8Array;
  password?: Uint8Array;
}

export interface PublishPacket {
  type: typeof PUBLISH;
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  id?: number; // QoS 1 and 2 only
}

export type IdPacket = { type: typeof PUBACK | typeof PUBREC | typeof PUBREL | typeof PUBCOMP | typeof UNSUBACK; id: number };
export type SubscribePacket = { type: typeof SUBSCRIBE; id: number; items: { topic: string; qos: QoS }[] };
export type UnsubscribePacket = { type: typeof UNSUBSCRIBE; id: number; topics: string[] };
export type SubackPacket = { type: typeof SUBACK; id: number; codes: number[] };
export type ConnackPacket = { type: typeof CONNACK; sessionPresent: boolean; returnCode: number };
export type EmptyPacket = { type: typeof PINGREQ | typeof PINGRESP | typeof DISCONNECT };

export type Packet = ConnectPacket | ConnackPacket | PublishPacket | IdPacket | SubscribePacket | SubackPacket | UnsubscribePacket | EmptyPacket;

export interface DecodeError {
  name: MqttDecodeErrorName;
  detail: string;
}

// ---- encoding ----

class Writer {
  private readonly parts: number[] = [];
  byte(b: number): this { this.parts.push(b & 0xff); return this; }
  u16(v: number): this { return this.byte(v >>> 8).byte(v); }
  bytes(b: Uint8Array): this { for (const x of b) this.parts.push(x); return this; }
  /** A length-prefixed string or binary field (1.5.3). */
  field(b: Uint8Array): this { return this.u16(b.length).bytes(b); }
  packet(first: number): Uint8Array {
    const body = this.parts;
    const head = [first & 0xff, ...remainingLength(body.length)];
    const out = new Uint8Array(head.length + body.length);
    out.set(head);
    out.set(body, head.length);
    return out;
  }
}

/** The variable-length "remaining length" encoding (2.2.3). */
export function remainingLength(n: number): number[] {
  const out: number[] = [];
  do {
    let digit = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) digit |= 0x80;
    out.push(digit);
  } while (n > 0);
  return out;
}

const PROTOCOL_NAME = Uint8Array.of(0x4d, 0x51, 0x54, 0x54); // "MQTT"

export function encodeConnect(p: Omit<ConnectPacket, 'type'>): Uint8Array {
  const flags =
    (p.user ? 0x80 : 0) | (p.password ? 0x40 : 0) | (p.will ? 0x04 | (p.will.qos << 3) | (p.will.retain ? 0x20 : 0) : 0) | (p.clean ? 0x02 : 0);
  const w = new Writer().field(PROTOCOL_NAME).byte(4).byte(flags).u16(p.keepalive).field(p.clientId);
  if (p.will) w.field(p.will.topic).field(p.will.message);
  if (p.user) w.field(p.user);
  if (p.password) w.field(p.password);
  return w.packet(CONNECT << 4);
}

export function encodePublish(p: { topic: Uint8Array; payload: Uint8Array; qos: QoS; retain: boolean; dup: boolean; id?: number }): Uint8Array {
  const w = new Writer().field(p.topic);
  if (p.qos > 0) w.u16(p.id ?? 0);
  w.bytes(p.payload);
  return w.packet((PUBLISH << 4) | (p.dup ? 8 : 0) | (p.qos << 1) | (p.retain ? 1 : 0));
}

/** PUBACK, PUBREC, PUBREL (flags 0010, 3.6.1), PUBCOMP, UNSUBACK: a packet id and nothing else. */
export function encodeIdPacket(type: IdPacket['type'], id: number): Uint8Array {
  return new Writer().u16(id).packet((type << 4) | (type === PUBREL ? 2 : 0));
}

export function encodeSubscribe(id: number, items: { topic: Uint8Array; qos: QoS }[]): Uint8Array {
  const w = new Writer().u16(id);
  for (const item of items) w.field(item.topic).byte(item.qos);
  return w.packet((SUBSCRIBE << 4) | 2);
}

export function encodeUnsubscribe(id: number, topics: Uint8Array[]): Uint8Array {
  const w = new Writer().u16(id);
  for (const topic of topics) w.field(topic);
  return w.packet((UNSUBSCRIBE << 4) | 2);
}

export function encodeEmpty(type: EmptyPacket['type']): Uint8Array {
  return Uint8Array.of(type << 4, 0);
}

/** Server-side packets, for the test brokers and the codec's round trips. */
export function encodeConnack(sessionPresent: boolean, returnCode: number): Uint8Array {
  return new Writer().byte(sessionPresent ? 1 : 0).byte(returnCode).packet(CONNACK << 4);
}

export function encodeSuback(id: number, codes: number[]): Uint8Array {
  const w = new Writer().u16(id);
  for (const c of codes) w.byte(c);
  return w.packet(SUBACK << 4);
}

// ---- decoding ----

/** Flags each fixed header must carry (2.2.2); PUBLISH's are its own. */
const REQUIRED_FLAGS: Readonly<Record<number, number>> = Object.freeze({
  [CONNECT]: 0, [CONNACK]: 0, [PUBACK]: 0, [PUBREC]: 0, [PUBREL]: 2, [PUBCOMP]: 0, [SUBSCRIBE]: 2, [SUBACK]: 0,
  [UNSUBSCRIBE]: 2, [UNSUBACK]: 0, [PINGREQ]: 0, [PINGRESP]: 0, [DISCONNECT]: 0,
});

const fail = (name: MqttDecodeErrorName, detail: string): Result<never, DecodeError> => err({ name, detail });

class Reader {
  offset = 0;
  constructor(private readonly b: Uint8Array) {}
  get left(): number { return this.b.length - this.offset; }
  u8(): number | undefined { return this.left >= 1 ? this.b[this.offset++] : undefined; }
  u16(): number | undefined {
    if (this.left < 2) return undefined;
    const v = readU16(this.b, this.offset);
    this.offset += 2;
    return v;
  }
  field(): Uint8Array | undefined {
    const n = this.u16();
    if (n === undefined || this.left < n) return undefined;
    return this.b.subarray(this.offset, (this.offset += n));
  }
  /** The rest of the body (each packet has its own body buffer, so a view is safe to keep). */
  rest(): Uint8Array { return this.b.subarray(this.offset, (this.offset = this.b.length)); }
}

function text(field: Uint8Array | undefined, what: string): Result<string, DecodeError> {
  if (!field) return fail('malformed-packet', `${what} runs past the packet`);
  const s = decodeUtf8(field);
  return s.ok ? s : fail('bad-utf8', `${what} is not well-formed UTF-8`);
}

function topicName(field: Uint8Array | undefined): Result<string, DecodeError> {
  const t = text(field, 'topic');
  if (!t.ok) return t;
  if (t.value.length === 0 || /[+#]/.test(t.value)) return fail('invalid-topic', 'empty or wildcard topic name'); // 4.7.3-1, 3.3.2-2
  return t;
}

function packetId(r: Reader, what: string): Result<number, DecodeError> {
  const id = r.u16();
  if (id === undefined) return fail('malformed-packet', `${what} without a packet id`);
  if (id === 0) return fail('malformed-packet', `${what} with packet id 0`); // 2.3.1-1
  return ok(id);
}

/** Decodes one whole packet: its first byte and its body (the remaining-length bytes already split off). */
export function decodePacket(first: number, body: Uint8Array): Result<Packet, DecodeError> {
  const type = first >> 4;
  const flags = first & 0x0f;
  if (type === 0 || type === 15) return fail('unknown-packet-type', `type ${type}`);
  if (type !== PUBLISH && REQUIRED_FLAGS[type] !== flags) return fail('bad-flags', `type ${type} flags ${flags}`);
  const r = new Reader(body);
  const done = <T extends Packet>(p: T): Result<Packet, DecodeError> => (r.left === 0 ? ok(p) : fail('malformed-packet', `${r.left} bytes after packet type ${type}`));
  switch (type) {
    case PUBLISH: {
      const qos = (flags >> 1) & 3;
      if (qos === 3) return fail('bad-flags', 'PUBLISH with QoS 3'); // 3.3.1-4
      const topic = topicName(r.field());
      if (!topic.ok) return topic;
      let id: number | undefined;
      if (qos > 0) {
        const pid = packetId(r, 'PUBLISH');
        if (!pid.ok) return pid;
        id = pid.value;
      }
      const dup = (flags & 8) !== 0;
      if (qos === 0 && dup) return fail('bad-flags', 'QoS 0 PUBLISH with DUP'); // 3.3.1-2
      return ok({ type: PUBLISH, topic: topic.value, payload: r.rest(), qos: qos as QoS, retain: (flags & 1) !== 0, dup, id });
    }
    case CONNACK: {
      const ackFlags = r.u8();
      const returnCode = r.u8();
      if (ackFlags === undefined || returnCode === undefined) return fail('malformed-packet', 'short CONNACK');
      if (ackFlags & 0xfe) return fail('malformed-packet', 'CONNACK reserved flags set');
      return done({ type: CONNACK, sessionPresent: (ackFlags & 1) === 1, returnCode });
    }
    case PUBACK: case PUBREC: case PUBREL: case PUBCOMP: case UNSUBACK: {
      const id = packetId(r, `packet type ${type}`);
      return id.ok ? done({ type, id: id.value } as IdPacket) : id;
    }
    case SUBACK: {
      const id = packetId(r, 'SUBACK');
      if (!id.ok) return id;
      if (r.left === 0) return fail('malformed-packet', 'SUBACK without return codes');
      const codes = [...r.rest()];
      if (codes.some((c) => c > 2 && c !== 0x80)) return fail('malformed-packet', 'SUBACK return code not 0, 1, 2 or 0x80');
      return ok({ type: SUBACK, id: id.value, codes });
    }
    case PINGREQ: case PINGRESP: case DISCONNECT:
      return done({ type } as EmptyPacket);
    case SUBSCRIBE: case UNSUBSCRIBE: {
      const id = packetId(r, type === SUBSCRIBE ? 'SUBSCRIBE' : 'UNSUBSCRIBE');
      if (!id.ok) return id;
      const items: { topic: string; qos: QoS }[] = [];
      while (r.left > 0) {
        const t = text(r.field(), 'topic filter');
        if (!t.ok) return t;
        if (type === UNSUBSCRIBE) { items.push({ topic: t.value, qos: 0 }); continue; }
        const q = r.u8();
        if (q === undefined || q > 2) return fail('malformed-packet', 'bad requested QoS');
        items.push({ topic: t.value, qos: q as QoS });
      }
      if (items.length === 0) return fail('malformed-packet', 'no topic filters'); // 3.8.3-3
      return type === SUBSCRIBE ? ok({ type, id: id.value, items }) : ok({ type, id: id.value, topics: items.map((i) => i.topic) });
    }
    case CONNECT:
      return decodeConnect(r);
    default:
      return fail('unknown-packet-type', `type ${type}`);
  }
}

function decodeConnect(r: Reader): Result<Packet, DecodeError> {
  const name = r.field();
  const level = r.u8();
  const flags = r.u8();
  const keepalive = r.u16();
  if (!name || level === undefined || flags === undefined || keepalive === undefined) return fail('malformed-packet', 'short CONNECT');
  if (name.length !== 4 || name.some((b, i) => b !== PROTOCOL_NAME[i]) || level !== 4) return fail('malformed-packet', 'not MQTT 3.1.1');
  if (flags & 1) return fail('bad-flags', 'CONNECT reserved flag');
  const clientId = r.field();
  if (!clientId) return fail('malformed-packet', 'CONNECT without client id');
  let will: Will | undefined;
  if (flags & 0x04) {
    const topic = r.field();
    const message = r.field();
    if (!topic || !message) return fail('malformed-packet', 'CONNECT will runs past the packet');
    will = { topic, message, qos: ((flags >> 3) & 3) as QoS, retain: (flags & 0x20) !== 0 };
  }
  const user = flags & 0x80 ? r.field() : undefined;
  const password = flags & 0x40 ? r.field() : undefined;
  if ((flags & 0x80 && !user) || (flags & 0x40 && !password) || r.left) return fail('malformed-packet', 'CONNECT fields do not match its flags');
  return ok({ type: CONNECT, clientId, clean: (flags & 2) !== 0, keepalive, will, user, password });
}

/**
 * Splits a byte stream into packets. Memory is bounded by `maxPacket`: a remaining length
 * above it (or malformed) is an error before anything is allocated for the body.
 */
export class PacketReader {
  private first = -1;
  private length = 0;
  private lengthBytes = 0;
  private multiplier = 1;
  private body: Uint8Array | undefined;
  private filled = 0;

  constructor(private readonly maxPacket: number) {}

  /**
   * Feeds bytes; calls `onPacket` per whole packet. When it returns false (the caller is closing
   * the connection) the rest is dropped. Returns the first error; the stream is then unusable.
   */
  feed(bytes: Uint8Array, onPacket: (p: Packet) => boolean): DecodeError | undefined {
    let i = 0;
    while (i < bytes.length) {
      if (this.first < 0) {
        this.first = bytes[i++]!;
        const type = this.first >> 4;
        if (type === 0 || type === 15) return { name: 'unknown-packet-type', detail: `type ${type}` };
        continue;
      }
      if (!this.body) {
        const b = bytes[i++]!;
        this.length += (b & 0x7f) * this.multiplier;
        this.multiplier *= 128;
        this.lengthBytes++;
        if (b & 0x80) {
          if (this.lengthBytes === 4) return { name: 'malformed-remaining-length', detail: 'more than 4 length bytes' };
          continue;
        }
        if (this.lengthBytes > 1 && b === 0) return { name: 'malformed-remaining-length', detail: 'non-minimal length encoding' };
        if (this.length > this.maxPacket || this.length > MAX_REMAINING_LENGTH) {
          return { name: 'packet-too-large', detail: `remaining length ${this.length} > ${this.maxPacket}` };
        }
        this.body = new Uint8Array(this.length);
        this.filled = 0;
      }
      const take = Math.min(bytes.length - i, this.body.length - this.filled);
      this.body.set(bytes.subarray(i, i + take), this.filled);
      this.filled += take;
      i += take;
      if (this.filled < this.body.length) continue;
      const decoded = decodePacket(this.first, this.body);
      this.reset();
      if (!decoded.ok) return decoded.error;
      if (!onPacket(decoded.value)) return undefined;
    }
    return undefined;
  }

  /** Whether a packet is partly read (a broken connection then lost it). */
  get midPacket(): boolean {
    return this.first >= 0;
  }

  reset(): void {
    this.first = -1;
    this.length = 0;
    this.lengthBytes = 0;
    this.multiplier = 1;
    this.body = undefined;
    this.filled = 0;
  }
}
