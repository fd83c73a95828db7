/**
 * What a device does with the lab's application servers, driven from Node through the device's
 * app channel: commands to the client app on the device (test/e2e/client-app.ts), its 'app'
 * events back. The same scenarios run the clients over Node's sockets in the private network
 * (app-clients-cli.ts), through the tunnel with the agent in Node, and inside XS beside the agent
 * (apps-tunnel-cases.ts). Each returns what a user would check; the tests assert on it.
 */
import type { AgentEvent } from '../../src/agent/agent.ts';
import type { MqttCounters } from '../../src/mqtt/session.ts';
import type { FirmwareEvent, FirmwareSettings } from '../../src/firmware/fetcher.ts';
import type { AppCommand } from '../e2e/net-app.ts';
import type { ClientEvent, SinkRecord } from '../e2e/client-app.ts';
import { MQTT_DEVICE, FIRMWARE_MANIFEST_PATH, LAB_FIRMWARE_KEY } from './app-services.ts';

/** A device's app: commands in, events out (a DeviceUnderTest, or the client app in this process). */
export interface AppChannel {
  readonly events: readonly AgentEvent[];
  command(command: AppCommand): void;
  waitFor(match: (e: AgentEvent) => boolean, timeoutMs: number, what?: string): Promise<AgentEvent>;
  /** Bytes the device's apps can grow into (to show that hostile input keeps memory bounded). */
  memoryBytes(): number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let ids = 0;
const freshId = (what: string) => `${what}-${++ids}`;

const asClient = (e: AgentEvent): ClientEvent | undefined => ((e as unknown as ClientEvent).type === 'app' ? (e as unknown as ClientEvent) : undefined);

/** The app events of client `id` so far, in order. */
export function clientEvents(app: AppChannel, id: string, event?: string): ClientEvent[] {
  return app.events.map(asClient).filter((e): e is ClientEvent => e?.id === id && (event === undefined || e.event === event));
}

/** The next event `event` of client `id` from now on (events already seen do not count). */
export async function nextEvent(app: AppChannel, id: string, event: string, timeoutMs: number): Promise<ClientEvent> {
  const seen = new Set(app.events);
  const e = await app.waitFor((x) => !seen.has(x) && asClient(x)?.id === id && asClient(x)!.event === event, timeoutMs, `${event} from ${id}`);
  return e as unknown as ClientEvent;
}

/** Sends a command and waits for the event that answers it. */
async function ask(app: AppChannel, command: AppCommand & { id: string }, answer: string, timeoutMs = 10_000): Promise<ClientEvent> {
  const next = nextEvent(app, command.id, answer, timeoutMs);
  app.command(command);
  return next;
}

async function mqttStats(app: AppChannel, id: string): Promise<MqttCounters> {
  return (await ask(app, { op: 'mqtt-stats', id }, 'mqtt-stats')).mqtt!;
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
export async function mqttExchange(app: AppChannel, o: { count: number; timeoutMs: number; publishCommands: (topic: string, messages: string[]) => Promise<void>; during?: () => Promise<void> }): Promise<ExchangeResult> {
  const id = freshId('mqtt');
  const connected = nextEvent(app, id, 'mqtt-connected', o.timeoutMs);
  app.command({
    op: 'mqtt-open', id, host: 'broker.lab.example', user: MQTT_DEVICE.user, password: MQTT_DEVICE.password, clean: false, keepalive: 20_000,
    limits: { queueLength: Math.max(64, o.count * 2), queueBytes: 1 << 20, retryMinMs: 500, retryMaxMs: 4000 },
  });
  let counters: MqttCounters;
  try {
    await connected;
    await ask(app, { op: 'mqtt-subscribe', id, topic: 'devices/dev-1/cmd/#', QoS: 1 }, 'mqtt-subscribed', o.timeoutMs);
    const half = Math.floor(o.count / 2);
    const publish = (from: number, to: number) => app.command({ op: 'mqtt-publish', id, topic: 'devices/dev-1/telemetry', QoS: 1, prefix: 'telemetry', from, to });
    publish(0, half);
    const commands = Array.from({ length: o.count }, (_, i) => `command ${i}`);
    const publishing = o.publishCommands('devices/dev-1/cmd/run', commands);
    if (o.during) await o.during();
    publish(half, o.count);
    await publishing;
    const end = Date.now() + o.timeoutMs;
    while ((await mqttStats(app, id)).acknowledged < o.count || clientEvents(app, id, 'mqtt-message').length < o.count) {
      if (Date.now() > end) break;
      await sleep(250);
    }
  } finally {
    counters = (await ask(app, { op: 'mqtt-close', id }, 'mqtt-closed')).mqtt!;
  }
  return {
    acknowledged: counters.acknowledged,
    received: clientEvents(app, id, 'mqtt-message').map((e) => e.message!),
    errors: clientEvents(app, id, 'mqtt-error').map((e) => e.code!),
    connects: counters.connects,
    resent: counters.resent,
    duplicates: counters.duplicates,
    dropped: counters.dropped,
  };
}

/** A wrong password: named errors, and retries that back off (attempts and waits over `watchMs`). */
export async function mqttWrongPassword(app: AppChannel, watchMs: number): Promise<{ errors: string[]; attempts: number; waits: number[] }> {
  const id = freshId('mqtt-wrong');
  app.command({ op: 'mqtt-open', id, host: 'broker.lab.example', user: MQTT_DEVICE.user, password: 'not-the-password', clean: true, limits: { retryMinMs: 1000, retryMaxMs: 4000 } });
  await sleep(watchMs);
  const counters = (await ask(app, { op: 'mqtt-close', id }, 'mqtt-closed')).mqtt!;
  return { errors: clientEvents(app, id, 'mqtt-error').map((e) => e.code!), attempts: counters.failures, waits: clientEvents(app, id, 'mqtt-retry').map((e) => e.ms!) };
}

/** Waits of the agent's Backoff from 1 s capped at 4 s: 1, 2, 4, 4 s, each ±20 % jitter. */
export function backsOff(waits: number[]): boolean {
  return waits.every((w, k) => {
    const base = Math.min(4000, 1000 * 2 ** k);
    return w >= 0.8 * base && w <= 1.2 * base;
  });
}

/** The hostile broker in each mode: the first named error, whether the client tried again, and how much the device's memory grew. */
export async function mqttHostile(app: AppChannel, modes: string[]): Promise<Record<string, { error?: string; retried: boolean; memoryGrowth: number }>> {
  const out: Record<string, { error?: string; retried: boolean; memoryGrowth: number }> = {};
  for (const mode of modes) {
    const id = freshId(`hostile-${mode}`);
    const before = app.memoryBytes();
    app.command({ op: 'mqtt-open', id, host: 'hostile-broker.lab.example', clientId: mode, keepalive: 10_000, limits: { maxPacket: 4096, connectTimeoutMs: 3000, retryMinMs: 300, retryMaxMs: 300 } });
    const end = Date.now() + 10_000;
    while (clientEvents(app, id, 'mqtt-error').length < 2 && Date.now() < end) await sleep(50);
    await ask(app, { op: 'mqtt-close', id }, 'mqtt-closed');
    const errors = clientEvents(app, id, 'mqtt-error');
    out[mode] = { error: errors[0]?.code, retried: errors.length >= 2, memoryGrowth: app.memoryBytes() - before };
  }
  return out;
}

export interface FirmwareResult {
  /** The fetcher's state when the scenario ended: 'installed' once the image was accepted. */
  state: string;
  events: FirmwareEvent[];
  requests: number;
  resumes: number;
  longestTurnBytes: number;
  /** What the device's sink was given: byte count and SHA-256 of the bytes in order, completed or not. */
  sink: SinkRecord;
}

export const FIRMWARE_TEST_SETTINGS: FirmwareSettings = {
  host: 'fw.lab.example', port: 80, manifestPath: FIRMWARE_MANIFEST_PATH, currentVersion: '1.0.0', publicKeys: [LAB_FIRMWARE_KEY],
  rangeBytes: 65536, turnBytes: 2048, maxImageBytes: 4 << 20, maxManifestBytes: 1024, checkIntervalMs: 3_600_000,
  retryMinMs: 500, retryMaxMs: 4000, timeoutMs: 10_000,
};

/**
 * The fetcher against a firmware server until the image is installed, or `stopOn` happened (or
 * `timeoutMs`). `notifyAt`: bytes after which `during` runs (a carrier loss in the middle).
 */
export async function firmwareUpdate(app: AppChannel, o: { timeoutMs: number; settings?: Partial<FirmwareSettings>; stopOn?: FirmwareEvent['type']; notifyAt?: number; during?: () => Promise<void> }): Promise<FirmwareResult> {
  const id = freshId('firmware');
  const stopOn = o.stopOn ?? 'firmware-rejected';
  const offset = o.notifyAt !== undefined ? nextEvent(app, id, 'firmware-offset', o.timeoutMs) : undefined;
  app.command({ op: 'firmware', id, settings: { ...FIRMWARE_TEST_SETTINGS, ...o.settings }, ...(o.notifyAt !== undefined ? { notifyAt: o.notifyAt } : {}) });
  const during = offset && o.during ? offset.then(() => o.during!()) : undefined;
  const firmware = () => clientEvents(app, id, 'firmware').map((e) => e.firmware!);
  await app.waitFor((e) => {
    const f = asClient(e)?.id === id ? asClient(e)!.firmware : undefined;
    return f?.type === 'firmware-installed' || f?.type === stopOn;
  }, o.timeoutMs, `firmware installed or ${stopOn}`).catch(() => {});
  await during;
  const done = await ask(app, { op: 'firmware-stop', id }, 'firmware-done');
  return { state: done.state!, events: firmware(), requests: done.fetcher!.requests, resumes: done.fetcher!.resumes, longestTurnBytes: done.fetcher!.longestTurnBytes, sink: done.sink! };
}
