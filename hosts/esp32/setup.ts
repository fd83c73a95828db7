/**
 * ikelet's boot step on the ESP32 (Moddable module `setup/ikelet`): Moddable runs every `setup/*`
 * module before the project's main, so the agent runs and `device.network` is the tunnel's by the
 * time the user's main.js starts. It wires the device bundle to the board:
 *   modem UART -> ikelet/uart (ring buffer + RTS/CTS), pins and baud from config
 *   timer      -> one re-armable Moddable Timer
 *   clock      -> Time.ticks
 *   random     -> ikelet/random (hardware RNG with entropy source)
 *   logs       -> trace()
 *   modem pins -> modemPowerPin / modemResetPin through ECMA-419 Digital (device.io.Digital), when
 *                 the project includes Moddable's io and the config wires a pin (the ladder's power rung)
 *   sockets    -> device.network (ECMA-419 TCP, UDP, Listener, DNS over the tunnel)
 *   clients    -> device.network.mqtt / .http: the SDK's client when the project includes it
 *                 (embedded:network/mqtt/client, .../http/client), else ikelet's when bundled
 *                 (mqttHost, firmwareHost, `clients`); over the tunnel's sockets either way
 *   status     -> device.network.ikelet (the tunnel's state, virtual IP, last error, onChanged)
 *   firmware   -> the fetcher into Moddable's OTA module, when `firmwareHost` is set; the highest
 *                 version installed (anti-rollback) in NVS through Moddable's preference module
 * build:esp32 / build:ikelet compile this file to setup.js; `mc/config` is the manifest's config,
 * validated and completed with defaults at build time (src/config/validate.ts) and again here.
 */
import config from 'mc/config';
import Timer from 'timer';
import Time from 'time';
import UART from 'ikelet/uart';
import { fillRandom, randomBytes } from 'ikelet/random';
import OTA from 'ota';
import Preference from 'preference';
import { APP_CLIENTS, Logger, neededClients, ownConfig, startAgent } from 'ikelet';
import { OtaSink } from './ota-sink.ts';
import { PreferenceStore } from './preference-store.ts';
import type { ManifestConfig } from '../../src/config/validate.ts';
import type { ModemPins, Platform } from '../../src/platform.ts';

// The project's config is one flat object: mcconfig's own settings (format, rotation) and the app's
// keys sit beside ikelet's. The agent takes its own (and near misses, which the validator names).
// IKELET_FOREIGN_KEYS: what the build (build:ikelet / build:esp32) found to be those, passed over
// without a near-miss search.
declare const IKELET_FOREIGN_KEYS: readonly string[];
const { config: ownSettings, foreign } = ownConfig(config, IKELET_FOREIGN_KEYS);
const agentConfig = ownSettings as unknown as ManifestConfig;

// noble falls back to crypto.getRandomValues when code asks it for randomness; Moddable has none.
const g = globalThis as { crypto?: { getRandomValues?: <T extends ArrayBufferView>(a: T) => T } };
if (!g.crypto?.getRandomValues) g.crypto = { ...(g.crypto ?? {}), getRandomValues: (a) => fillRandom(a) };

let receiver: (bytes: Uint8Array) => void = () => {};
let drained: () => void = () => {};
// Bytes the transmit ring could not take yet (write never waits); the agent keeps this small.
const backlog: Uint8Array[] = [];
let backlogBytes = 0;
const flushBacklog = () => {
  while (backlog.length) {
    const head = backlog[0]!;
    const n = uart.write(head);
    backlogBytes -= n;
    if (n < head.length) {
      backlog[0] = head.subarray(n);
      return;
    }
    backlog.shift();
  }
};
const uart = new UART({
  port: agentConfig.uartPort,
  transmit: agentConfig.uartTx,
  receive: agentConfig.uartRx,
  rts: agentConfig.uartRts,
  cts: agentConfig.uartCts,
  baud: agentConfig.uartBaud,
  receiveBufferSize: 8192, // ~0.7 s of 115200 baud: longer than the longest turn (x25519)
  onReadable() {
    // Drain everything: the native side posts again only when new bytes arrive.
    for (let chunk = this.read(); chunk; chunk = this.read()) receiver(new Uint8Array(chunk));
  },
  onWritable() {
    flushBacklog();
    drained();
  },
});

