/**
 * The private network's application servers, on real software like the rest of the lab:
 *   mosquitto (Debian)   broker.lab.example      198.51.100.20:1883  password file + ACL
 *   nginx-light (Debian) fw.lab.example          198.51.100.30:80    Range; signed manifest + 1 MiB image
 * and two hostile peers for the robustness tests (small Node programs in services/):
 *   hostile-broker.lab.example  198.51.100.21:1883  misbehaves as the CONNECT's client id says
 *   hostile-fw.lab.example      198.51.100.31:80    misbehaves as the request path says
 * Each is a process started and stopped by PID; the files live in the lab's own folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { publicKeyOf, signFields, signManifest } from '../../scripts/firmware-signer.ts';
import { nsRun } from './netns.ts';
import { run, startProcess, stopProcess, waitFor, type LabProcess } from './processes.ts';

export const BROKER_ADDRESS = '198.51.100.20';
export const HOSTILE_BROKER_ADDRESS = '198.51.100.21';
export const FIRMWARE_ADDRESS = '198.51.100.30';
export const HOSTILE_FIRMWARE_ADDRESS = '198.51.100.31';
export const MQTT_PORT = 1883;
export const HTTP_PORT = 80;

/** Accounts on the lab broker: the device, and an operator in the private network. */
export const MQTT_DEVICE = { user: 'dev-1', password: 'lab-device-password' };
export const MQTT_OPS = { user: 'ops', password: 'lab-ops-password' };

export const FIRMWARE_MANIFEST_PATH = '/firmware/manifest.json';
export const FIRMWARE_DEFAULT_SIZE = 1 << 20;

/** The lab's firmware signing key (derived from a public phrase, as the lab PSK: not a secret). */
export const LAB_FIRMWARE_SECRET_KEY = createHash('sha256').update('ikelet lab firmware signing key, not secret').digest('hex');
/** What a lab device lists in firmwareKeys. */
export const LAB_FIRMWARE_KEY = publicKeyOf(LAB_FIRMWARE_SECRET_KEY);
/** What services/hostile-http.mjs does by path, /NAME (and /m/NAME: a signed manifest naming /NAME). */
const HOSTILE_HTTP_MODES = ['endless-headers', 'long-line', 'bad-status', 'bad-length', 'truncated', 'truncated-chunked', 'silent'];

export interface AppServicesOptions {
  /** Size of the image served at first (the manifest names it). */
  imageBytes?: number;
  imageVersion?: string;
}

export interface PublishedFirmware {
  version: string;
  size: number;
  sha256: string;
  path: string;
  key?: string;
  signature?: string;
  image: Uint8Array;
}

/** A deterministic image: every byte depends on its offset, so any shift or flip shows. */
export function firmwareImage(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) & 0xff;
  }
  return out;
}

export class AppServices {
  private readonly processes: LabProcess[] = [];
  readonly www: string;
  firmware: PublishedFirmware | undefined;

  private constructor(readonly ns: string, readonly dir: string) {
    this.www = path.join(dir, 'www');
  }

  static async start(ns: string, labDir: string, options: AppServicesOptions = {}): Promise<AppServices> {
    const services = new AppServices(ns, path.join(labDir, 'apps'));
    try {
      await services.setUp(options);
    } catch (e) {
      await services.stop();
      throw e;
    }
    return services;
  }

  private async setUp(options: AppServicesOptions): Promise<void> {
    fs.mkdirSync(path.join(this.www, 'firmware'), { recursive: true });
    fs.mkdirSync(path.join(this.dir, 'nginx-temp'), { recursive: true });
    for (const address of [BROKER_ADDRESS, HOSTILE_BROKER_ADDRESS, FIRMWARE_ADDRESS, HOSTILE_FIRMWARE_ADDRESS]) {
      await nsRun(this.ns, 'ip', 'addr', 'add', `${address}/24`, 'dev', 'ikl-priv');
    }
    this.publishFirmware({ version: options.imageVersion ?? '1.1.0', image: firmwareImage(options.imageBytes ?? FIRMWARE_DEFAULT_SIZE) });
    await this.startMosquitto();
    await this.startNginx();
    const services = path.resolve('test/lab/services');
    const hostileBroker = startProcess('hostile-broker', 'ip', ['netns', 'exec', this.ns, process.execPath, path.join(services, 'hostile-broker.mjs'), HOSTILE_BROKER_ADDRESS, String(MQTT_PORT)]);
    // Its /m/NAME manifests are signed with the lab key, so the device goes on to the image and meets NAME there.
    const signed = path.join(this.dir, 'hostile-manifests.json');
    fs.writeFileSync(signed, JSON.stringify(Object.fromEntries(HOSTILE_HTTP_MODES.map((mode) => [mode, JSON.stringify(signFields({ version: '9.9.9', size: 65536, sha256: new Uint8Array(32), path: `/${mode}` }, LAB_FIRMWARE_SECRET_KEY))]))));
    const hostileHttp = startProcess('hostile-http', 'ip', ['netns', 'exec', this.ns, process.execPath, path.join(services, 'hostile-http.mjs'), HOSTILE_FIRMWARE_ADDRESS, String(HTTP_PORT), signed]);
    this.processes.push(hostileBroker, hostileHttp);
    await waitFor('the hostile broker', () => hostileBroker.output().includes('listening') || undefined, 10_000);
    await waitFor('the hostile HTTP server', () => hostileHttp.output().includes('listening') || undefined, 10_000);
  }

