/**
 * A real strongSwan IKEv2 responder (charon-systemd with userspace ESP through
 * kernel-libipsec), configured from parameters so each test asks for the gateway it needs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { run, startProcess, stopProcess, waitFor, type LabProcess } from './processes.ts';
import { parseVici, type ViciSection } from './vici-text.ts';

export interface GatewayOptions {
  ikeProposals: string[];
  espProposals: string[];
  psk: string;
  /** The gateway's own identity (what the device expects as IDr). */
  localId: string;
  /** The device identity the gateway accepts (IDi). */
  remoteId: string;
  /** Virtual IP pool handed out in CP replies. */
  pool: string;
  /** DNS servers handed out in CP replies. */
  dns: string[];
  /**
   * The private network behind the gateway (CIDRs). Each must contain an address of the gateway
   * (the lab's: 198.51.100.1): kernel-libipsec installs the route of each outbound policy with a
   * source address inside its local TS, fails without one, and the CHILD SA is then refused as
   * TS_UNACCEPTABLE. The lab refuses such a localTs at start (checkLocalTs).
   */
  localTs: string[];
  ikeRekeyTime: number; // s, 0 = never
  /** s the IKE SA may outlive rekey_time while a rekey is retried (strongSwan default, 0 here: 10% of rekey_time). */
  ikeOverTime: number;
  childRekeyTime: number; // s, 0 = never
  dpdDelay: number; // s, 0 = off
  /** RFC 7296 2.6: half-open IKE SAs at which the gateway demands COOKIEs (strongSwan: 0 = never). */
  cookieThreshold: number;
  cookieThresholdIp: number;
  blockThreshold: number;
  /** Log derived keys (level 4) so tests can build Wireshark key tables. */
  logKeys: boolean;
  /**
   * s between the gateway's own NAT-T keepalives (strongSwan's keep_alive, default 20). In the lab the
   * gateway believes itself behind a NAT too (it listens on 127.0.0.1, the device aims at 10.0.2.2),
   * so it sends them; 0 models a gateway on a public address, which sends none.
   */
  keepAlive: number;
  /** s after which the gateway makes the device re-authenticate (RFC 4478 AUTH_LIFETIME), 0 = never. */
  reauthTime: number;
  /** What a new IKE SA of the same identity does to the old ones (swanctl `unique`). */
  unique: 'no' | 'never' | 'keep' | 'replace';
  /** RFC 4555 (swanctl `mobike`, strongSwan's default yes); no: the device moves by RFC 7296 2.23 alone. */
  mobike: boolean;
  /** Largest IP datagram of an IKE fragment the gateway sends (charon fragment_size), 0 = strongSwan's default (1280). */
  fragmentSize: number;
}

export const DEFAULT_GATEWAY: GatewayOptions = {
  ikeProposals: ['aes128gcm16-prfsha256-x25519'],
  espProposals: ['aes128gcm16'],
  psk: 'lab-psk-not-secret-0123456789',
  localId: 'gateway.example.net',
  remoteId: 'device1.example.com',
  pool: '192.0.2.0/24',
  dns: ['198.51.100.53'],
  localTs: ['198.51.100.0/24'],
  ikeRekeyTime: 0,
  ikeOverTime: 0,
  childRekeyTime: 0,
  dpdDelay: 0,
  // Every client arrives from one address through slirp: the stock limits (3/5) would
  // start asking for cookies and blocking after a few test runs.
  cookieThreshold: 1000,
  cookieThresholdIp: 1000,
  blockThreshold: 1000,
  logKeys: false,
  keepAlive: 20,
  reauthTime: 0,
  unique: 'no',
  mobike: true,
  fragmentSize: 0,
};

/** What differs between a charon of the lab (gateway, or the strongSwan initiator) in strongswan.conf. */
export interface CharonConfOptions {
  logKeys: boolean;
  /** Plugins after the base set (nonce openssl kdf kernel-libipsec kernel-netlink socket-default vici). */
  extraPlugins?: string[];
  /** Lines inside `charon-systemd { … }` (one key per line, strongSwan reads a value to the line's end). */
  settings?: string[];
  /** Lines inside `plugins { … }` besides vici's socket. */
  pluginSettings?: string[];
}

