/**
 * The MQTT 3.1.1 client session, sans-IO: fed transport events and broker bytes with `now`,
 * it names its next deadline and speaks through ports. The driver (client.ts) owns the socket,
 * the DNS lookup and the timer.
 *
 *   waiting ──deadline──► opening ──transportUp──► connecting ──CONNACK 0──► connected
 *      ▲                     │ (DNS + TCP)            │ (CONNECT sent)          │
 *      └──── backoff ◄───────┴── failure, timeout, refused CONNACK, bad packet ◄┘
 *
 * QoS 1 messages wait in a bounded queue (drop-oldest, every drop counted and reported) until
 * the broker's PUBACK; a broken connection sends them again with DUP on the next one.
 *
 * What the driver has not handed to the socket yet is bounded too, for every packet type: PUBLISH
 * waits for room, and a control packet (PUBACK, SUBSCRIBE, PINGREQ ...) that finds none means the
 * broker stopped taking bytes: the connection fails ('outbox-full') and the backoff brings the next.
 */
import { Backoff, cappedBackoff } from '../util/backoff.ts';
import { DropCounter, type Logger } from '../util/log.ts';
import { printable } from '../util/text.ts';
import { due, earliest } from '../util/time.ts';
import type { Random } from '../platform.ts';
import {
  encodeConnect, encodeEmpty, encodeIdPacket, encodePublish, encodeSubscribe, encodeUnsubscribe, PacketReader,
  type Packet, type PublishPacket, type Will,
} from './codec.ts';
import {
  CONNACK, CONNACK_ERRORS, DISCONNECT, PINGREQ, PINGRESP, PUBACK, PUBLISH, SUBACK, SUBSCRIBE, UNSUBACK, UNSUBSCRIBE,
  type MqttErrorName, type QoS,
} from './constants.ts';

export interface MqttLimits {
  /** Largest packet accepted from the broker (remaining length, bytes). */
  maxPacket: number;
  /** Outgoing messages kept (QoS 1 until acknowledged), by count and by bytes. */
  queueLength: number;
  queueBytes: number;
  /** QoS 1 messages sent and not yet acknowledged at once. */
  inflight: number;
  /** Subscriptions remembered for re-subscribing. */
  subscriptions: number;
  /** Packet ids of recent QoS 1 deliveries kept to recognise the broker's DUP resends. */
  recentIds: number;
  connectTimeoutMs: number;
  pingTimeoutMs: number;
  ackTimeoutMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** A connection that stayed up this long starts the reconnect backoff afresh when it ends. */
  stableMs: number;
}

export const DEFAULT_LIMITS: Readonly<MqttLimits> = Object.freeze({
  maxPacket: 4096,
  queueLength: 64,
  queueBytes: 16384,
  inflight: 8,
  subscriptions: 16,
  recentIds: 32,
  connectTimeoutMs: 30_000,
  pingTimeoutMs: 20_000,
  ackTimeoutMs: 30_000,
  retryMinMs: 1000,
  retryMaxMs: 300_000,
  stableMs: 60_000,
});

/** Control packets (PUBACK, SUBSCRIBE, PINGREQ ...) may go beyond the publish budget by this much. */
export const CONTROL_SLACK = 512;

export interface MqttSessionConfig {
  clientId: Uint8Array;
  clean: boolean;
  keepaliveMs: number;
  user?: Uint8Array;
  password?: Uint8Array;
  will?: Will;
  limits: MqttLimits;
}

export interface MqttError {
  name: MqttErrorName;
  message: string;
}

export interface InboundMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
}

/** What onControl receives, as Moddable's client reports it. */
export interface ControlMessage {
  operation: number;
  id?: number;
  payload?: number[];
  sessionPresent?: boolean;
}

