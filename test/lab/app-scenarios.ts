/**
 * What a device does with the lab's application servers, written once against the ECMA-419
 * classes it is handed: Node's sockets inside the private network now (app-clients-cli.ts), the
 * tunnel's TCP and DNS classes in the end-to-end tests. Each scenario returns what a user would
 * check; the tests assert on it.
 */
import { MQTTClient } from '../../src/mqtt/client.ts';
import type { MqttError } from '../../src/mqtt/session.ts';
import { HTTPClient } from '../../src/http/client.ts';
import { FirmwareFetcher, type FirmwareEvent, type FirmwareSettings } from '../../src/firmware/fetcher.ts';
import type { FirmwareSink } from '../../src/firmware/sink.ts';
import type { ClientRuntime, DnsOption, SocketOption } from '../../src/io/ecma419.ts';
import { utf8 } from '../../src/util/bytes.ts';
import { MQTT_DEVICE, FIRMWARE_MANIFEST_PATH } from './app-services.ts';

export interface DeviceIo {
  socket: SocketOption;
  dns: DnsOption;
  runtime: ClientRuntime;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!done() && Date.now() < end) await sleep(20);
  return done();
}

export interface ExchangeResult {
  acknowledged: number;
  received: string[];
  errors: string[];
  connects: number;
  resent: number;
  duplicates: number;
  dropped: number;
}

/**
 * The device publishes `count` QoS 1 telemetry messages and receives `count` QoS 1 commands that
 * `publishCommands` sends from the private network. `during` runs once the traffic flows (a
 * carrier loss, a rekey) while both directions go on.
 */
export async function mqttExchange(io: DeviceIo, o: { count: number; timeoutMs: number; publishCommands: (topic: string, messages: string[]) => Promise<void>; during?: () => Promise<void> }): Promise<ExchangeResult> {
  const received: string[] = [];
  const errors: string[] = [];
  let subscribed = false;
  const client = new MQTTClient({
    ...io,
    host: 'broker.lab.example',
    id: MQTT_DEVICE.user,
    user: MQTT_DEVICE.user,
    password: MQTT_DEVICE.password,
    clean: false,
    keepalive: 20_000,
    limits: { queueLength: Math.max(64, o.count * 2), queueBytes: 1 << 20, retryMinMs: 500, retryMaxMs: 4000 },
    onReadable(count) { received.push(String.fromCharCode(...new Uint8Array(this.read(count) ?? new ArrayBuffer(0)))); },
    onControl(m) { if (m.operation === MQTTClient.SUBACK) subscribed = true; },
    onError: (e: MqttError) => errors.push(e.name),
  });
  try {
    if (!(await until(() => client.connected, o.timeoutMs))) return summary();
    client.write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: 'devices/dev-1/cmd/#', QoS: 1 }] });
    if (!(await until(() => subscribed, o.timeoutMs))) return summary();
    const half = Math.floor(o.count / 2);
    const send = (from: number, to: number) => { for (let i = from; i < to; i++) client.write(utf8(`telemetry ${i}`), { topic: 'devices/dev-1/telemetry', QoS: 1 }); };
    send(0, half);
    const commands = Array.from({ length: o.count }, (_, i) => `command ${i}`);
    const publishing = o.publishCommands('devices/dev-1/cmd/run', commands);
    if (o.during) await o.during();
    send(half, o.count);
    await publishing;
    await until(() => client.counters.acknowledged >= o.count && received.length >= o.count, o.timeoutMs);
    return summary();
  } finally {
    client.close();
  }

  function summary(): ExchangeResult {
    const c = client.counters;
    return { acknowledged: c.acknowledged, received, errors, connects: c.connects, resent: c.resent, duplicates: c.duplicates, dropped: c.dropped };
  }
}

