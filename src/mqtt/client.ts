/**
 * `embedded:network/mqtt/client` for ikelet: the constructor options, `write(data, {topic, QoS,
 * retain})`, `write(null, {operation: SUBSCRIBE | UNSUBSCRIBE, items})`, `read()`, `onReadable`,
 * `onWritable`, `onControl`, `onError`, `onClose` of Moddable's ECMA-419 MQTT client, so an app
 * written for it moves between Wi-Fi and the tunnel unchanged. The TCP and DNS classes come in as
 * options (`socket: {io}`, `dns: {io}`), the clock and timers as `runtime` (both spread in from
 * `device.network.mqtt`).
 *
 * Beyond Moddable's client: it reconnects by itself (capped backoff) and keeps QoS 1 messages
 * across reconnects; errors carry a name. App mistakes (a bad topic, QoS 2) throw, as ECMA-419
 * classes do; nothing from the broker does.
 */
import { silentLogger, type Logger } from '../util/log.ts';
import { utf8 } from '../util/bytes.ts';
import { wellFormed } from '../util/utf8.ts';
import { bytesOf, toArrayBuffer, type ByteSource, type ClientRuntime, type DnsOption, type SocketOption } from '../io/ecma419.ts';
import { Connection } from '../io/connection.ts';
import type { Timer } from '../platform.ts';
import * as K from './constants.ts';
import { DEFAULT_LIMITS, MqttSession, type ControlMessage, type InboundMessage, type MqttCounters, type MqttError, type MqttEvent, type MqttLimits } from './session.ts';

export interface MqttWill {
  topic: string;
  message?: string | ByteSource;
  QoS?: number;
  retain?: boolean;
}

export interface ReadableInfo {
  topic: string;
  QoS: number;
  retain: boolean;
  byteLength: number;
  more: false;
}

export interface MqttClientOptions {
  host: string;
  port?: number;
  id?: string;
  user?: string;
  password?: string | ByteSource;
  /** Milliseconds, as Moddable's client takes it (sent to the broker in whole seconds). */
  keepalive?: number;
  keepAlive?: number;
  clean?: boolean;
  will?: MqttWill;
  socket: SocketOption;
  dns?: DnsOption;
  runtime: ClientRuntime;
  limits?: Partial<MqttLimits>;
  log?: Logger;
  onReadable?: (this: MQTTClient, count: number, info: ReadableInfo) => void;
  onWritable?: (this: MQTTClient, count: number) => void;
  onControl?: (this: MQTTClient, message: ControlMessage) => void;
  onError?: (this: MQTTClient, error: MqttError) => void;
  onClose?: (this: MQTTClient) => void;
  /** ikelet: connection, retry, drop and keepalive events (for the agent's report). */
  onEvent?: (event: MqttEvent) => void;
}

export interface WriteOptions {
  operation?: number;
  topic?: string;
  QoS?: number;
  retain?: boolean;
  byteLength?: number;
  items?: { topic: string; QoS?: number }[];
}

const READ_CHUNK = 2048;

export class MQTTClient {
  static readonly CONNECT = K.CONNECT;
  static readonly CONNACK = K.CONNACK;
  static readonly PUBLISH = K.PUBLISH;
  static readonly PUBACK = K.PUBACK;
  static readonly PUBREC = K.PUBREC;
  static readonly PUBREL = K.PUBREL;
  static readonly PUBCOMP = K.PUBCOMP;
  static readonly SUBSCRIBE = K.SUBSCRIBE;
  static readonly SUBACK = K.SUBACK;
  static readonly UNSUBSCRIBE = K.UNSUBSCRIBE;
  static readonly UNSUBACK = K.UNSUBACK;
  static readonly PINGREQ = K.PINGREQ;
  static readonly PINGRESP = K.PINGRESP;
  static readonly DISCONNECT = K.DISCONNECT;

  private readonly options: MqttClientOptions;
  private readonly session: MqttSession;
  private readonly runtime: ClientRuntime;
  private readonly timer: Timer;
  private readonly log: Logger;
  private readonly limits: MqttLimits;
  private connection: Connection | undefined;
  private current: { payload: Uint8Array; offset: number } | undefined;
  private closed = false;