export function strongswanConf(dir: string, o: GatewayOptions): string {
  return charonConf(dir, {
    logKeys: o.logKeys,
    settings: [`cookie_threshold = ${o.cookieThreshold}`, `cookie_threshold_ip = ${o.cookieThresholdIp}`, `block_threshold = ${o.blockThreshold}`, `keep_alive = ${o.keepAlive}s`, ...(o.fragmentSize ? [`fragment_size = ${o.fragmentSize}`] : [])],
  });
}

export function charonConf(dir: string, o: CharonConfOptions): string {
  const keyLevels = o.logKeys ? ['ike = 4', 'chd = 4', 'enc = 1', 'cfg = 1', 'net = 2'] : ['ike = 2', 'chd = 2', 'cfg = 2', 'net = 2'];
  return [
    'charon-systemd {',
    `  load = ${['nonce openssl kdf kernel-libipsec kernel-netlink socket-default vici', ...(o.extraPlugins ?? [])].join(' ')}`,
    '  port = 500',
    '  port_nat_t = 4500',
    ...(o.settings ?? []).map((l) => `  ${l}`),
    '  journal {',
    '    default = -1',
    '  }',
    '  filelog {',
    '    lab {',
    `      path = ${path.join(dir, 'charon.log')}`,
    '      time_format = %H:%M:%S',
    '      flush_line = yes',
    '      default = 1',
    ...keyLevels.map((l) => `      ${l}`),
    '    }',
    '  }',
    '  plugins {',
    '    vici {',
    `      socket = unix://${path.join(dir, 'vici.sock')}`,
    '    }',
    ...(o.pluginSettings ?? []).map((l) => `    ${l}`),
    '  }',
    '}',
    'swanctl {',
    `  socket = unix://${path.join(dir, 'vici.sock')}`,
    '}',
    '',
  ].join('\n');
}

export function swanctlConf(o: GatewayOptions): string {
  const lines = [
    'connections {',
    '  device {',
    '    version = 2',
    `    proposals = ${o.ikeProposals.join(',')}`,
    '    pools = lab',
    `    rekey_time = ${o.ikeRekeyTime}s`,
    ...(o.reauthTime ? [`    reauth_time = ${o.reauthTime}s`] : []),
    `    unique = ${o.unique}`,
    `    mobike = ${o.mobike ? 'yes' : 'no'}`,
    ...(o.ikeOverTime ? [`    over_time = ${o.ikeOverTime}s`] : []),
    `    dpd_delay = ${o.dpdDelay}s`,
    '    local {',
    '      auth = psk',
    `      id = ${o.localId}`,
    '    }',
    '    remote {',
    '      auth = psk',
    `      id = ${o.remoteId}`,
    '    }',
    '    children {',
    '      net {',
    `        local_ts = ${o.localTs.join(',')}`,
    `        esp_proposals = ${o.espProposals.join(',')}`,
    `        rekey_time = ${o.childRekeyTime}s`,
    '        mode = tunnel',
    '      }',
    '    }',
    '  }',
    '}',
    'pools {',
    '  lab {',
    `    addrs = ${o.pool}`,
    `    dns = ${o.dns.join(',')}`,
    '  }',
    '}',
    'secrets {',
    '  ike-device {',
    `    id-gateway = ${o.localId}`,
    `    id-device = ${o.remoteId}`,
    `    secret = ${swanctlString(o.psk)}`,
    '  }',
    '}',
    '',
  ];
  return lines.join('\n');
}

/**
 * A value as a double-quoted swanctl.conf string: strongSwan's lexer takes the character after a
 * backslash as it is (dropping the backslash), so both `\` and `"` are escaped. Control characters
 * are refused rather than guessed at.
 */
