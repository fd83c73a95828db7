/**
 * What the device's applications cost on the air (issue 11), agent and clients in Node against
 * the lab (modem emulator at 115200 baud, slirp, strongSwan, mosquitto, nginx), counted at the
 * device by hosts/sim/service-meter.ts: the serial line's bytes both ways, ESP packets attributed
 * to a service and split by header (inner packet, TCP/UDP payload).
 *
 *  1. bytes on the air per MQTT message, QoS 0 and QoS 1, 32-byte payload, each message alone on
 *     an idle connection (its TCP ACKs and PUBACK included), every layer from PPP to MQTT;
 *  2. firmware download: goodput (image bytes/s ÷ the line's bytes/s) and overhead by layer;
 *  3. idle: bytes per day of NAT keepalives alone, against an MQTT connection's keepalive (which
 *     stands in for them: the agent sends no NAT keepalive while its pings flow). Each event's cost
 *     is measured; a day is 86,400 s ÷ the device default's interval × that cost.
 *
 * `appsBench()` returns the rows (label, value, note) and the figures for `npm run bench`'s table;
 * `npm run bench:apps` prints them. A benchmark: it asserts nothing it need not.
 *   BENCH_APPS_MESSAGES (default 10) messages per QoS; BENCH_APPS_IMAGE (default 256 KiB) bytes.
 */
import { SimDevice } from '../../hosts/sim/device.ts';
import { between, num, ServiceMeter, type AirCounts, type Leg, type Traffic } from '../../hosts/sim/service-meter.ts';
import { MQTTClient } from '../../src/mqtt/client.ts';
import { HTTPClient } from '../../src/http/client.ts';
import { FirmwareFetcher } from '../../src/firmware/fetcher.ts';
import type { FirmwareSink } from '../../src/firmware/sink.ts';
import { ok } from '../../src/util/result.ts';
import { MemoryStore } from '../../src/util/memory-store.ts';
import { labDeviceConfig } from '../lab/device-config.ts';
import { DNS_ADDRESS, Lab, labUnavailableReason } from '../lab/lab.ts';
import { BROKER_ADDRESS, FIRMWARE_ADDRESS, MQTT_DEVICE } from '../lab/app-services.ts';
import { FIRMWARE_TEST_SETTINGS } from '../lab/app-scenarios.ts';

export type BenchRow = [label: string, value: string, note: string];

/** Per message, both directions: bytes by layer, packets, and the serial line's total. */
export interface MessageCost {
  qos: 0 | 1;
  packetsUp: number;
  packetsDown: number;
  /** Bytes per layer, both directions summed: the app's (MQTT, HTTP), TCP + inner IPv4, ESP, outer UDP + IPv4, PPP. */
  layers: { app: number; tcpIp: number; esp: number; udpIp: number; ppp: number };
  total: number;
}

export interface AppsFigures {
  baud: number;
  messages: MessageCost[];
  firmware: { size: number; ms: number; goodput: number; lineBytes: number; layersDown: Layers; layersUp: Layers; packetsDown: number; packetsUp: number; requests: number };
  idle: {
    /** On the air per event: one NAT keepalive, one MQTT keepalive exchange (PINGREQ, PINGRESP, their ACKs). */
    natKeepaliveBytes: number;
    mqttPingBytes: number;
    /** In the scaled window (MQTT every 10 s, NAT every 5 s): pings, and NAT keepalives between them. */
    pings: number;
    natKeepalivesBetween: number;
    natIntervalS: number;
    mqttIntervalS: number;
    /** Bytes per day at the ESP32 defaults. */
    perDay: { natAlone: number; mqttWithNat: number; mqttAtNatInterval: number };
  };
}

type Layers = MessageCost['layers'];

const KEEPALIVE_S = { nat: 20, mqtt: 60 }; // the ESP32 manifest's natKeepalive and mqttKeepalive
const DAY_S = 86_400;
const TOPIC = 'devices/dev-1/telemetry';
const PAYLOAD = new Uint8Array(32).fill(0x41);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const OUTER_UDP_IP = 28;

