/**
 * MQTT: the codec (PacketReader + decodePacket) on packet streams as a broker and a client write
 * them, mutated in type, flags, remaining length and string lengths (and PUBLISH round trips);
 * and the MQTTClient (session + connection) against a scripted broker on the fake network whose
 * answers are mutated, withheld, duplicated or replaced by noise, with the app publishing and
 * subscribing meanwhile. No exception (nor one caught inside), bounded queues, and connected again
 * once the broker behaves.
 */
import { MQTTClient } from '../../../src/mqtt/client.ts';
import {
  encodeConnack, encodeConnect, encodeEmpty, encodeIdPacket, encodePublish, encodeSuback, encodeSubscribe, encodeUnsubscribe,
  PacketReader, type Packet,
} from '../../../src/mqtt/codec.ts';
import { CONNECT, DISCONNECT, PINGREQ, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE } from '../../../src/mqtt/constants.ts';
import { concatBytes, equalBytes, utf8 } from '../../../src/util/bytes.ts';
import { FakeClock, FakeNetwork, type ServerConnection } from '../../unit/fake-ecma419.ts';
import { hex, mutate, noise, pieces, type Field } from '../mutate.ts';
import type { Rand } from '../rand.ts';
import { fuzzTarget, violated } from '../target.ts';
import { forgetHistory, internalErrorLog } from './harness.ts';

function topic(rand: Rand): Uint8Array {
  return utf8(rand.pick(['a/b', 'sensors/1/temp', 't', 'x'.repeat(1 + rand.int(60)), 'dev/ü/€', 'a//b']));
}

/** A packet a broker (or a client) writes. */
function packet(rand: Rand): Uint8Array {
  const id = 1 + rand.int(0xffff);
  return rand.pick<() => Uint8Array>([
    () => encodeConnack(rand.chance(0.5), rand.chance(0.8) ? 0 : rand.int(7)),
    () => encodeIdPacket(rand.pick([PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK] as const), id),
    () => encodeSuback(id, Array.from({ length: 1 + rand.int(4) }, () => rand.pick([0, 1, 2, 0x80]))),
    () => encodeEmpty(rand.pick([PINGRESP, PINGREQ, DISCONNECT] as const)),
    () => encodePublish({ topic: topic(rand), payload: rand.bytes(rand.int(rand.chance(0.01) ? 5000 : 64)), qos: rand.pick([0, 1, 2] as const), retain: rand.chance(0.3), dup: false, id }),
    () => encodeConnect({ clientId: utf8('dev'), clean: rand.chance(0.5), keepalive: rand.int(0x10000), user: rand.chance(0.5) ? utf8('u') : undefined, password: rand.chance(0.5) ? utf8('p') : undefined, will: rand.chance(0.3) ? { topic: topic(rand), message: rand.bytes(4), qos: 1, retain: false } : undefined }),
    () => encodeSubscribe(id, [{ topic: topic(rand), qos: rand.pick([0, 1] as const) }]),
    () => encodeUnsubscribe(id, [topic(rand)]),
  ])();
}

/** Fields of one packet: the first byte, the remaining-length bytes, and the bytes after (ids, string lengths). */
function packetFields(b: Uint8Array): Field[] {
  const fields: Field[] = [{ at: 0, size: 1 }];
  let at = 1;
  while (at < b.length && at < 5) {
    fields.push({ at, size: 1 });
    if (!(b[at]! & 0x80)) break;
    at++;
  }
  fields.push({ at: at + 1, size: 2 }, { at: at + 3, size: 2 }, { at: at + 5, size: 1 });
  return fields;
}

interface CodecInput {
  chunks: Uint8Array[];
  maxPacket: number;
  /** Unmutated PUBLISH packets: they must come out exactly. */
  clean?: Uint8Array[];
  outcome?: string;
}