export function swanctlString(value: string): string {
  if (/[\x00-\x1f\x7f]/.test(value)) throw new Error('swanctl.conf string with a control character: not supported by the lab');
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Refuses a localTs with an entry that holds none of `gatewayAddresses` (see GatewayOptions.localTs). */
export function checkLocalTs(localTs: readonly string[], gatewayAddresses: readonly string[]): void {
  for (const ts of localTs) {
    if (!gatewayAddresses.some((a) => cidrContains(ts, a))) {
      throw new Error(`gateway localTs ${ts} holds no address of the gateway (${gatewayAddresses.join(', ')}): kernel-libipsec could not install its route and the CHILD SA would fail as TS_UNACCEPTABLE`);
    }
  }
}

function cidrContains(cidr: string, address: string): boolean {
  const [net, bits = '32'] = cidr.split('/');
  const toU32 = (a: string): number | undefined => {
    const p = a.split('.').map(Number);
    return p.length === 4 && p.every((x) => Number.isInteger(x) && x >= 0 && x <= 255) ? ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0 : undefined;
  };
  const n = toU32(net!), a = toU32(address), b = Number(bits);
  if (n === undefined || a === undefined || !Number.isInteger(b) || b < 0 || b > 32) throw new Error(`gateway localTs ${cidr}: expected an IPv4 CIDR`);
  const mask = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
  return ((n & mask) >>> 0) === ((a & mask) >>> 0);
}

/** One charon-systemd in a namespace, with its config, vici socket and log in its own folder. */
export class Charon {
  private process?: LabProcess;
  readonly conf: string;
  readonly swanctl: string;
  readonly logPath: string;
  private readonly socket: string;

  constructor(
    readonly namespace: string,
    readonly dir: string,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.conf = path.join(dir, 'strongswan.conf');
    this.swanctl = path.join(dir, 'swanctl.conf');
    this.logPath = path.join(dir, 'charon.log');
    this.socket = path.join(dir, 'vici.sock');
  }

  /** Writes the configuration, starts charon and loads the connections and secrets. */
  async startWith(strongswanConfText: string, swanctlConfText: string): Promise<void> {
    fs.writeFileSync(this.conf, strongswanConfText);
    fs.writeFileSync(this.swanctl, swanctlConfText, { mode: 0o600 });
    fs.rmSync(this.socket, { force: true }); // a killed charon leaves its socket behind
    const p = startProcess('charon', 'ip', ['netns', 'exec', this.namespace, 'charon-systemd'], { env: { ...process.env, STRONGSWAN_CONF: this.conf } });
    this.process = p;
    await waitFor('the charon vici socket', () => {
      if (p.child.exitCode !== null) throw new Error(`charon-systemd exited (${p.child.exitCode}): ${p.output()}`);
      return fs.existsSync(this.socket) || undefined;
    }, 15_000);
    await this.swanctlCmd('--load-all', '--file', this.swanctl);
  }

  swanctlCmd(...args: string[]): Promise<string> {
    return run('env', [`STRONGSWAN_CONF=${this.conf}`, 'swanctl', ...args]);
  }

  async listSas(): Promise<ViciSection> {
    return parseVici(await this.swanctlCmd('--list-sas', '--pretty'));
  }

  async listConns(): Promise<ViciSection> {
    return parseVici(await this.swanctlCmd('--list-conns', '--pretty'));
  }

  log(): string {
    return fs.existsSync(this.logPath) ? fs.readFileSync(this.logPath, 'latin1') : '';
  }

  pid(): number | undefined {
    return this.process?.child.pid;
  }

  /** Graceful stop (SIGTERM, SIGKILL after the grace time), or `crash`: SIGKILL at once, nothing sent. */
  async stop(crash = false): Promise<void> {
    if (!this.process) return;
    await stopProcess(this.process, crash ? 0 : 3000);
  }
}

/** The lab's strongSwan responder, written from `options` (each test asks for the gateway it needs). */
export class Gateway extends Charon {
  constructor(
    namespace: string,
    dir: string,
    readonly options: GatewayOptions,
  ) {
    super(namespace, dir);
  }

  start(): Promise<void> {
    return this.startWith(strongswanConf(this.dir, this.options), swanctlConf(this.options));
  }

  /**
   * The gateway crashes and comes back: charon killed (no DELETE, no notify sent), every IKE and
   * CHILD SA forgotten, then started again with the same configuration. `downMs` is the outage.
   */
  async restart(downMs = 0): Promise<void> {
    await this.stop(true);
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }
}