/** Layers of one direction of one service's traffic, with PPP as the serial line's rest. */
function layersOf(l: Leg, serialBytes: number): Layers {
  return { app: l.payload, tcpIp: l.inner - l.payload, esp: l.bytes - OUTER_UDP_IP * l.packets - l.inner, udpIp: OUTER_UDP_IP * l.packets, ppp: serialBytes - l.bytes };
}
const sumLayers = (a: Layers, b: Layers): Layers => ({ app: a.app + b.app, tcpIp: a.tcpIp + b.tcpIp, esp: a.esp + b.esp, udpIp: a.udpIp + b.udpIp, ppp: a.ppp + b.ppp });
const scale = (a: Layers, k: number): Layers => ({ app: a.app * k, tcpIp: a.tcpIp * k, esp: a.esp * k, udpIp: a.udpIp * k, ppp: a.ppp * k });
const totalOf = (a: Layers): number => a.app + a.tcpIp + a.esp + a.udpIp + a.ppp;

/** What else moved in a window besides `expected` (services, 'nat'): anything would spoil its per-event figures. */
function others(w: AirCounts, ...expected: string[]): string[] {
  const quiet = (t: Traffic) => t.up.bytes === 0 && t.down.bytes === 0;
  const noisy = Object.entries(w.services).filter(([n, t]) => !expected.includes(n) && !quiet(t)).map(([n]) => n);
  if (!quiet(w.ike)) noisy.push('IKE');
  if (!expected.includes('nat') && !quiet(w.natKeepalives)) noisy.push('NAT keepalives');
  return noisy;
}