export type MqttEvent =
  | { type: 'mqtt-connected'; sessionPresent: boolean; resent: number }
  | { type: 'mqtt-disconnected'; error: MqttErrorName }
  | { type: 'mqtt-retry'; inMs: number; attempt: number }
  | { type: 'mqtt-dropped'; reason: 'queue-full' | 'offline' | 'disconnected'; topic: string; qos: QoS; total: number }
  | { type: 'mqtt-duplicate'; id: number }
  | { type: 'mqtt-subscribe-refused'; topic: string };

export interface MqttSessionPorts {
  /** Resolve and connect; the driver answers with transportUp or transportDown. */
  open(now: number): void;
  /** Close the transport (no transportDown follows). */
  shut(now: number): void;
  send(bytes: Uint8Array, now: number): void;
  /** Bytes handed to send() that the socket has not taken yet. */
  pending(): number;
  deliver(message: InboundMessage, now: number): void;
  control(message: ControlMessage, now: number): void;
  error(error: MqttError, now: number): void;
  event(event: MqttEvent, now: number): void;
}

export interface MqttDeps {
  log: Logger;
  random?: Random;
}

interface Outgoing {
  topic: string;
  topicBytes: Uint8Array;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  id: number; // 0 for QoS 0
  sentAt: number | undefined; // set while in flight on this connection
  dup: boolean;
}

interface Subscription {
  topicBytes: Uint8Array;
  qos: QoS;
  synced: boolean; // the broker has it (SUBACK seen on a session it still holds)
}

type Phase = 'waiting' | 'opening' | 'connecting' | 'connected' | 'closed';

export interface MqttCounters {
  connects: number;
  failures: number;
  published: number;
  acknowledged: number;
  resent: number;
  received: number;
  duplicates: number;
  dropped: number;
  pings: number;
}

export class MqttSession {
  private phase: Phase = 'waiting';
  private readonly reader: PacketReader;
  private readonly backoff: Backoff;
  private readonly drops: DropCounter;
  private readonly queue: Outgoing[] = [];
  private queueBytes = 0;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly unsubscribes = new Map<string, Uint8Array>(); // made while offline, for a session the broker kept
  private readonly pendingAcks = new Map<number, { type: number; topics: string[] }>(); // SUBSCRIBE/UNSUBSCRIBE ids
  private readonly recentIds: number[] = [];
  private readonly retiredIds = new Set<number>(); // dropped while in flight: not reused on this connection
  private nextId = 1;
  private retryAt: number | undefined;
  private openedAt = 0;
  private connectedAt = 0;
  private lastSentAt = 0; // when the socket last took bytes (queued ones have not left)
  private unsent = 0; // pending() after our last look: less now means bytes left
  private pingSentAt: number | undefined;
  readonly counters: MqttCounters = { connects: 0, failures: 0, published: 0, acknowledged: 0, resent: 0, received: 0, duplicates: 0, dropped: 0, pings: 0 };

  constructor(
    private readonly config: MqttSessionConfig,
    private readonly deps: MqttDeps,
    private readonly ports: MqttSessionPorts,
  ) {
    const l = config.limits;
    this.reader = new PacketReader(l.maxPacket);
    this.backoff = new Backoff(cappedBackoff(l.retryMinMs, l.retryMaxMs), deps.random);
    this.drops = new DropCounter(deps.log);
  }