export const mqttCodec = fuzzTarget<undefined, CodecInput>({
  name: 'mqtt-codec',
  about: 'PacketReader + decodePacket on mutated packet streams of every type (remaining length, flags, string lengths), split anywhere; clean PUBLISH streams round-trip',
  episode: 1_000_000,
  setup: () => undefined,
  make(rand) {
    const maxPacket = rand.pick([64, 512, 4096]);
    if (rand.chance(0.2)) {
      const clean = Array.from({ length: 1 + rand.int(3) }, () => {
        const t = rand.chance(0.5) ? topic(rand) : utf8('t');
        const room = Math.max(0, maxPacket - t.length - 4); // what fits the reader's limit
        return encodePublish({ topic: t, payload: rand.bytes(rand.int(1 + Math.min(room, rand.chance(0.1) ? room : 64))), qos: rand.pick([0, 1] as const), retain: rand.chance(0.5), dup: false, id: 1 + rand.int(0xffff) });
      });
      return { chunks: pieces(rand, concatBytes(...clean), 5), maxPacket, clean };
    }
    if (rand.chance(0.05)) return { chunks: pieces(rand, noise(rand, 200, [0x30, 0x32, 0x20, 0x90, 0x80, 0xff]), 4), maxPacket };
    const stream = concatBytes(...Array.from({ length: 1 + rand.int(4) }, () => {
      const p = packet(rand);
      return rand.chance(0.7) ? mutate(rand, p, { fields: packetFields(p), maxEdits: 3 }) : p;
    }));
    return { chunks: pieces(rand, stream, 5), maxPacket };
  },
  feed(_s, input) {
    const reader = new PacketReader(input.maxPacket);
    const got: Packet[] = [];
    let error;
    for (const c of input.chunks) {
      error = reader.feed(c, (p) => {
        violated(p.type >= 1 && p.type <= 14, `packet type ${p.type}`);
        got.push(p);
        return true;
      });
      if (error) break;
    }
    input.outcome = error ? error.name : `${got.length} packets`;
    if (!input.clean) return;
    violated(!error && got.length === input.clean.length, `clean PUBLISH packets: ${input.outcome}`);
    got.forEach((p, i) => {
      violated(p.type === PUBLISH, 'a clean PUBLISH came out as another packet');
      const again = encodePublish({ topic: utf8(p.topic), payload: p.payload, qos: p.qos, retain: p.retain, dup: p.dup, id: p.id });
      violated(equalBytes(again, input.clean![i]!), 'a PUBLISH did not round-trip');
    });
  },
  label: (_s, i) => (i.clean ? 'clean' : i.outcome ?? ''),
  show: (i) => `max ${i.maxPacket}: ${i.chunks.map((c) => hex(c, 512)).join(' | ')}`,
});

// ---- the client ----

interface ClientState {
  clock: FakeClock;
  net: FakeNetwork;
  client: MQTTClient;
  server: ServerConnection | undefined;
  /** Packets the client sent that the broker has not answered yet. */
  heard: Packet[];
  internalErrors: string[];
  rand: Rand;
}

interface ClientInput {
  advance: number;
  bytes: Uint8Array[];
  close: boolean;
  app?: 'publish0' | 'publish1' | 'subscribe' | 'unsubscribe' | 'ping';
  from: string;
}

const BROKER = '198.51.100.20';

/** A broker's answers to what it heard; `hostile` ones are sometimes wrong, missing or extra. */
function brokerBytes(rand: Rand, s: ClientState, hostile: boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of s.heard.splice(0)) {
    if (hostile && rand.chance(0.1)) continue;
    if (p.type === CONNECT) out.push(encodeConnack(rand.chance(0.3), !hostile || rand.chance(0.85) ? 0 : rand.between(1, 6)));
    if (p.type === PUBLISH && p.qos === 1) out.push(encodeIdPacket(PUBACK, hostile && rand.chance(0.1) ? 1 + rand.int(0xffff) : p.id!));
    if (p.type === SUBSCRIBE) out.push(encodeSuback(p.id, p.items.map((i) => (hostile && rand.chance(0.2) ? 0x80 : i.qos))));
    if (p.type === UNSUBSCRIBE) out.push(encodeIdPacket(UNSUBACK, p.id));
    if (p.type === PINGREQ) out.push(encodeEmpty(PINGRESP));
  }
  if (hostile && rand.chance(0.3)) {
    out.push(rand.pick<() => Uint8Array>([
      () => encodePublish({ topic: topic(rand), payload: rand.bytes(rand.int(100)), qos: rand.pick([0, 1] as const), retain: false, dup: rand.chance(0.3), id: 1 + rand.int(8) }),
      () => packet(rand),
      () => noise(rand, 30),
    ])());
  }
  if (hostile) for (let i = 0; i < out.length; i++) if (rand.chance(0.1)) out[i] = mutate(rand, out[i]!, { fields: packetFields(out[i]!) });
  return out;
}