  private async startMosquitto(): Promise<void> {
    const passwd = path.join(this.dir, 'mosquitto.passwd');
    fs.writeFileSync(passwd, '');
    for (const account of [MQTT_DEVICE, MQTT_OPS]) await run('mosquitto_passwd', ['-b', passwd, account.user, account.password]);
    fs.chmodSync(passwd, 0o600);
    const acl = path.join(this.dir, 'mosquitto.acl');
    // The device writes its telemetry and reads its commands; the operator sees everything.
    fs.writeFileSync(acl, [
      'pattern write devices/%u/telemetry/#',
      'pattern write devices/%u/status',
      'pattern read devices/%u/cmd/#',
      'pattern read devices/%u/config',
      `user ${MQTT_OPS.user}`,
      'topic readwrite #',
      '',
    ].join('\n'));
    fs.chmodSync(acl, 0o600);
    const conf = path.join(this.dir, 'mosquitto.conf');
    fs.writeFileSync(conf, [
      'per_listener_settings false',
      `listener ${MQTT_PORT} ${BROKER_ADDRESS}`,
      'allow_anonymous false',
      `password_file ${passwd}`,
      `acl_file ${acl}`,
      'persistence false',
      'user root',
      'log_dest stderr', // unbuffered: stdout into a pipe would hold lines back
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      'connection_messages true',
      'max_queued_messages 1000',
      '',
    ].join('\n'));
    const broker = startProcess('mosquitto', 'ip', ['netns', 'exec', this.ns, '/usr/sbin/mosquitto', '-c', conf]);
    this.processes.push(broker);
    await waitFor('mosquitto', () => broker.output().includes('Opening ipv4 listen socket') || broker.child.exitCode !== null || undefined, 10_000);
    if (broker.child.exitCode !== null) throw new Error(`mosquitto exited: ${broker.output()}`);
  }

  private async startNginx(): Promise<void> {
    const temp = path.join(this.dir, 'nginx-temp');
    const conf = path.join(this.dir, 'nginx.conf');
    fs.writeFileSync(conf, [
      'daemon off;',
      'master_process off;',
      'worker_processes 1;',
      `pid ${path.join(this.dir, 'nginx.pid')};`,
      `error_log ${path.join(this.dir, 'nginx-error.log')} notice;`,
      'events { worker_connections 64; }',
      'http {',
      `  access_log ${path.join(this.dir, 'nginx-access.log')};`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${path.join(temp, t)};`),
      '  types { application/json json; application/octet-stream bin; }',
      '  default_type application/octet-stream;',
      '  keepalive_requests 1000;',
      `  server { listen ${FIRMWARE_ADDRESS}:${HTTP_PORT}; server_name fw.lab.example; root ${this.www}; location / { } }`,
      '}',
      '',
    ].join('\n'));
    const nginx = startProcess('nginx', 'ip', ['netns', 'exec', this.ns, '/usr/sbin/nginx', '-p', this.dir, '-e', path.join(this.dir, 'nginx-error.log'), '-c', conf]);
    this.processes.push(nginx);
    await waitFor('nginx', async () => {
      if (nginx.child.exitCode !== null) return true;
      const out = await run('ip', ['netns', 'exec', this.ns, 'ss', '-ltn'], { allowFail: true });
      return out.includes(`${FIRMWARE_ADDRESS}:${HTTP_PORT}`) || undefined;
    }, 10_000);
    if (nginx.child.exitCode !== null) throw new Error(`nginx exited: ${nginx.output()} ${fs.readFileSync(path.join(this.dir, 'nginx-error.log'), 'utf8')}`);
  }

  /**
   * Serves `image` as `version` with its manifest, signed with `secretKey` (the lab key by
   * default; null: unsigned). `corruptAt` flips one byte of the served file after the manifest's
   * digest was taken from the true image (the "bad server" case).
   */
  publishFirmware(o: { version: string; image: Uint8Array; corruptAt?: number; secretKey?: string | null }): PublishedFirmware {
    const file = `/firmware/image-${o.version}.bin`;
    const served = o.image.slice();
    if (o.corruptAt !== undefined) served[o.corruptAt]! ^= 0x01;
    fs.writeFileSync(path.join(this.www, file), served);
    const signed = signManifest({ version: o.version, path: file, image: o.image }, o.secretKey ?? LAB_FIRMWARE_SECRET_KEY);
    const { key: _k, signature: _s, ...unsigned } = signed;
    const manifest = o.secretKey === null ? unsigned : signed;
    fs.writeFileSync(path.join(this.www, FIRMWARE_MANIFEST_PATH), JSON.stringify(manifest));
    this.firmware = { ...manifest, image: o.image };
    return this.firmware;
  }

  /** Lines mosquitto logged (connections, refusals, disconnects). */
  brokerLog(): string[] {
    return this.output('mosquitto');
  }

  /** Lines the hostile peers printed, one per connection ("mode NAME from ADDR"). */
  hostileLog(): string[] {
    return [...this.output('hostile-broker'), ...this.output('hostile-http')].filter((l) => l.startsWith('mode '));
  }

  /** nginx's access log: one line per request with status and byte count. */
  firmwareAccessLog(): string[] {
    const file = path.join(this.dir, 'nginx-access.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  }

  pids(): number[] {
    return this.processes.map((p) => p.child.pid).filter((pid): pid is number => pid !== undefined);
  }

  async stop(): Promise<void> {
    for (const p of this.processes.splice(0)) await stopProcess(p).catch(() => {});
  }

  private output(name: string): string[] {
    return (this.processes.find((p) => p.name === name)?.output() ?? '').split('\n').filter(Boolean);
  }
}