  get state(): Phase {
    return this.phase;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** First connection attempt: now. */
  start(now: number): void {
    this.retryAt = now;
    this.phase = 'waiting';
    this.onTimer(now);
  }

  /** The app closed the client: DISCONNECT (so the broker drops the will), then nothing more. */
  close(now: number): void {
    if (this.phase === 'closed') return;
    if (this.phase === 'connected') this.ports.send(encodeEmpty(DISCONNECT), now);
    if (this.phase !== 'waiting') this.ports.shut(now);
    this.phase = 'closed';
    this.retryAt = undefined;
  }

  // ---- transport events (from the driver) ----

  transportUp(now: number): void {
    if (this.phase !== 'opening') return;
    this.phase = 'connecting';
    this.reader.reset();
    const c = this.config;
    this.write(encodeConnect({ clientId: c.clientId, clean: c.clean, keepalive: Math.ceil(c.keepaliveMs / 1000), will: c.will, user: c.user, password: c.password }), now);
  }

  transportDown(name: MqttErrorName, now: number, detail = ''): void {
    if (this.phase === 'opening' || this.phase === 'connecting' || this.phase === 'connected') this.fail(name, detail || 'the connection to the broker broke', now, false);
  }

  input(bytes: Uint8Array, now: number): void {
    if (this.phase !== 'connecting' && this.phase !== 'connected') return;
    const error = this.reader.feed(bytes, (p) => {
      this.onPacket(p, now);
      return this.phase === 'connecting' || this.phase === 'connected';
    });
    if (error) this.fail(error.name, error.detail, now);
  }

  /** The driver has room again: send what waits. */
  writable(now: number): void {
    this.noteSent(now);
    if (this.phase === 'connected') this.pump(now);
  }

  // ---- app requests ----

  /**
   * Queues a message. QoS 0 goes only while connected (else dropped and counted); QoS 1 waits
   * for a connection and its PUBACK. Returns the packet id (0 for QoS 0), or undefined if dropped.
   */
  publish(topic: string, topicBytes: Uint8Array, payload: Uint8Array, qos: 0 | 1, retain: boolean, now: number): number | undefined {
    if (qos === 0 && this.phase !== 'connected') {
      this.dropped({ topic, qos, reason: 'offline' }, now);
      return undefined;
    }
    const l = this.config.limits;
    const size = topicBytes.length + payload.length;
    while (this.queue.length >= l.queueLength || (this.queue.length > 0 && this.queueBytes + size > l.queueBytes)) {
      const oldest = this.queue.shift()!;
      this.queueBytes -= oldest.topicBytes.length + oldest.payload.length;
      if (oldest.sentAt !== undefined) this.retiredIds.add(oldest.id);
      this.dropped({ topic: oldest.topic, qos: oldest.qos, reason: 'queue-full' }, now);
    }
    const id = qos === 1 ? this.allocateId() : 0;
    this.queue.push({ topic, topicBytes, payload, qos, retain, id, sentAt: undefined, dup: false });
    this.queueBytes += size;
    this.pump(now);
    return id;
  }

  subscribe(items: { topic: string; topicBytes: Uint8Array; qos: QoS }[], now: number): number {
    const l = this.config.limits;
    for (const item of items) {
      this.unsubscribes.delete(item.topic);
      if (!this.subscriptions.has(item.topic) && this.subscriptions.size >= l.subscriptions) {
        this.deps.log.warn(`subscription ${printable(item.topic)} not remembered for re-subscribing: ${l.subscriptions} already are`);
      } else this.subscriptions.set(item.topic, { topicBytes: item.topicBytes, qos: item.qos, synced: false });
    }
    return this.phase === 'connected' ? this.sendSubscribe(items, now) : 0;
  }

  unsubscribe(topics: { topic: string; topicBytes: Uint8Array }[], now: number): number {
    for (const t of topics) {
      this.subscriptions.delete(t.topic);
      if (this.phase !== 'connected') this.unsubscribes.set(t.topic, t.topicBytes);
    }
    return this.phase === 'connected' ? this.sendUnsubscribe(topics, now) : 0;
  }

  /** A ping the app asked for (Moddable lets apps write PINGREQ). */
  ping(now: number): void {
    if (this.phase !== 'connected') return;
    this.pingSentAt ??= now;
    this.counters.pings++;
    this.write(encodeEmpty(PINGREQ), now);
  }

  // ---- time ----

  deadline(): number | undefined {
    const l = this.config.limits;
    switch (this.phase) {
      case 'waiting':
        return this.retryAt;
      case 'opening':
      case 'connecting':
        return this.openedAt + l.connectTimeoutMs;
      case 'connected': {
        let ack: number | undefined;
        for (const m of this.queue) if (m.sentAt !== undefined) ack = earliest(ack, m.sentAt + l.ackTimeoutMs);
        const ping = this.config.keepaliveMs > 0 && this.pingSentAt === undefined ? this.lastSentAt + this.config.keepaliveMs : undefined;
        const pong = this.pingSentAt !== undefined ? this.pingSentAt + l.pingTimeoutMs : undefined;
        return earliest(ack, ping, pong);
      }
      default:
        return undefined;
    }
  }

  onTimer(now: number): void {
    const l = this.config.limits;
    switch (this.phase) {
      case 'waiting':
        if (!due(this.retryAt, now)) return;
        this.retryAt = undefined;
        this.phase = 'opening';
        this.openedAt = now;
        this.ports.open(now);
        return;
      case 'opening':
      case 'connecting':
        if (now >= this.openedAt + l.connectTimeoutMs) this.fail('connect-timeout', `no CONNACK within ${l.connectTimeoutMs} ms`, now);
        return;
      case 'connected':
        if (this.pingSentAt !== undefined && now >= this.pingSentAt + l.pingTimeoutMs) return this.fail('ping-timeout', `no PINGRESP within ${l.pingTimeoutMs} ms`, now);
        for (const m of this.queue) {
          if (m.sentAt !== undefined && now >= m.sentAt + l.ackTimeoutMs) return this.fail('ack-timeout', `no PUBACK for packet ${m.id} within ${l.ackTimeoutMs} ms`, now);
        }
        if (this.config.keepaliveMs > 0 && this.pingSentAt === undefined && now >= this.lastSentAt + this.config.keepaliveMs) this.ping(now);
        return;
      default:
    }
  }

  // ---- inside ----

  private onPacket(p: Packet, now: number): void {
    if (this.phase === 'connecting') {
      if (p.type !== CONNACK) return this.fail('protocol-error', `packet type ${p.type} before CONNACK`, now);
      const refused = CONNACK_ERRORS[p.returnCode];
      if (p.returnCode !== 0) return this.fail(refused ?? 'connack-refused', `CONNACK return code ${p.returnCode}`, now);
      return this.connected(p.sessionPresent, now);
    }
    switch (p.type) {
      case PUBLISH:
        return this.received(p, now);
      case PUBACK: {
        const i = this.queue.findIndex((m) => m.id === p.id && m.sentAt !== undefined);
        if (i < 0) return this.drops.drop('mqtt PUBACK for an unknown packet id', String(p.id));
        const [m] = this.queue.splice(i, 1);
        this.queueBytes -= m!.topicBytes.length + m!.payload.length;
        this.counters.acknowledged++;
        this.ports.control({ operation: PUBACK, id: p.id }, now);
        return this.pump(now);
      }
      case SUBACK:
      case UNSUBACK: {
        const pending = this.pendingAcks.get(p.id);
        const expected = p.type === SUBACK ? SUBSCRIBE : UNSUBSCRIBE;
        if (!pending || pending.type !== expected) return this.drops.drop('mqtt SUBACK/UNSUBACK for an unknown packet id', String(p.id));
        this.pendingAcks.delete(p.id);
        if (p.type === SUBACK) {
          pending.topics.forEach((topic, i) => {
            const sub = this.subscriptions.get(topic);
            if (p.codes[i] === 0x80 || p.codes[i] === undefined) {
              this.subscriptions.delete(topic);
              this.ports.event({ type: 'mqtt-subscribe-refused', topic: printable(topic) }, now);
            } else if (sub) sub.synced = true;
          });
          return this.ports.control({ operation: SUBACK, id: p.id, payload: p.codes }, now);
        }
        return this.ports.control({ operation: UNSUBACK, id: p.id }, now);
      }
      case PINGRESP:
        // Only the answer clears the ping: other packets arriving say nothing of ours leaving.
        this.pingSentAt = undefined;
        return this.ports.control({ operation: PINGRESP }, now);
      default:
        // CONNACK twice, QoS 2 flows we never asked for, or packets only clients send.
        return this.fail('protocol-error', `unexpected packet type ${p.type} from the broker`, now);
    }
  }

  private connected(sessionPresent: boolean, now: number): void {
    this.phase = 'connected';
    this.counters.connects++;
    this.connectedAt = now;
    this.retiredIds.clear();
    if (!sessionPresent) {
      this.recentIds.length = 0; // a fresh session: the broker resends nothing
      for (const sub of this.subscriptions.values()) sub.synced = false;
      this.unsubscribes.clear();
    }
    const resend = this.queue.filter((m) => m.dup).length;
    this.counters.resent += resend;
    this.ports.event({ type: 'mqtt-connected', sessionPresent, resent: resend }, now);
    this.ports.control({ operation: CONNACK, sessionPresent }, now);
    if (this.phase !== 'connected') return; // the app closed it from onControl
    const stale = [...this.unsubscribes].map(([topic, topicBytes]) => ({ topic, topicBytes }));
    this.unsubscribes.clear();
    if (stale.length) this.sendUnsubscribe(stale, now);
    const unsynced = [...this.subscriptions].filter(([, s]) => !s.synced).map(([topic, s]) => ({ topic, topicBytes: s.topicBytes, qos: s.qos }));
    if (unsynced.length && this.phase === 'connected') this.sendSubscribe(unsynced, now); // a full outbox may have ended it
    this.pump(now);
  }

  private received(p: PublishPacket, now: number): void {
    if (p.qos === 2) return this.fail('protocol-error', 'QoS 2 PUBLISH (subscriptions ask for QoS 1 at most)', now);
    if (p.qos === 1) {
      const id = p.id!;
      if (p.dup && this.recentIds.includes(id)) {
        // Delivered before, its PUBACK lost with the old connection: acknowledge, do not deliver twice.
        this.counters.duplicates++;
        this.ports.event({ type: 'mqtt-duplicate', id }, now);
        return this.write(encodeIdPacket(PUBACK, id), now);
      }
      this.recentIds.push(id);
      if (this.recentIds.length > this.config.limits.recentIds) this.recentIds.shift();
    }
    this.counters.received++;
    this.ports.deliver({ topic: p.topic, payload: p.payload, qos: p.qos, retain: p.retain }, now);
    if (p.qos === 1 && this.phase === 'connected') this.write(encodeIdPacket(PUBACK, p.id!), now);
  }

  /** Sends queued messages while the in-flight window and the driver's buffer allow. */
  private pump(now: number): void {
    const l = this.config.limits;
    let inflight = 0;
    for (const m of this.queue) if (m.sentAt !== undefined) inflight++;
    for (let i = 0; i < this.queue.length && this.phase === 'connected'; ) {
      const m = this.queue[i]!;
      if (m.sentAt !== undefined) { i++; continue; }
      if (m.qos === 1 && inflight >= l.inflight) return;
      const bytes = encodePublish({ topic: m.topicBytes, payload: m.payload, qos: m.qos, retain: m.retain, dup: m.dup, id: m.id || undefined });
      if (this.ports.pending() + bytes.length > l.queueBytes) return;
      this.counters.published++;
      if (m.qos === 0) {
        this.queue.splice(i, 1);
        this.queueBytes -= m.topicBytes.length + m.payload.length;
      } else {
        m.sentAt = now;
        m.dup = true; // any later copy of it is a resend
        inflight++;
        i++;
      }
      this.send(bytes, now);
    }
  }

  private sendSubscribe(items: { topic: string; topicBytes: Uint8Array; qos: QoS }[], now: number): number {
    const id = this.allocateId();
    this.pendingAcks.set(id, { type: SUBSCRIBE, topics: items.map((i) => i.topic) });
    this.write(encodeSubscribe(id, items.map((i) => ({ topic: i.topicBytes, qos: i.qos }))), now);
    return id;
  }

  private sendUnsubscribe(topics: { topic: string; topicBytes: Uint8Array }[], now: number): number {
    const id = this.allocateId();
    this.pendingAcks.set(id, { type: UNSUBSCRIBE, topics: topics.map((t) => t.topic) });
    this.write(encodeUnsubscribe(id, topics.map((t) => t.topicBytes)), now);
    return id;
  }

  /**
   * A control packet: it may use the slack beyond the publish budget; one that does not fit means
   * the broker stopped reading (a packet on an empty outbox always goes: CONNECT, a big SUBSCRIBE).
   */
  private write(bytes: Uint8Array, now: number): void {
    const pending = this.ports.pending();
    if (pending > 0 && pending + bytes.length > this.config.limits.queueBytes + CONTROL_SLACK) {
      return this.fail('outbox-full', `${pending} bytes not taken by the connection`, now);
    }
    this.send(bytes, now);
  }

  private send(bytes: Uint8Array, now: number): void {
    this.unsent += bytes.length;
    this.ports.send(bytes, now);
    this.noteSent(now);
  }

  /** Keepalive counts from when bytes leave, not when they are queued: a stuck connection pings. */
  private noteSent(now: number): void {
    const pending = this.ports.pending();
    if (pending < this.unsent) this.lastSentAt = now;
    this.unsent = pending;
  }

  /** Non-zero 16-bit ids not held by a message in the queue, a pending (UN)SUBSCRIBE or a retired one. */
  private allocateId(): number {
    for (let tries = 0; tries < 65535; tries++) {
      const id = this.nextId;
      this.nextId = this.nextId === 65535 ? 1 : this.nextId + 1;
      if (this.pendingAcks.has(id) || this.retiredIds.has(id) || this.queue.some((m) => m.id === id)) continue;
      return id;
    }
    return this.nextId; // unreachable: the queue and the pending maps are far smaller than 65535
  }

  private dropped(m: { topic: string; qos: QoS; reason: 'queue-full' | 'offline' | 'disconnected' }, now: number): void {
    this.counters.dropped++;
    this.drops.drop(`mqtt message dropped (${m.reason})`, printable(m.topic));
    this.ports.event({ type: 'mqtt-dropped', reason: m.reason, topic: printable(m.topic), qos: m.qos, total: this.counters.dropped }, now);
  }

  /** Ends this connection with a named error and schedules the next one. */
  private fail(name: MqttErrorName, detail: string, now: number, shut = true): void {
    // Only a connection that stayed up is a success: a broker that accepts then drops backs off.
    if (this.phase === 'connected' && now - this.connectedAt >= this.config.limits.stableMs) this.backoff.reset();
    if (shut) this.ports.shut(now);
    this.unsent = 0;
    this.phase = 'waiting';
    this.counters.failures++;
    this.reader.reset();
    this.pingSentAt = undefined;
    this.pendingAcks.clear();
    for (let i = 0; i < this.queue.length; ) {
      const m = this.queue[i]!;
      m.sentAt = undefined;
      if (m.qos === 0) {
        this.queue.splice(i, 1);
        this.queueBytes -= m.topicBytes.length + m.payload.length;
        this.dropped({ topic: m.topic, qos: 0, reason: 'disconnected' }, now);
      } else i++;
    }
    const wait = this.backoff.fail();
    this.retryAt = now + wait;
    this.deps.log.info(`broker connection ended: ${name} (${printable(detail, 96)}); next try in ${wait} ms`);
    this.ports.event({ type: 'mqtt-disconnected', error: name }, now);
    this.ports.event({ type: 'mqtt-retry', inMs: wait, attempt: this.backoff.count }, now);
    this.ports.error({ name, message: detail }, now);
  }
}