  constructor(options: MqttClientOptions) {
    if (typeof options.host !== 'string' || options.host === '') throw new TypeError('host required');
    if (!options.socket?.io) throw new TypeError('socket.io required');
    if (!options.runtime) throw new TypeError('runtime required');
    this.options = options;
    this.runtime = options.runtime;
    this.log = options.log ?? silentLogger('mqtt');
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    const clientId = utf8(options.id ?? '');
    if (!wellFormed(options.id ?? '') || clientId.length > 65535) throw new RangeError('invalid client id');
    const keepaliveMs = options.keepalive ?? options.keepAlive ?? 0;
    if (!(keepaliveMs >= 0 && keepaliveMs <= 65535_000)) throw new RangeError('keepalive out of range');
    const will = options.will;
    this.session = new MqttSession(
      {
        clientId,
        clean: options.clean ?? true,
        keepaliveMs,
        user: options.user !== undefined ? utf8(options.user) : undefined,
        password: options.password === undefined ? undefined : typeof options.password === 'string' ? utf8(options.password) : bytesOf(options.password).slice(),
        will: will && {
          topic: this.topicBytes(will.topic, false),
          message: will.message === undefined ? new Uint8Array(0) : typeof will.message === 'string' ? utf8(will.message) : bytesOf(will.message).slice(),
          qos: this.qos(will.QoS ?? 0, true),
          retain: will.retain === true,
        },
        limits: this.limits,
      },
      { log: this.log, random: this.runtime.random },
      {
        open: () => this.open(),
        shut: () => this.shut(),
        send: (bytes) => this.connection?.send(bytes),
        pending: () => this.connection?.pending ?? 0,
        deliver: (m) => this.deliver(m),
        control: (m) => {
          this.callApp('onControl', () => this.options.onControl?.call(this, m));
          const n = this.writableCount();
          if (m.operation === K.CONNACK && this.session.state === 'connected' && n > 0) this.callApp('onWritable', () => this.options.onWritable?.call(this, n));
        },
        error: (e) => this.callApp('onError', () => this.options.onError?.call(this, e)),
        event: (e) => this.event(e),
      },
    );
    this.timer = this.runtime.timer();
    this.step((now) => this.session.start(now));
  }

  get format(): 'buffer' {
    return 'buffer';
  }

  set format(value: string) {
    if (value !== 'buffer') throw new RangeError('format must be "buffer"');
  }

  /** ikelet: the session's counters (published, acknowledged, resent, received, duplicates, dropped ...). */
  get counters(): Readonly<MqttCounters> {
    return this.session.counters;
  }

  /** ikelet: whether the broker accepted the current connection. */
  get connected(): boolean {
    return this.session.state === 'connected';
  }

  write(data: ByteSource | null, options: WriteOptions = {}): number {
    if (this.closed) throw new Error('closed');
    const operation = options.operation ?? K.PUBLISH;
    switch (operation) {
      case K.PUBLISH: {
        const topic = options.topic ?? '';
        const topicBytes = this.topicBytes(topic, false);
        const payload = data === null ? new Uint8Array(0) : bytesOf(data).slice(); // the app may reuse its buffer
        if (options.byteLength !== undefined && options.byteLength !== payload.length) throw new RangeError('fragmented publish is not supported: byteLength must equal the data length');
        if (topicBytes.length + payload.length > this.limits.queueBytes) throw new RangeError(`message larger than the queue (${this.limits.queueBytes} bytes)`);
        const qos = this.qos(options.QoS ?? 0, false) as 0 | 1;
        this.step((now) => this.session.publish(topic, topicBytes, payload, qos, options.retain === true, now));
        break;
      }
      case K.SUBSCRIBE: {
        const items = this.items(options, true).map((i) => ({ ...i, qos: Math.min(this.qos(i.QoS ?? 0, true), 1) as K.QoS }));
        this.step((now) => this.session.subscribe(items, now));
        break;
      }
      case K.UNSUBSCRIBE: {
        const topics = this.items(options, true);
        this.step((now) => this.session.unsubscribe(topics, now));
        break;
      }
      case K.PINGREQ:
        this.step((now) => this.session.ping(now));
        break;
      case K.DISCONNECT:
        this.close();
        return 0;
      default:
        throw new RangeError(`operation ${operation} is not supported`);
    }
    return this.writableCount();
  }

