/**
 * The main job, on one desktop: a simulated cellular device brings up its IPsec tunnel through
 * the lab and does what it is for — MQTT, DNS and a firmware update through that one tunnel.
 *
 *   device agent ─UART─ modem emulator ─PPP─ slirp (carrier NAT) ─UDP─ strongSwan ─ 198.51.100.0/24
 *                                                         broker.lab.example (mosquitto), fw.lab.example (nginx), DNS
 *
 * The device side is written as an app on the device would be: the tunnel's ECMA-419 Resolver,
 * ikelet's MQTT client and firmware fetcher with the options `startAgent()` hands out
 * (`started.clients`, the ESP32's device.network.mqtt), the broker and firmware settings from the
 * manifest's config. It narrates, counts the bytes on the air per part, and tears everything down.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { describe, type AgentEvent } from '../../src/agent/agent.ts';
import { MQTTClient } from '../../src/mqtt/client.ts';
import { FirmwareFetcher } from '../../src/firmware/fetcher.ts';
import { HTTPClient } from '../../src/http/client.ts';
import { utf8 } from '../../src/util/bytes.ts';
import { loadManifest } from '../../scripts/manifest.ts';
import { DNS_ADDRESS, Lab, labUnavailableReason } from '../../test/lab/lab.ts';
import { MQTT_DEVICE, MQTT_OPS, BROKER_ADDRESS, FIRMWARE_ADDRESS, LAB_FIRMWARE_KEY } from '../../test/lab/app-services.ts';
import { run, startProcess, stopProcess, type LabProcess } from '../../test/lab/processes.ts';
import { SimDevice } from './device.ts';
import { FileSink } from './firmware-file-sink.ts';
import { FileStore } from './file-store.ts';
import { ServiceMeter } from './service-meter.ts';

const IMAGE_BYTES = 256 << 10;
const TELEMETRY_EVERY_MS = 3000;
const started = Date.now();
const say = (text: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The agent events worth a line in the story (rekeys and retries still show; modem chatter does not). */
const NARRATED = new Set<AgentEvent['type']>(['link-up', 'link-down', 'ike-up', 'nat-detected', 'child-up', 'child-down', 'child-rekeyed', 'ike-rekeyed', 'ike-error', 'link-stopped']);