/**
 * PWRKEY/RESET as GPIO outputs, from Moddable's ECMA-419 host provider when the project has it
 * (device.io.Digital: its manifest includes $(MODDABLE)/modules/io/manifest.json). Asserted is 1: the
 * GPIO drives the board's transistor, which pulls the modem's line low. Without it the ladder has no
 * power rung (trace says so).
 */
type DigitalOut = { write(value: number): void };
type DigitalClass = { new (options: { pin: number; mode: number }): DigitalOut; readonly Output: number };
function modemPins(): ModemPins | undefined {
  const wanted = agentConfig.modemPowerPin >= 0 || agentConfig.modemResetPin >= 0;
  const Digital = (globalThis as { device?: { io?: { Digital?: DigitalClass } } }).device?.io?.Digital;
  if (!wanted) return undefined;
  if (!Digital) {
    trace('ikelet: modemPowerPin/modemResetPin set, but this build has no device.io.Digital (include $(MODDABLE)/modules/io/manifest.json): no power rung\n');
    return undefined;
  }
  const open = (pin: number) => {
    if (pin < 0) return undefined;
    const out = new Digital({ pin, mode: Digital.Output });
    out.write(0);
    return out;
  };
  const lines = { power: open(agentConfig.modemPowerPin), reset: open(agentConfig.modemResetPin) };
  return { set: (line, active) => lines[line]?.write(active ? 1 : 0) };
}

let armed: object | undefined;
const pins = modemPins();
const platform: Platform = {
  ...(pins ? { modemPins: pins } : {}),
  config: agentConfig,
  serial: {
    write(bytes) {
      const n = backlog.length ? 0 : uart.write(bytes);
      if (n < bytes.length) {
        backlog.push(bytes.slice(n));
        backlogBytes += bytes.length - n;
      }
    },
    queued: () => uart.queued + backlogBytes,
    onWritable: (handler) => { drained = handler; },
    onReceive: (handler) => { receiver = handler; },
  },
  clock: { now: () => Time.ticks },
  timer: {
    schedule(at, fire) {
      if (armed) Timer.clear(armed);
      armed = undefined;
      if (at === undefined) return;
      armed = Timer.set(() => {
        armed = undefined;
        fire();
      }, Math.max(0, at - Time.ticks));
    },
  },
  random: { bytes: (length) => randomBytes(length) },
  log: (level, component, message) => trace(`${level} ${component}: ${message}\n`),
};

trace(`ikelet: gateway ${agentConfig.gateway}, modem on UART${agentConfig.uartPort} at ${agentConfig.uartBaud} baud${foreign.length ? `; config keys left to the app: ${foreign.join(', ')}` : ''}\n`);
// build:esp32 bundles only the app clients the manifest needs (src/app/clients-config.ts).
const { MQTTClient, HTTPClient, FirmwareFetcher } = APP_CLIENTS;
const bundled = Object.keys(APP_CLIENTS);
const { sockets, clients, settings, status } = startAgent(platform);
// A config changed after the build (mcconfig key=value) can ask for a client the bundle lacks.
for (const name of neededClients({ mqttHost: settings.mqtt.host, firmwareHost: settings.firmware.host, clients: settings.appClients })) {
  if (!bundled.includes(name)) trace(`ikelet: the config asks for ${name}, which this build does not carry: build again (npm run build:esp32) with this config\n`);
}