  /** Payload bytes of the message being delivered in onReadable: `count` of them, or all that are left. */
  read(count?: number): ArrayBuffer | undefined {
    const c = this.current;
    if (!c || c.offset >= c.payload.length) return undefined;
    const n = Math.min(count ?? c.payload.length, c.payload.length - c.offset);
    const out = toArrayBuffer(c.payload.subarray(c.offset, c.offset + n));
    c.offset += n;
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.step((now) => this.session.close(now));
    this.closed = true;
    this.timer.schedule(undefined, () => {});
    this.callApp('onClose', () => this.options.onClose?.call(this));
  }

  // ---- the transport ----

  private open(): void {
    this.connection?.close();
    this.connection = new Connection(
      { host: this.options.host, port: this.options.port ?? 1883, socket: this.options.socket, dns: this.options.dns, log: this.log, step: (work, now) => this.step(work, now) },
      {
        up: (now) => this.session.transportUp(now),
        readable: (count, now) => this.readable(count, now),
        writable: (now) => this.writable(now),
        down: (failure, detail, now) => this.session.transportDown(failure, now, detail),
      },
    );
  }

  private readable(count: number, now: number): void {
    const connection = this.connection;
    while (count > 0 && connection && connection === this.connection) {
      const chunk = connection.read(Math.min(count, READ_CHUNK));
      if (!chunk) return;
      count -= chunk.length;
      this.session.input(chunk, now);
    }
  }

  private writable(now: number): void {
    this.session.writable(now);
    const n = this.writableCount();
    if (this.session.state === 'connected' && n > 0) this.callApp('onWritable', () => this.options.onWritable?.call(this, n));
  }

  private shut(): void {
    this.connection?.close();
    this.connection = undefined;
  }

  // ---- the app side ----

  private deliver(m: InboundMessage): void {
    this.current = { payload: m.payload, offset: 0 };
    const info: ReadableInfo = { topic: m.topic, QoS: m.qos, retain: m.retain, byteLength: m.payload.length, more: false };
    this.callApp('onReadable', () => this.options.onReadable?.call(this, m.payload.length, info));
    this.current = undefined; // unread bytes of this message are dropped: the next one follows
  }

  private event(e: MqttEvent): void {
    this.options.onEvent?.(e);
  }

  private writableCount(): number {
    return Math.max(0, this.limits.queueBytes - (this.connection?.pending ?? 0));
  }

  /** An app callback that throws is logged; it never breaks the session. */
  private callApp(name: string, call: () => void): void {
    try {
      call();
    } catch (e) {
      this.log.error(`${name} threw: ${String(e)}`);
    }
  }

  /** Runs one turn with the time of now and re-arms the timer for the session's next deadline. */
  private step<T>(work: (now: number) => T, now?: number): void {
    try {
      work(now ?? this.runtime.now());
    } catch (e) {
      this.log.error(`internal error: ${e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e)}`);
    }
    if (this.closed) return;
    this.timer.schedule(this.session.deadline(), () => this.step((now) => this.session.onTimer(now)));
  }

  // ---- argument checks (app mistakes throw, as ECMA-419 classes do) ----

  private topicBytes(topic: unknown, filter: boolean): Uint8Array {
    if (typeof topic !== 'string' || topic === '' || !wellFormed(topic) || topic.includes('\u0000')) throw new RangeError('invalid topic');
    if (filter ? !validFilter(topic) : /[+#]/.test(topic)) throw new RangeError(filter ? 'invalid topic filter' : 'wildcards are not allowed in a topic name');
    const bytes = utf8(topic);
    if (bytes.length > 65535) throw new RangeError('topic too long');
    return bytes;
  }

  private qos(value: number, allowTwo: boolean): K.QoS {
    if (value === 0 || value === 1 || (allowTwo && value === 2)) return value;
    throw new RangeError(value === 2 ? 'QoS 2 is not supported: use QoS 0 or 1' : 'QoS must be 0 or 1');
  }

  private items(options: WriteOptions, filter: boolean): { topic: string; topicBytes: Uint8Array; QoS?: number }[] {
    if (!Array.isArray(options.items) || options.items.length === 0) throw new RangeError('items required');
    return options.items.map((i) => ({ topic: i.topic, topicBytes: this.topicBytes(i.topic, filter), QoS: i.QoS }));
  }
}

/** '+' takes a whole level, '#' only the last one (4.7.1). */
function validFilter(filter: string): boolean {
  const levels = filter.split('/');
  return levels.every((level, i) => (level.includes('+') ? level === '+' : true) && (level.includes('#') ? level === '#' && i === levels.length - 1 : true));
}
