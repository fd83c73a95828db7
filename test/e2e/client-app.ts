/**
 * The app clients on the device, driven by commands: an MQTT client and a firmware fetcher as
 * firmware would run them, over whichever ECMA-419 classes and runtime the device has (the
 * tunnel's in the Node agent and inside XS, Node's own in the private network), reporting what
 * happened as 'app' events. NetApp (net-app.ts) hands it the client commands, so the XS device
 * module (net-device.ts) carries it too; the scenarios that drive it are test/lab/app-scenarios.ts.
 *
 * Commands (each with the `id` its events carry):
 *   mqtt-open      {host, user, password, clean, keepalive, limits}  a client; events: mqtt-connected,
 *                  mqtt-subscribed, mqtt-message {message}, mqtt-error {code}, mqtt-retry {ms}
 *   mqtt-subscribe {topic, QoS}      mqtt-publish {topic, QoS, prefix, from, to}: `${prefix} ${i}`
 *   mqtt-stats                       mqtt-close: the counters (event mqtt-stats / mqtt-closed)
 *   firmware       {settings, notifyAt}  a fetcher into a sink that hashes what it is given; events:
 *                  firmware {firmware: FirmwareEvent}, firmware-offset once `notifyAt` bytes are in
 *   firmware-stop                    stops it; event firmware-done {state, fetcher, sink}
 * Device code: no Node API (it is bundled for XS).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { MQTTClient } from '../../src/mqtt/client.ts';
import type { MqttCounters, MqttLimits } from '../../src/mqtt/session.ts';
import { HTTPClient } from '../../src/http/client.ts';
import { FirmwareFetcher, type FirmwareCounters, type FirmwareEvent, type FirmwareSettings } from '../../src/firmware/fetcher.ts';
import type { FirmwareImage, FirmwareSink } from '../../src/firmware/sink.ts';
import { MemoryStore } from '../../src/util/memory-store.ts';
import type { ClientIo } from '../../src/io/ecma419.ts';
import { ok, type Result } from '../../src/util/result.ts';
import { toHex, utf8 } from '../../src/util/bytes.ts';

export type ClientCommand =
  | { op: 'mqtt-open'; id: string; host: string; clientId?: string; user?: string; password?: string; clean?: boolean; keepalive?: number; limits?: Partial<MqttLimits> }
  | { op: 'mqtt-subscribe'; id: string; topic: string; QoS: number }
  | { op: 'mqtt-publish'; id: string; topic: string; QoS: number; prefix: string; from: number; to: number }
  | { op: 'mqtt-stats' | 'mqtt-close' | 'firmware-stop'; id: string }
  | { op: 'firmware'; id: string; settings: FirmwareSettings; notifyAt?: number };

/** What the sink saw: the bytes in order, hashed here, apart from the fetcher's own hash. */
export interface SinkRecord {
  begun: number;
  written: number;
  sha256: string;
  completed: boolean;
  cancels: number;
}

export interface ClientEvent {
  type: 'app';
  id: string;
  event: string;
  code?: string;
  message?: string;
  ms?: number;
  mqtt?: MqttCounters;
  firmware?: FirmwareEvent;
  offset?: number;
  state?: string;
  fetcher?: FirmwareCounters;
  sink?: SinkRecord;
}

export const isClientCommand = (c: { op: string }): c is ClientCommand => c.op.startsWith('mqtt-') || c.op.startsWith('firmware');

/**
 * The sink the fetcher writes to: a running SHA-256 and a byte count of what it was given (what
 * XS can report to Node), in front of the host's own sink if it has one (a file in Node).
 */
class RecordingSink implements FirmwareSink {
  private hash = sha256.create();
  readonly record: SinkRecord = { begun: 0, written: 0, sha256: '', completed: false, cancels: 0 };
  constructor(
    private readonly inner: FirmwareSink | undefined,
    private readonly onWritten: (total: number) => void,
  ) {}

  begin(image: FirmwareImage): Result<void, string> {
    this.hash = sha256.create();
    Object.assign(this.record, { begun: this.record.begun + 1, written: 0, sha256: '', completed: false });
    return this.inner?.begin(image) ?? ok(undefined);
  }

  write(bytes: Uint8Array): Result<void, string> {
    this.hash.update(bytes);
    this.record.written += bytes.length;
    this.onWritten(this.record.written);
    return this.inner?.write(bytes) ?? ok(undefined);
  }