async function demo(): Promise<number> {
  const unavailable = labUnavailableReason();
  if (unavailable) {
    process.stderr.write(`The demo runs the lab (network namespaces, a strongSwan gateway, slirp, mosquitto, nginx): ${unavailable}.\n`);
    return 1;
  }
  // The lab manifest plus what this device's apps use: the broker and the firmware server by name.
  const config = loadManifest('manifests/lab/manifest.json', {
    platform: 'sim',
    overrides: {
      logLevel: 'warn',
      mqttHost: 'broker.lab.example', mqttClientId: MQTT_DEVICE.user, mqttUser: MQTT_DEVICE.user, mqttPassword: MQTT_DEVICE.password, mqttKeepalive: 20,
      firmwareHost: 'fw.lab.example', firmwareVersion: '1.0.0', firmwareKeys: [LAB_FIRMWARE_KEY],
    },
  }).config;
  say('Starting the lab: a modem emulator, slirp as the carrier (PPP + NAT), a strongSwan gateway, and a private');
  say('network 198.51.100.0/24 with a DNS server, an MQTT broker (mosquitto) and a firmware server (nginx).');
  const lab = await Lab.start({ modem: { registrationDelayMs: 800 }, apps: { imageBytes: IMAGE_BYTES } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-demo-'));
  let device: SimDevice | undefined;
  let sub: LabProcess | undefined;
  try {
    say(`Lab up. The device dials *99# at ${config.uartBaud} baud and will reach the gateway at ${config.gateway} as "${config.localId}".`);
    device = new SimDevice({ config, serialPath: lab.serialPath, log: (level, component, message) => level === 'error' && say(`${component}: ${message}`) });
    const meter = new ServiceMeter(device, {
      'DNS (198.51.100.53:53)': { address: DNS_ADDRESS, port: 53 },
      'MQTT (broker.lab.example:1883)': { address: BROKER_ADDRESS, port: 1883 },
      'firmware (fw.lab.example:80)': { address: FIRMWARE_ADDRESS, port: 80 },
    });
    const times: Partial<Record<AgentEvent['type'], number>> = {};
    device.onEvent((e, now) => {
      times[e.type] ??= now;
      if (NARRATED.has(e.type)) say(describe(e));
    });
    device.start();
    const up = (await device.waitFor((e) => e.type === 'child-up' || (e.type === 'ike-error' && e.permanent), 90_000, 'the tunnel')) as AgentEvent;
    if (up.type !== 'child-up') throw new Error(`the tunnel did not come up: ${describe(up)}`);
    say(`PPP up → tunnel up took ${Math.round(times['child-up']! - times['link-up']!)} ms. Everything below goes through this one tunnel.`);
    const { sockets, clients, settings } = device.started;

    // DNS through the tunnel, with the resolver class an app gets.
    const resolver = new sockets.Resolver();
    for (const host of [settings.mqtt.host, settings.firmware.host]) {
      const address = await new Promise<string>((resolve, reject) => resolver.resolve({ host, onResolved: (_h, a) => resolve(a), onError: (_h, e) => reject(new Error(`DNS ${host}: ${e.message}`)) }));
      say(`DNS through the tunnel: ${host} is ${address}.`);
    }
    resolver.close();

    // The operator's view in the private network: mosquitto_sub on the device's telemetry.
    sub = startProcess('mosquitto_sub', 'ip', ['netns', 'exec', lab.priv, 'mosquitto_sub', '-h', BROKER_ADDRESS, '-u', MQTT_OPS.user, '-P', MQTT_OPS.password, '-t', 'devices/dev-1/telemetry', '-v', '-q', '1']);
    let shown = 0;
    const showSub = setInterval(() => {
      const lines = sub!.output().split('\n').filter((l) => l.startsWith('devices/'));
      for (; shown < lines.length; shown++) say(`  private network, mosquitto_sub got: ${lines[shown]}`);
    }, 200);

    // MQTT with the manifest's broker settings, as device.network.mqtt carries them on the ESP32.
    const { enabled: _mqttOn, ...mqttSettings } = settings.mqtt;
    const commands: string[] = [];
    const mqtt = await new Promise<MQTTClient>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no CONNACK from the broker')), 30_000);
      const client: MQTTClient = new MQTTClient({
        ...clients, ...mqttSettings,
        onControl(m) {
          if (m.operation === MQTTClient.CONNACK) {
            clearTimeout(timer);
            resolve(client);
          }
        },
        onReadable(count, info) {
          const text = String.fromCharCode(...new Uint8Array(this.read(count) ?? new ArrayBuffer(0)));
          commands.push(text);
          say(`  device: command arrived: ${info.topic} = ${text}`);
        },
        onError: (e) => say(`  device: MQTT ${e.name} (${e.message}); it reconnects by itself`),
      });
    });
    say(`MQTT: connected to ${mqttSettings.host}:${mqttSettings.port} as "${mqttSettings.id}" (keepalive ${mqttSettings.keepalive / 1000} s: its pings also keep the carrier's NAT open, so no NAT keepalives while it is up).`);
    mqtt.write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: 'devices/dev-1/cmd/#', QoS: 1 }] });
    let seq = 0;
    const publish = () => {
      const message = JSON.stringify({ seq: ++seq, temperature: +(21 + Math.sin(seq / 3)).toFixed(1), uptime: Math.round((Date.now() - started) / 1000) });
      mqtt.write(utf8(message), { topic: 'devices/dev-1/telemetry', QoS: 1 });
      say(`  device: telemetry published (QoS 1): ${message}`);
    };
    publish();
    const telemetry = setInterval(publish, TELEMETRY_EVERY_MS);
    await sleep(2 * TELEMETRY_EVERY_MS + 500);

    say('The operator sends a command from the private network: mosquitto_pub -t devices/dev-1/cmd/led -m on -q 1');
    await run('ip', ['netns', 'exec', lab.priv, 'mosquitto_pub', '-h', BROKER_ADDRESS, '-u', MQTT_OPS.user, '-P', MQTT_OPS.password, '-t', 'devices/dev-1/cmd/led', '-m', 'on', '-q', '1']);
    for (let i = 0; i < 50 && commands.length === 0; i++) await sleep(100);
    if (commands.length === 0) throw new Error('the command did not arrive at the device');

    // The firmware update, with the manifest's firmware settings, into a file (the simulator's sink).
    const image = lab.apps!.firmware!;
    say(`Firmware: ${settings.firmware.host} publishes ${image.version} (${image.size >> 10} KiB); this device runs ${settings.firmware.currentVersion}. Telemetry goes on meanwhile.`);
    const sink = new FileSink(path.join(dir, 'firmware.bin'));
    const store = new FileStore(path.join(dir, 'store.json')); // the floor survives the "reboot" below
    const { enabled: _fwOn, ...fwSettings } = settings.firmware;
    const fetched = new Promise<void>((resolve, reject) => {
      const fetcher = new FirmwareFetcher({
        settings: fwSettings,
        http: { io: HTTPClient, ...clients },
        sink,
        store,
        runtime: clients.runtime,
        onEvent(e) {
          if (e.type === 'firmware-manifest') say(`  manifest: version ${e.version}, ${e.size} bytes, ${e.newer ? 'newer than this device\'s floor' : 'not newer'}`);
          if (e.type === 'firmware-signature') say(`  manifest: Ed25519 signature verified with firmwareKeys[${e.keyIndex}] (${e.key.slice(0, 16)}…): downloading in 64 KiB Range requests`);
          if (e.type === 'firmware-progress') say(`  firmware: ${e.offset >> 10} / ${e.size >> 10} KiB`);
          if (e.type === 'firmware-resume') say(`  firmware: resuming at byte ${e.offset}`);
          if (e.type === 'firmware-error') say(`  firmware: ${e.error} (${e.detail}); it tries again`);
          if (e.type === 'firmware-installed') {
            say(`  firmware ${e.version}: SHA-256 ${e.sha256.slice(0, 16)}… over all ${e.size} bytes matches the manifest: accepted.`);
            fetcher.stop();
            resolve();
          }
          if (e.type === 'firmware-rejected') {
            fetcher.stop();
            reject(new Error(`firmware rejected: ${e.reason} ${e.detail}`));
          }
        },
      });
      fetcher.start();
    });
    const fwStart = Date.now();
    await fetched;
    const file = fs.readFileSync(sink.path);
    const digest = createHash('sha256').update(file).digest('hex');
    const goodput = (image.size * 1000) / (Date.now() - fwStart) / (config.uartBaud / 10);
    say(`Written to ${sink.path}: ${file.length} bytes, SHA-256 ${digest === image.sha256 ? 'identical to' : 'DIFFERENT from'} the server's image (${((Date.now() - fwStart) / 1000).toFixed(1)} s, ${(goodput * 100).toFixed(0)} % of the serial line).`);
    // Anti-rollback: a fresh fetcher reads the floor the install kept in store.json, as after a reboot.
    const refusedOld = await new Promise<boolean>((resolve) => {
      const again: FirmwareFetcher = new FirmwareFetcher({
        settings: fwSettings, http: { io: HTTPClient, ...clients }, sink, store, runtime: clients.runtime,
        onEvent(e) {
          if (e.type !== 'firmware-manifest' && e.type !== 'firmware-error') return;
          again.stop();
          if (e.type === 'firmware-manifest') say(`After a reboot (built-in ${fwSettings.currentVersion}, installed floor ${again.installedFloor} from ${path.basename(dir)}/store.json): the server's signed ${e.version} is ${e.newer ? 'NEWER (wrong)' : 'not above the floor: no download'}.`);
          resolve(e.type === 'firmware-manifest' && !e.newer);
        },
      });
      again.start();
    });

    clearInterval(telemetry);
    await sleep(1000);
    clearInterval(showSub);
    say(`MQTT: ${mqtt.counters.published} telemetry messages published, ${mqtt.counters.acknowledged} acknowledged; ${commands.length} command received.`);
    mqtt.close();
    await sleep(300);

    for (const line of meter.report()) say(line);

    say('Stopping: the device deletes its IKE SA, ends PPP and hangs up.');
    await device.stop();
    const ok = digest === image.sha256 && refusedOld && commands.length > 0 && mqtt.counters.acknowledged === seq;
    say(ok ? 'Done: MQTT, DNS and a verified firmware update through one tunnel. Tearing the lab down.' : 'Something went wrong (see above). Tearing the lab down.');
    return ok ? 0 : 1;
  } catch (e) {
    say(`FAILED: ${(e as Error).message}`);
    device?.close();
    return 1;
  } finally {
    if (sub) await stopProcess(sub);
    fs.rmSync(dir, { recursive: true, force: true });
    await lab.stop();
    say('Lab torn down: every process it started stopped, its namespaces deleted.');
  }
}

process.exitCode = await demo();
