/**
 * Runs one app scenario (app-scenarios.ts) with the device's client app (test/e2e/client-app.ts)
 * over Node's sockets behind the ECMA-419 classes, inside a lab namespace:
 *   ip netns exec <priv> node --import tsx test/lab/app-clients-cli.ts <scenario> '<json>'
 * Firmware goes to a file (the simulator's sink). Prints the scenario's result as one JSON line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { FileSink } from '../../hosts/sim/firmware-file-sink.ts';
import { EventLog } from '../../hosts/sim/event-log.ts';
import { ClientApp, type ClientCommand } from '../e2e/client-app.ts';
import { DNS_ADDRESS } from './lab.ts';
import { MQTT_OPS } from './app-services.ts';
import { NodeResolverClass, NodeTcp, nodeClientRuntime } from './node-ecma419.ts';
import { firmwareUpdate, mqttExchange, mqttHostile, mqttWrongPassword, type AppChannel } from './app-scenarios.ts';

/** QoS 1 commands from the private network, one mosquitto_pub connection for all of them. */
function publishCommands(topic: string, messages: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const pub = spawn('mosquitto_pub', ['-h', 'broker.lab.example', '-u', MQTT_OPS.user, '-P', MQTT_OPS.password, '-t', topic, '-q', '1', '-l'], { stdio: ['pipe', 'ignore', 'inherit'] });
    pub.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mosquitto_pub exited ${code}`))));
    pub.stdin.end(`${messages.join('\n')}\n`);
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-fw-'));
const file = new FileSink(path.join(dir, 'firmware.bin'));
const log = new EventLog();
const clients = new ClientApp(
  { socket: { io: NodeTcp }, dns: { io: NodeResolverClass, servers: [DNS_ADDRESS] }, runtime: nodeClientRuntime },
  (e) => log.push(e as never),
  () => file,
);
const app: AppChannel = {
  events: log.events,
  command: (c) => clients.command(c as ClientCommand),
  waitFor: (m, t, w) => log.waitFor(m, t, w),
  memoryBytes: () => process.memoryUsage().arrayBuffers,
};

const [scenario = '', json = '{}'] = process.argv.slice(2);
const args = JSON.parse(json) as Record<string, unknown>;
let result: unknown;
switch (scenario) {
  case 'mqtt-exchange':
    result = await mqttExchange(app, { count: Number(args.count ?? 20), timeoutMs: 30_000, publishCommands });
    break;
  case 'mqtt-wrong-password':
    result = await mqttWrongPassword(app, Number(args.watchMs ?? 8000));
    break;
  case 'mqtt-hostile':
    result = await mqttHostile(app, args.modes as string[]);
    break;
  case 'firmware': {
    const settings = { ...(args.host ? { host: args.host as string } : {}), ...(args.manifestPath ? { manifestPath: args.manifestPath as string } : {}) };
    const r = await firmwareUpdate(app, { timeoutMs: Number(args.timeoutMs ?? 60_000), settings, stopOn: args.stopOn as never });
    const written = fs.existsSync(file.path) ? fs.readFileSync(file.path) : undefined;
    result = { ...r, file: written ? { size: written.length, sha256: createHash('sha256').update(written).digest('hex') } : undefined, partLeft: fs.existsSync(file.partPath) };
    break;
  }
  default:
    throw new Error(`unknown scenario ${scenario}`);
}
fs.rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