export async function appsBench(options: { messages?: number; imageBytes?: number; progress?: (text: string) => void } = {}): Promise<{ rows: BenchRow[]; figures: AppsFigures }> {
  const messages = options.messages ?? 10;
  const imageBytes = options.imageBytes ?? 256 << 10;
  const progress = options.progress ?? (() => {});
  const notes: string[] = [];
  // A gateway on a public address sends no NAT keepalives of its own (the lab's believes itself behind a NAT).
  const lab = await Lab.start({ gateway: { keepAlive: 0 }, modem: { registrationDelayMs: 50 }, apps: { imageBytes } });
  // Short timers so a window sees several events; LCP echo and rekeys out of the way.
  const config = labDeviceConfig({ logLevel: 'error', natKeepalive: 5, lcpEchoInterval: 3600, childLifetime: 3600, ikeLifetime: 7200 });
  const device = new SimDevice({ config, serialPath: lab.serialPath, log: () => {} });
  const meter = new ServiceMeter(device, { mqtt: { address: BROKER_ADDRESS, port: 1883 }, firmware: { address: FIRMWARE_ADDRESS, port: 80 }, dns: { address: DNS_ADDRESS, port: 53 } });
  const window = async (ms: number, work?: () => Promise<void>): Promise<AirCounts> => {
    const a = meter.counts();
    await Promise.all([work?.(), sleep(ms)]);
    return between(a, meter.counts());
  };
  try {
    device.start();
    await device.waitFor((e) => e.type === 'child-up', 60_000, 'the tunnel');
    const { clients } = device.started;
    await sleep(1500);

    // ---- 3a. NAT keepalives alone (an idle tunnel, no app) ----
    progress('idle: NAT keepalives alone');
    const natWindow = await window(21_000);
    const keepalives = natWindow.natKeepalives.up.packets;
    const natKeepaliveBytes = natWindow.serial.up.bytes / Math.max(1, keepalives);
    const noisyNat = others(natWindow, 'nat');
    if (noisyNat.length || natWindow.serial.down.bytes) notes.push(`NAT keepalive window also saw: ${[...noisyNat, `${natWindow.serial.down.bytes} B down`].join(', ')}`);

    // ---- MQTT: connect (keepalive 10 s here), then messages alone, then idle pings ----
    const mqtt = await new Promise<MQTTClient>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no CONNACK')), 30_000);
      const client: MQTTClient = new MQTTClient({
        ...clients, host: 'broker.lab.example', id: MQTT_DEVICE.user, user: MQTT_DEVICE.user, password: MQTT_DEVICE.password, clean: true, keepalive: 10_000,
        onControl(m) {
          if (m.operation !== MQTTClient.CONNACK) return;
          clearTimeout(timer);
          resolve(client);
        },
      });
    });
    await sleep(1500);
    const costs: MessageCost[] = [];
    for (const qos of [0, 1] as const) {
      progress(`MQTT: ${messages} messages at QoS ${qos}`);
      const acked = mqtt.counters.acknowledged;
      const w = await window(messages * 1500 + 1500, async () => {
        for (let i = 0; i < messages; i++) {
          mqtt.write(PAYLOAD, { topic: TOPIC, QoS: qos });
          await sleep(1500);
        }
      });
      if (qos === 1 && mqtt.counters.acknowledged - acked !== messages) notes.push(`QoS 1: ${mqtt.counters.acknowledged - acked} of ${messages} acknowledged in the window`);
      const noisy = others(w, 'mqtt');
      if (noisy.length) notes.push(`QoS ${qos} window also saw: ${noisy.join(', ')}`);
      const t = w.services.mqtt!;
      const layers = scale(sumLayers(layersOf(t.up, w.serial.up.bytes), layersOf(t.down, w.serial.down.bytes)), 1 / messages);
      costs.push({ qos, packetsUp: t.up.packets / messages, packetsDown: t.down.packets / messages, layers, total: totalOf(layers) });
    }

    // ---- 3b. MQTT keepalive (every 10 s here) beside NAT keepalives (every 5 s here) ----
    progress('idle: MQTT keepalive');
    const pings = mqtt.counters.pings;
    const pingWindow = await window(31_000);
    const pinged = mqtt.counters.pings - pings;
    const natWhileMqtt = pingWindow.natKeepalives.up.packets;
    // Per ping: the window's bytes on the air less its NAT keepalives (each as measured above).
    const mqttPingBytes = (pingWindow.serial.up.bytes + pingWindow.serial.down.bytes - natWhileMqtt * natKeepaliveBytes) / Math.max(1, pinged);
    const noisyPing = others(pingWindow, 'mqtt', 'nat');
    if (noisyPing.length) notes.push(`MQTT keepalive window also saw: ${noisyPing.join(', ')}`);
    mqtt.close();
    await sleep(1500); // its DISCONNECT and FIN exchange

    // ---- 2. firmware (its DNS lookup included) ----
    progress(`firmware: ${imageBytes >> 10} KiB`);
    let installedAt = 0;
    const sink: FirmwareSink = { begin: () => ok(undefined), write: () => ok(undefined), complete: () => ok(undefined), cancel: () => {} };
    const startedAt = Date.now();
    let requests = 0;
    const fw = await window(0, () => new Promise<void>((resolve, reject) => {
      const fetcher: FirmwareFetcher = new FirmwareFetcher({
        settings: { ...FIRMWARE_TEST_SETTINGS, timeoutMs: 30_000 }, http: { io: HTTPClient, ...clients }, sink, store: new MemoryStore(), runtime: clients.runtime,
        onEvent(e) {
          if (e.type === 'firmware-installed') {
            installedAt = Date.now();
            requests = fetcher.counters.requests;
            fetcher.stop();
            setTimeout(resolve, 500); // the last ACKs
          }
          if (e.type === 'firmware-rejected') reject(new Error(`firmware rejected: ${e.detail}`));
        },
      });
      fetcher.start();
    }));
    const ms = installedAt - startedAt;
    const f = fw.services.firmware!;
    const firmware = {
      size: imageBytes, ms, goodput: (imageBytes * 1000) / ms / (config.uartBaud / 10), lineBytes: fw.serial.up.bytes + fw.serial.down.bytes,
      layersDown: layersOf(f.down, fw.serial.down.bytes), layersUp: layersOf(f.up, fw.serial.up.bytes), packetsDown: f.down.packets, packetsUp: f.up.packets, requests,
    };
    const noisyFw = others(fw, 'firmware', 'dns');
    if (noisyFw.length) notes.push(`firmware window also saw: ${noisyFw.join(', ')}`);

    // A day at the ESP32 defaults: NAT keepalives every 20 s on a silent line; with MQTT's 60 s
    // keepalive, NAT keepalives still fill the gaps (at 20 and 40 s: the NAT needs one every 20 s),
    // so the pings come on top; an MQTT keepalive of 20 s replaces them (none is sent).
    const natPerGap = Math.ceil(KEEPALIVE_S.mqtt / KEEPALIVE_S.nat) - 1;
    const idle: AppsFigures['idle'] = {
      natKeepaliveBytes, mqttPingBytes, pings: pinged, natKeepalivesBetween: natWhileMqtt, natIntervalS: KEEPALIVE_S.nat, mqttIntervalS: KEEPALIVE_S.mqtt,
      perDay: {
        natAlone: (DAY_S / KEEPALIVE_S.nat) * natKeepaliveBytes,
        mqttWithNat: (DAY_S / KEEPALIVE_S.mqtt) * (mqttPingBytes + natPerGap * natKeepaliveBytes),
        mqttAtNatInterval: (DAY_S / KEEPALIVE_S.nat) * mqttPingBytes,
      },
    };
    await device.stop();
    const figures: AppsFigures = { baud: config.uartBaud, messages: costs, firmware, idle };
    return { rows: rowsOf(figures, notes), figures };
  } finally {
    device.close();
    await lab.stop();
  }
}