  complete(digest: Uint8Array): Result<void, string> {
    const done = this.inner?.complete(digest) ?? ok(undefined);
    this.record.sha256 = toHex(this.hash.digest());
    this.record.completed = done.ok;
    return done;
  }

  cancel(): void {
    this.record.cancels++;
    this.record.written = 0;
    this.inner?.cancel();
  }
}

export class ClientApp {
  private readonly mqtt = new Map<string, MQTTClient>();
  private readonly firmware = new Map<string, { fetcher: FirmwareFetcher; sink: RecordingSink }>();

  /** `sink`: where a host keeps an image (a file in Node); without one only its digest is kept. */
  constructor(
    private readonly io: ClientIo,
    private readonly report: (event: ClientEvent) => void,
    private readonly sink?: () => FirmwareSink,
  ) {}

  command(c: ClientCommand): void {
    try {
      this.run(c);
    } catch (e) {
      this.report({ type: 'app', id: c.id, event: 'error', code: 'throw', message: String((e as Error).message ?? e) });
    }
  }

  private run(c: ClientCommand): void {
    const report = this.report;
    const id = c.id;
    switch (c.op) {
      case 'mqtt-open': {
        const client = new MQTTClient({
          ...this.io,
          host: c.host,
          id: c.clientId ?? c.user ?? id,
          ...(c.user !== undefined ? { user: c.user } : {}),
          ...(c.password !== undefined ? { password: c.password } : {}),
          clean: c.clean ?? true,
          keepalive: c.keepalive ?? 0,
          ...(c.limits ? { limits: c.limits } : {}),
          onReadable(count) {
            report({ type: 'app', id, event: 'mqtt-message', message: latin1(this.read(count)) });
          },
          onControl(m) {
            if (m.operation === MQTTClient.CONNACK) report({ type: 'app', id, event: 'mqtt-connected' });
            if (m.operation === MQTTClient.SUBACK) report({ type: 'app', id, event: 'mqtt-subscribed' });
          },
          onError: (e) => report({ type: 'app', id, event: 'mqtt-error', code: e.name, message: e.message }),
          onEvent: (e) => {
            if (e.type === 'mqtt-retry') report({ type: 'app', id, event: 'mqtt-retry', ms: e.inMs });
          },
        });
        this.mqtt.set(id, client);
        return;
      }
      case 'mqtt-subscribe':
        this.client(id).write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: c.topic, QoS: c.QoS }] });
        return;
      case 'mqtt-publish': {
        const client = this.client(id);
        for (let i = c.from; i < c.to; i++) client.write(utf8(`${c.prefix} ${i}`), { topic: c.topic, QoS: c.QoS });
        return;
      }
      case 'mqtt-stats':
        return report({ type: 'app', id, event: 'mqtt-stats', mqtt: { ...this.client(id).counters } });
      case 'mqtt-close': {
        const client = this.client(id);
        client.close();
        this.mqtt.delete(id);
        return report({ type: 'app', id, event: 'mqtt-closed', mqtt: { ...client.counters } });
      }
      case 'firmware': {
        let notify = c.notifyAt;
        const sink = new RecordingSink(this.sink?.(), (total) => {
          if (notify === undefined || total < notify) return;
          notify = undefined;
          report({ type: 'app', id, event: 'firmware-offset', offset: total });
        });
        const fetcher = new FirmwareFetcher({
          settings: c.settings,
          http: { io: HTTPClient, socket: this.io.socket, dns: this.io.dns },
          sink,
          store: new MemoryStore(), // each scenario a fresh device: the floor is the built-in version
          runtime: this.io.runtime,
          onEvent: (firmware) => report({ type: 'app', id, event: 'firmware', firmware }),
        });
        this.firmware.set(id, { fetcher, sink });
        fetcher.start();
        return;
      }
      case 'firmware-stop': {
        const f = this.firmware.get(id);
        if (!f) throw new Error(`no fetcher ${id}`);
        const state = f.fetcher.state;
        f.fetcher.stop();
        this.firmware.delete(id);
        return report({ type: 'app', id, event: 'firmware-done', state, fetcher: { ...f.fetcher.counters }, sink: { ...f.sink.record } });
      }
    }
  }

  private client(id: string): MQTTClient {
    const client = this.mqtt.get(id);
    if (!client) throw new Error(`no MQTT client ${id}`);
    return client;
  }
}

function latin1(buffer: ArrayBuffer | undefined): string {
  return buffer ? String.fromCharCode(...new Uint8Array(buffer)) : '';
}