/** A wrong password: named errors, and retries that back off (attempts and waits over `watchMs`). */
export async function mqttWrongPassword(io: DeviceIo, watchMs: number): Promise<{ errors: string[]; attempts: number; waits: number[] }> {
  const errors: string[] = [];
  const waits: number[] = [];
  const client = new MQTTClient({
    ...io, host: 'broker.lab.example', id: MQTT_DEVICE.user, user: MQTT_DEVICE.user, password: 'not-the-password', clean: true,
    limits: { retryMinMs: 1000, retryMaxMs: 4000 },
    onError: (e) => errors.push(e.name),
    onEvent: (e) => { if (e.type === 'mqtt-retry') waits.push(e.inMs); },
  });
  await sleep(watchMs);
  client.close();
  return { errors, attempts: client.counters.failures, waits };
}

/** Waits of a 1 s .. 4 s backoff: each in the upper half of 1, 2, 4, 4 ... seconds. */
/** Waits of the agent's Backoff from 1 s capped at 4 s: 1, 2, 4, 4 s, each ±20 % jitter. */
export function backsOff(waits: number[]): boolean {
  return waits.every((w, k) => {
    const base = Math.min(4000, 1000 * 2 ** k);
    return w >= 0.8 * base && w <= 1.2 * base;
  });
}

/** The hostile broker in each mode: the first named error, and whether the client recovered to try again. */
export async function mqttHostile(io: DeviceIo, modes: string[]): Promise<Record<string, { error?: string; retried: boolean; arrayBufferGrowth: number }>> {
  const out: Record<string, { error?: string; retried: boolean; arrayBufferGrowth: number }> = {};
  for (const mode of modes) {
    const errors: MqttError[] = [];
    const before = process.memoryUsage().arrayBuffers;
    const client = new MQTTClient({
      ...io, host: 'hostile-broker.lab.example', id: mode, keepalive: 10_000,
      limits: { maxPacket: 4096, connectTimeoutMs: 3000, retryMinMs: 300, retryMaxMs: 300 },
      onError: (e) => errors.push(e),
    });
    await until(() => errors.length >= 2, 10_000);
    client.close();
    out[mode] = { error: errors[0]?.name, retried: errors.length >= 2, arrayBufferGrowth: process.memoryUsage().arrayBuffers - before };
  }
  return out;
}

export interface FirmwareResult {
  state: string;
  events: FirmwareEvent[];
  requests: number;
  resumes: number;
  longestTurnBytes: number;
}

/** The fetcher against a firmware server until the image is installed or rejected (or `timeoutMs`). */
export async function firmwareUpdate(io: DeviceIo, sink: FirmwareSink, o: { host?: string; manifestPath?: string; timeoutMs: number; settings?: Partial<FirmwareSettings>; stopOn?: FirmwareEvent['type']; during?: (fetcher: FirmwareFetcher) => Promise<void> }): Promise<FirmwareResult> {
  const events: FirmwareEvent[] = [];
  const fetcher = new FirmwareFetcher({
    settings: {
      host: o.host ?? 'fw.lab.example', port: 80, manifestPath: o.manifestPath ?? FIRMWARE_MANIFEST_PATH, currentVersion: '1.0.0',
      rangeBytes: 65536, turnBytes: 2048, maxImageBytes: 4 << 20, maxManifestBytes: 1024, checkIntervalMs: 3_600_000,
      retryMinMs: 500, retryMaxMs: 4000, timeoutMs: 10_000, ...o.settings,
    },
    http: { io: HTTPClient, socket: io.socket, dns: io.dns },
    sink,
    runtime: io.runtime,
    onEvent: (e) => events.push(e),
  });
  fetcher.start();
  const stopOn = o.stopOn ?? 'firmware-rejected';
  const during = o.during?.(fetcher);
  await until(() => fetcher.state === 'installed' || events.some((e) => e.type === stopOn), o.timeoutMs);
  await during;
  const result = { state: fetcher.state, events, requests: fetcher.counters.requests, resumes: fetcher.counters.resumes, longestTurnBytes: fetcher.counters.longestTurnBytes };
  fetcher.stop();
  return result;
}