function rowsOf(f: AppsFigures, notes: string[]): BenchRow[] {
  const rows: BenchRow[] = [];
  const b = (n: number) => `${num(n)} B`;
  const layerText = (l: Layers, app = 'MQTT') => `${app} ${num(l.app)}, TCP+IPv4 ${num(l.tcpIp)}, ESP ${num(l.esp)}, UDP+IPv4 ${num(l.udpIp)}, PPP ${num(l.ppp)}`;
  for (const m of f.messages) {
    rows.push([
      `MQTT message, QoS ${m.qos}, 32-byte payload, on the air both ways`, b(m.total),
      `${m.packetsUp.toFixed(1)} packets up, ${m.packetsDown.toFixed(1)} down; ${layerText(m.layers)}`,
    ]);
  }
  const fw = f.firmware;
  const kib = fw.size >> 10;
  rows.push([`firmware download, ${kib} KiB at ${f.baud} baud: goodput`, `${(fw.goodput * 100).toFixed(0)} % of the line`, `${(fw.ms / 1000).toFixed(1)} s, ${fw.requests} requests (manifest + ${fw.requests - 1} ranges of 64 KiB)`]);
  rows.push([
    `firmware download, ${kib} KiB: bytes on the air ÷ image`, `${(fw.lineBytes / fw.size).toFixed(3)}`,
    `down ${layerText(fw.layersDown, 'HTTP')} (of which response headers ${num(fw.layersDown.app - fw.size)}); up ${num(totalOf(fw.layersUp))} B (requests, ACKs); ${fw.packetsDown} ESP packets down`,
  ]);
  const i = f.idle;
  rows.push([`idle: NAT keepalives alone, every ${i.natIntervalS} s`, `${num(i.perDay.natAlone / 1000)} kB/day`, `${b(i.natKeepaliveBytes)} per keepalive on the air`]);
  rows.push([
    `idle: MQTT keepalive every ${i.mqttIntervalS} s, NAT keepalives every ${i.natIntervalS} s between`, `${num(i.perDay.mqttWithNat / 1000)} kB/day`,
    `${b(i.mqttPingBytes)} per PINGREQ/PINGRESP with their TCP ACKs; measured at 10 s / 5 s: ${i.pings} pings, ${i.natKeepalivesBetween} NAT keepalives between them`,
  ]);
  rows.push([`idle: MQTT keepalive every ${i.natIntervalS} s (it replaces the NAT keepalives)`, `${num(i.perDay.mqttAtNatInterval / 1000)} kB/day`, 'no NAT keepalive goes out while anything else leaves within natKeepalive']);
  for (const n of notes) rows.push(['note', '', n]);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const reason = labUnavailableReason();
  if (reason) {
    console.log(`bench:apps skipped: ${reason}`);
    process.exit(0);
  }
  const t0 = Date.now();
  const { rows } = await appsBench({
    messages: Number(process.env.BENCH_APPS_MESSAGES ?? 10),
    imageBytes: Number(process.env.BENCH_APPS_IMAGE ?? 256 << 10),
    progress: (text) => process.stderr.write(`bench:apps ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s: ${text}\n`),
  });
  const width = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write('\nThe apps on the air (agent in Node, modem emulator at 115200 baud, slirp, strongSwan, ESP aes128gcm16 in UDP 4500)\n');
  for (const [label, value, note] of rows) process.stdout.write(`${label.padEnd(width)}  ${value.padStart(14)}  ${note}\n`);
}