// The ECMA-419 network of this device is the tunnel. Apps take their classes from device.network
// as on any Moddable host, in the SDK's shape `{ io, socket: { io: TCP }, dns: { io: Resolver } }`:
//   const mqtt = device.network.mqtt;
//   const client = new mqtt.io({ ...mqtt, host: 'broker.lab.example', id: 'dev-1', onReadable(count, info) { ... } });
// A project that includes the SDK's MQTT or HTTP client has an entry from the SDK's config module
// already (preloaded, over lwIP): its `io` is kept and its socket and DNS become the tunnel's.
// Otherwise mqtt.io and http.io are ikelet's clients (docs/apps.md), which also carry `runtime` (the
// agent's clock, a timer each, randomness); with `mqttHost` set, device.network.mqtt also carries
// the manifest's broker settings, so `new mqtt.io({ ...mqtt, onReadable ... })` connects as configured.
// DNS goes to the servers the gateway handed out; `servers` is accepted and unused.
const dns = { io: sockets.Resolver, servers: [] as string[], socket: { io: sockets.UDP } };
const { enabled: mqttConfigured, ...mqttSettings } = settings.mqtt;
const g2 = globalThis as { device?: { network?: Record<string, object | undefined> } & Record<string, unknown> };
const existing = g2.device?.network ?? {};
/** An entry a client module of the project put there before us (the SDK's config modules do, preloaded). */
const sdkEntry = (name: string) => {
  const e = existing[name] as { io?: unknown } | undefined;
  return e?.io ? e : undefined;
};
const sdkMqtt = sdkEntry('mqtt');
const sdkHttp = sdkEntry('http');
const overTunnel = { socket: { io: sockets.TCP }, dns };
const mqtt = sdkMqtt ? { ...sdkMqtt, ...overTunnel } : MQTTClient && { io: MQTTClient, ...clients, dns, ...(mqttConfigured ? mqttSettings : {}) };
const ikeletHttp = HTTPClient && { io: HTTPClient, ...clients, dns };
const http = sdkHttp ? { ...sdkHttp, ...overTunnel } : ikeletHttp;
// Frozen as plain containers, not deeply: Moddable's deep freeze would reach through the socket
// classes and the runtime into the running agent's state (and fails on it).
const entry = <T extends Record<string, unknown>>(o: T): Readonly<T> => {
  for (const v of Object.values(o)) if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) Object.freeze(v);
  return Object.freeze(o);
};
const network = Object.freeze({
  ...existing,
  tcp: entry({ io: sockets.TCP }),
  udp: entry({ io: sockets.UDP }),
  listener: entry({ io: sockets.Listener }),
  dns: entry(dns),
  ...(mqtt && { mqtt: entry(mqtt) }),
  ...(http && { http: entry(http) }),
  ikelet: status,
});
g2.device = Object.freeze({ ...g2.device, network });
// Say what apps find, and why an app client is missing (a firmware engineer looking for device.network.mqtt).
trace(`ikelet: device.network: ${Object.keys(network).join(', ')}; app clients in this build: ${bundled.join(', ') || 'none'}${sdkMqtt || sdkHttp ? `; the SDK's ${[sdkMqtt && 'mqtt', sdkHttp && 'http'].filter(Boolean).join(' and ')} client over the tunnel` : ''}\n`);
if (!mqtt) trace('ikelet: no device.network.mqtt: the MQTT client is bundled only with mqttHost, or clients ["mqtt"], in the manifest config\n');
if (!http) trace('ikelet: no device.network.http: the HTTP client is bundled only with firmwareHost, or clients ["http"], in the manifest config\n');

// Firmware updates: the manifest from `firmwareHost`, acted on only when signed by a key of
// `firmwareKeys` and above the version floor kept in NVS; the image in Range requests through the
// tunnel into the next OTA partition; OtaSink completes it (makes it bootable) only when the
// SHA-256 over the whole image is the manifest's. Restart into it when the app sees fit.
const { enabled: firmwareConfigured, ...firmwareSettings } = settings.firmware;
if (firmwareConfigured && FirmwareFetcher && ikeletHttp) {
  new FirmwareFetcher({
    settings: firmwareSettings,
    http: ikeletHttp,
    sink: new OtaSink(OTA),
    store: new PreferenceStore(Preference),
    runtime: clients.runtime,
    log: new Logger(platform.log, 'firmware', settings.logLevel),
  }).start();
}

/** Moddable calls every setup module's default export before main; the agent is running by now. */
export default function setup(done: () => void): void {
  done();
}