function clientInput(rand: Rand, s: ClientState, hostile: boolean): ClientInput {
  const advance = rand.weighted([[4, 0], [5, rand.int(3000)], [1, rand.int(60_000)]] as const);
  const app = rand.weighted([[10, undefined], [2, 'publish0'], [3, 'publish1'], [0.5, 'subscribe'], [0.3, 'unsubscribe'], [0.2, 'ping']] as const);
  const bytes = brokerBytes(rand, s, hostile);
  return { advance, bytes: bytes.flatMap((b) => pieces(rand, b, 2)), close: hostile && rand.chance(0.01), app, from: bytes.length ? `${bytes.length} broker packets` : 'quiet' };
}

function feedClient(s: ClientState, input: ClientInput): void {
  const c = s.client;
  if (input.app === 'publish0' || input.app === 'publish1') c.write(Uint8Array.of(1, 2, 3), { topic: 'up/data', QoS: input.app === 'publish1' ? 1 : 0 });
  if (input.app === 'subscribe') c.write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: 'down/#', QoS: 1 }] });
  if (input.app === 'unsubscribe') c.write(null, { operation: MQTTClient.UNSUBSCRIBE, items: [{ topic: 'down/#' }] });
  if (input.app === 'ping') c.write(null, { operation: MQTTClient.PINGREQ });
  const server = s.server;
  if (server && !server.closed) {
    for (const b of input.bytes) server.write(b);
    if (input.close) server.close();
  }
  s.clock.advance(input.advance);
}

/** The client's session (private: read for the checks). */
function session(s: ClientState): { queued: number; state: string } {
  return (s.client as unknown as { session: { queued: number; state: string } }).session;
}

export const mqttClient = fuzzTarget<ClientState, ClientInput>({
  name: 'mqtt-client',
  about: 'MQTTClient (session + connection) against a broker whose answers are mutated, withheld, duplicated or noise, while the app publishes and subscribes; no exception, bounded queues, connected again once the broker behaves',
  episode: 1_000,
  retainedLimit: 64 * 1024,
  setup(rand) {
    const clock = new FakeClock();
    const net = new FakeNetwork(clock);
    const s: ClientState = { clock, net, client: undefined as unknown as MQTTClient, server: undefined, heard: [], internalErrors: [], rand };
    net.listen(BROKER, 1883, (conn) => {
      s.server = conn;
      const reader = new PacketReader(1 << 16);
      conn.onData = (b) => {
        conn.received.length = 0; // the fake keeps everything; the broker here reads as it goes
        const e = reader.feed(b, (p) => (s.heard.push(p), true));
        violated(e === undefined, `the client sent a malformed packet (${e?.name}: ${e?.detail})`);
      };
    });
    const log = internalErrorLog('mqtt', s.internalErrors);
    s.client = new MQTTClient({
      host: BROKER, id: 'fuzz', socket: { io: net.TCP }, runtime: clock.runtime(), keepalive: rand.pick([0, 5000, 30_000]), log,
      limits: { maxPacket: rand.pick([256, 4096]), retryMinMs: 100, retryMaxMs: 5000, queueLength: 16, queueBytes: 2048, connectTimeoutMs: 10_000, pingTimeoutMs: 5000, ackTimeoutMs: 10_000 },
      onReadable(count) {
        this.read(count);
      },
    });
    return s;
  },
  make: (rand, s) => clientInput(rand, s, true),
  feed: feedClient,
  check(s) {
    violated(s.internalErrors.length === 0, `the client caught an exception of its own: ${s.internalErrors[0]?.split('\n').slice(0, 4).join(' ')}`);
    violated(session(s).queued <= 16, 'the queue is over its length');
    forgetHistory(s.net);
  },
  end(s) {
    for (let i = 0; i < 500 && !s.client.connected; i++) feedClient(s, clientInput(s.rand, s, false));
    violated(s.client.connected, 'the client did not connect again once the broker behaved');
    s.client.close();
  },
  retained: (s) => s.client,
  retainedSkip: (s) => [s.clock, s.net, ...s.net.sockets, ...(s.server ? [s.server] : [])],
  label: (s) => session(s).state,
  show: (i) => `+${i.advance} ms${i.app ? `, app ${i.app}` : ''}${i.close ? ', broker closes' : ''}: ${i.bytes.map((b) => hex(b, 256)).join(' | ')}`,
});
