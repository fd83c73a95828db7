/**
 * The interop lab: real peers in network namespaces that this run creates and deletes.
 *
 *   agent ── serial (pty) ── slirp-fullbolt (PPP peer + carrier NAT)      ns "wan"
 *                               │ UDP to 10.0.2.2 = wan's loopback
 *                               ▼
 *                            charon (strongSwan, kernel-libipsec → ipsec0)  ns "wan"
 *                               │ veth 198.51.100.1
 *                               ▼
 *                            private network 198.51.100.0/24               ns "priv"
 *                              echo 198.51.100.10:7, DNS 198.51.100.53 (names *.lab.example)
 *                              TCP on Linux's stack at 198.51.100.10: echo 7, discard 9,
 *                              sink 5001, source 5002 (services/tcp-services.mjs)
 *
 * slirp maps 10.0.2.2 to the loopback of the namespace it runs in, so the carrier and the
 * gateway's public side share the "wan" namespace; the gateway still sees the device
 * behind a NAT (127.0.0.1 with a slirp-chosen port), so NAT traversal is real.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createNamespace, deleteNamespace, namespaceName, nsRun, removeStaleNamespaces } from './netns.ts';
import { run, startProcess, stopProcess, waitFor, type LabProcess } from './processes.ts';
import { checkLocalTs, DEFAULT_GATEWAY, Gateway, type GatewayOptions } from './strongswan.ts';
import { Slirp, slirpSocatArgs } from './slirp.ts';
import { ModemEmulator, type ModemEmulatorOptions } from './modem-emulator.ts';
import { SwanInitiator } from './swan-initiator.ts';
import type { ManifestConfig } from '../../src/config/validate.ts';
import { AppServices, type AppServicesOptions } from './app-services.ts';

export const PRIVATE_NET = '198.51.100.0/24';
export const GATEWAY_INNER = '198.51.100.1';
export const ECHO_ADDRESS = '198.51.100.10';
export const ECHO_PORT = 7;
/** TCP services of services/tcp-services.mjs on ECHO_ADDRESS; CLOSED_PORT has nothing listening. */
export const TCP_PORTS = { echo: 7, discard: 9, sink: 5001, source: 5002 } as const;
export const CLOSED_PORT = 19;
export const DNS_ADDRESS = '198.51.100.53';
/** What the device dials through slirp to reach the gateway. */
export const GATEWAY_VIA_SLIRP = '10.0.2.2';

export interface LabOptions {
  gateway?: Partial<GatewayOptions>;
  /** Start slirp on a pty (the default); false for tests that only need the gateway side. */
  slirp?: boolean;
  /**
   * Put the modem emulator in front of the carrier: the agent talks AT to it, and on
   * ATD it bridges the call to a fresh slirp. Replaces the bare slirp pty.
   */
  modem?: Omit<ModemEmulatorOptions, 'link' | 'bridge'>;
  /**
   * strongSwan's own initiator on the device's path (needs `modem`): charon in a namespace of
   * its own ("cli") dialling the same modem emulator; the modem and PPP settings come from
   * this device configuration (see swan-initiator.ts).
   */
  swanInitiator?: { device: ManifestConfig; logKeys?: boolean };
  /** The application servers (mosquitto, nginx, the hostile peers): see app-services.ts. */
  apps?: boolean | AppServicesOptions;
}

/** An "internet host" on the carrier side: UDP echo on the wan loopback, 10.0.2.2:7 through slirp. */
export const CARRIER_ECHO_VIA_SLIRP = { address: '10.0.2.2', port: 7 };

let runCounter = 0;
const liveLabs = new Set<Lab>();

export class Lab {
  readonly wan: string;
  readonly priv: string;
  readonly cli: string;
  readonly dir: string;
  readonly gateway: Gateway;
  readonly slirp?: Slirp;
  modem?: ModemEmulator;
  /** strongSwan's initiator, when the lab was started with `swanInitiator`. */
  initiator?: SwanInitiator;
  private readonly modemOptions?: LabOptions['modem'];
  private readonly initiatorOptions?: LabOptions['swanInitiator'];
  private readonly appsOptions?: AppServicesOptions;
  apps?: AppServices;
  private echo?: LabProcess;
  private tcp?: LabProcess;
  private loss = 0;
  private carrierEcho?: LabProcess;
  private dns?: LabProcess;
  private stopped = false;

  private constructor(options: LabOptions) {
    const n = ++runCounter;
    this.wan = namespaceName(process.pid, n, 'wan');
    this.priv = namespaceName(process.pid, n, 'priv');
    this.cli = namespaceName(process.pid, n, 'cli');
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `ikelet-lab-${process.pid}-${n}-`));
    const gateway = { ...DEFAULT_GATEWAY, ...options.gateway };
    checkLocalTs(gateway.localTs, [GATEWAY_INNER]);
    this.gateway = new Gateway(this.wan, this.dir, gateway);
    this.modemOptions = options.modem;
    this.initiatorOptions = options.swanInitiator;
    if (options.swanInitiator && !options.modem) throw new Error('the strongSwan initiator dials the modem emulator: give the lab a `modem`');
    if (options.apps) this.appsOptions = options.apps === true ? {} : options.apps;
    if (options.slirp !== false && !options.modem) this.slirp = new Slirp(this.wan, this.dir);
  }

  static async start(options: LabOptions = {}): Promise<Lab> {
    assertCanRunLab();
    await removeStaleNamespaces();
    const lab = new Lab(options);
    liveLabs.add(lab);
    installEmergencyCleanup();
    try {
      await lab.buildNetwork();
      await lab.startServices();
      if (lab.appsOptions) lab.apps = await AppServices.start(lab.priv, lab.dir, lab.appsOptions);
      await lab.gateway.start();
      await lab.slirp?.start();
      if (lab.modemOptions) await lab.startModem(lab.modemOptions);
      if (lab.initiatorOptions) await lab.startInitiator(lab.initiatorOptions);
    } catch (e) {
      await lab.stop();
      throw e;
    }
    return lab;
  }

  /** The serial device path the agent opens: the modem emulator's pty, or slirp's bare PPP pty. */
  get serialPath(): string {
    if (this.modem) return this.modem.link;
    if (!this.slirp) throw new Error('this lab runs without slirp');
    return this.slirp.ptyPath;
  }

  private async startModem(options: NonNullable<LabOptions['modem']>): Promise<void> {
    const log = fs.createWriteStream(path.join(this.dir, 'modem.log'));
    this.modem = await ModemEmulator.start({
      log: (line) => log.write(`${line}\n`),
      ...options,
      link: path.join(this.dir, 'modem-tty'),
      // Each data call reaches a fresh slirp, like a new PDP context behind the carrier's NAT.
      bridge: ['ip', 'netns', 'exec', this.wan, 'socat', ...slirpSocatArgs('STDIO')],
    });
  }

  private async startInitiator(options: NonNullable<LabOptions['swanInitiator']>): Promise<void> {
    await createNamespace(this.cli);
    this.initiator = new SwanInitiator(this.cli, path.join(this.dir, 'initiator'), this.serialPath, {
      gateway: this.gateway.options,
      remoteAddress: GATEWAY_VIA_SLIRP,
      device: options.device,
      logKeys: options.logKeys,
    });
    await this.initiator.start();
  }

  private async buildNetwork(): Promise<void> {
    await createNamespace(this.wan);
    await createNamespace(this.priv);
    // slirp resolves through the namespace's resolv.conf: point it at the lab DNS, never outside.
    fs.mkdirSync(`/etc/netns/${this.wan}`, { recursive: true });
    fs.writeFileSync(`/etc/netns/${this.wan}/resolv.conf`, `nameserver ${DNS_ADDRESS}\n`);
    // The private network resolves lab names through its own DNS too (mosquitto_sub -h broker.lab.example).
    fs.mkdirSync(`/etc/netns/${this.priv}`, { recursive: true });
    fs.writeFileSync(`/etc/netns/${this.priv}/resolv.conf`, `nameserver ${DNS_ADDRESS}\n`);
    await run('ip', ['link', 'add', 'ikl-gw', 'netns', this.wan, 'type', 'veth', 'peer', 'name', 'ikl-priv', 'netns', this.priv]);
    await nsRun(this.wan, 'ip', 'addr', 'add', `${GATEWAY_INNER}/24`, 'dev', 'ikl-gw');
    await nsRun(this.wan, 'ip', 'link', 'set', 'ikl-gw', 'up');
    await nsRun(this.wan, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
    await nsRun(this.wan, 'sysctl', '-q', '-w', 'net.ipv4.conf.all.rp_filter=0');
    await nsRun(this.priv, 'ip', 'addr', 'add', `${ECHO_ADDRESS}/24`, 'dev', 'ikl-priv');
    await nsRun(this.priv, 'ip', 'addr', 'add', `${DNS_ADDRESS}/24`, 'dev', 'ikl-priv');
    await nsRun(this.priv, 'ip', 'link', 'set', 'ikl-priv', 'up');
    // The gateway's userspace tunnel (ipsec0) has a smaller MTU than the veth: without this the
    // services' first large reply carries DF and dies in path-MTU discovery instead of being fragmented.
    await nsRun(this.priv, 'sysctl', '-q', '-w', 'net.ipv4.ip_no_pmtu_disc=1');
    // Replies to the virtual IPs go back through the gateway.
    const pool = this.gateway.options.pool.includes('/') ? this.gateway.options.pool : `${this.gateway.options.pool.split('-')[0]}/32`;
    await nsRun(this.priv, 'ip', 'route', 'add', pool, 'via', GATEWAY_INNER);
  }

  private async startServices(): Promise<void> {
    const script = path.resolve('test/lab/services/udp-echo.mjs');
    this.echo = startProcess('udp-echo', 'ip', ['netns', 'exec', this.priv, process.execPath, script, ECHO_ADDRESS, String(ECHO_PORT)]);
    const dnsScript = path.resolve('test/lab/services/dns.mjs');
    this.carrierEcho = startProcess('carrier-echo', 'ip', ['netns', 'exec', this.wan, process.execPath, script, '127.0.0.1', String(ECHO_PORT)]);
    this.dns = startProcess('dns', 'ip', ['netns', 'exec', this.priv, process.execPath, dnsScript, DNS_ADDRESS, '53']);
    this.tcp = startProcess('tcp-services', 'ip', ['netns', 'exec', this.priv, process.execPath, path.resolve('test/lab/services/tcp-services.mjs'), ECHO_ADDRESS]);
    await waitFor('the UDP echo service', () => this.echo!.output().includes('listening') || undefined, 10_000);
    await waitFor('the DNS service', () => this.dns!.output().includes('listening') || undefined, 10_000);
    await waitFor('the carrier echo', () => this.carrierEcho!.output().includes('listening') || undefined, 10_000);
    await waitFor('the TCP services', () => this.tcp!.output().includes('listening source') || undefined, 10_000);
  }

  /** Lines the TCP services printed: "SERVICE from|end ADDR:PORT ..." (services/tcp-services.mjs). */
  tcpLog(): string[] {
    return (this.tcp?.output() ?? '').split('\n').filter((l) => / (from|end|error) /.test(l));
  }

  /**
   * Random loss of TCP packets at the gateway's private side (iptables statistic on the veth,
   * both directions), probability 0..1; 0 removes it. IKE, ESP and DNS are untouched.
   */
  async setPrivateLoss(probability: number): Promise<void> {
    const rule = (op: '-A' | '-D', dir: '-i' | '-o', p: number) =>
      this.exec('wan', 'iptables', op, 'FORWARD', dir, 'ikl-gw', '-p', 'tcp', '-m', 'statistic', '--mode', 'random', '--probability', String(p), '-j', 'DROP');
    if (this.loss > 0) for (const dir of ['-i', '-o'] as const) await rule('-D', dir, this.loss);
    this.loss = probability;
    if (probability > 0) for (const dir of ['-i', '-o'] as const) await rule('-A', dir, probability);
  }

  /** Packets the loss rules dropped so far (both directions). */
  async lossDrops(): Promise<number> {
    const out = await this.exec('wan', 'iptables', '-L', 'FORWARD', '-v', '-n', '-x');
    return out.split('\n').filter((l) => /statistic/.test(l)).reduce((n, l) => n + Number(l.trim().split(/\s+/)[0]), 0);
  }

  /** Connects from the private network to `address:port` (the device), sends `bytes` of the pattern; its one result line. */
  tcpClient(address: string, port: number, bytes: number, timeoutS = 60): Promise<string> {
    return this.exec('priv', process.execPath, path.resolve('test/lab/services/tcp-client.mjs'), address, String(port), String(bytes), String(timeoutS)).then((o) => o.trim());
  }

  /** Sends `count` hostile segments of each kind (services/tcp-hostile.py) at a device connection; "sent KIND N" lines. */
  async hostileSegments(from: { address: string; port: number }, to: { address: string; port: number }, count: number): Promise<string[]> {
    const out = await this.exec('priv', 'python3', path.resolve('test/lab/services/tcp-hostile.py'), from.address, String(from.port), to.address, String(to.port), String(count));
    return out.trim().split('\n');
  }

  /** Lines the carrier-side echo printed for each datagram (seen through slirp's NAT). */
  carrierEchoLog(): string[] {
    return (this.carrierEcho?.output() ?? '').split('\n').filter((l) => l.startsWith('from '));
  }

  /** Lines the DNS service printed for each query: "query NAME from ADDR". */
  dnsLog(): string[] {
    return (this.dns?.output() ?? '').split('\n').filter((l) => l.startsWith('query '));
  }

  /** Lines the echo service printed for each datagram: "from ADDR:PORT LEN". */
  echoLog(): string[] {
    return (this.echo?.output() ?? '').split('\n').filter((l) => l.startsWith('from '));
  }

  /** Leaves one half-open IKE SA on the gateway (see services/ike-decoy.ts); true when it answered. */
  async leaveHalfOpenIkeSa(): Promise<boolean> {
    const out = await this.exec('wan', process.execPath, '--import', 'tsx', 'test/lab/services/ike-decoy.ts', this.gateway.options.ikeProposals[0]!);
    return out.trim() === 'answered';
  }

  // ---- faults a field device meets (see test/e2e/faults.test.ts) -------------------------------

  /** The gateway crashes and comes back after `downMs`: charon killed, every SA forgotten, started again. */
  restartGateway(downMs = 0): Promise<void> {
    return this.gateway.restart(downMs);
  }

  /** The carrier's NAT rebinds the device to a new outer port under the live call (slirp restarted, PPP kept). */
  rebindCarrierNat(): Promise<void> {
    if (!this.modem) throw new Error('rebindCarrierNat needs the modem emulator');
    return this.modem.rebindPeer();
  }

  /**
   * Random loss of IKE and ESP-in-UDP at the gateway, `probability` each way (iptables `statistic`
   * in the gateway's namespace: datagrams to and from its ports 500 and 4500); 0 removes it.
   */
  async setGatewayLoss(probability: number): Promise<void> {
    for (const chain of ['INPUT', 'OUTPUT']) await this.exec('wan', 'iptables', '-F', chain);
    if (probability <= 0) return;
    const p = String(probability);
    await this.exec('wan', 'iptables', '-A', 'INPUT', '-p', 'udp', '-m', 'multiport', '--dports', '500,4500', '-m', 'statistic', '--mode', 'random', '--probability', p, '-j', 'DROP');
    await this.exec('wan', 'iptables', '-A', 'OUTPUT', '-p', 'udp', '-m', 'multiport', '--sports', '500,4500', '-m', 'statistic', '--mode', 'random', '--probability', p, '-j', 'DROP');
  }

  /** Runs a command inside one of the lab's namespaces. */
  exec(ns: 'wan' | 'priv', command: string, ...args: string[]): Promise<string> {
    return nsRun(ns === 'wan' ? this.wan : this.priv, command, ...args);
  }

  /** PIDs of every process still running inside this lab's namespaces. */
  async pids(): Promise<number[]> {
    const out: number[] = [];
    for (const ns of [this.wan, this.priv, ...(this.initiator ? [this.cli] : [])]) {
      const text = await run('ip', ['netns', 'pids', ns], { allowFail: true });
      out.push(...text.split('\n').map(Number).filter((n) => n > 0));
    }
    return out;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    liveLabs.delete(this);
    await this.slirp?.stop().catch(() => {});
    await this.initiator?.stop().catch(() => {});
    await this.gateway.stop().catch(() => {});
    await this.modem?.stop().catch(() => {});
    await this.apps?.stop().catch(() => {});
    for (const p of [this.echo, this.dns, this.carrierEcho, this.tcp]) if (p) await stopProcess(p).catch(() => {});
    await deleteNamespace(this.wan);
    await deleteNamespace(this.priv);
    if (this.initiator) await deleteNamespace(this.cli);
    for (const ns of [this.wan, this.priv]) fs.rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    if (!process.env.IKELET_KEEP_LAB) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous last-resort teardown for process exit and signals. */
  stopNow(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const ns of [this.wan, this.priv, ...(this.initiator ? [this.cli] : [])]) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns]).toString().split('\n').map(Number).filter((n) => n > 0);
        for (const pid of pids) process.kill(pid, 'SIGKILL');
        execFileSync('ip', ['netns', 'delete', ns]);
      } catch {
        /* best effort */
      }
    }
    for (const ns of [this.wan, this.priv]) fs.rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function labUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'the lab needs root (network namespaces, veth, charon)';
  for (const bin of ['/usr/sbin/charon-systemd', '/usr/bin/slirp-fullbolt', '/usr/bin/socat', '/usr/sbin/swanctl', '/usr/sbin/mosquitto', '/usr/sbin/nginx']) {
    if (!fs.existsSync(bin)) return `${bin} is missing: run scripts/setup.sh`;
  }
  return undefined;
}

function assertCanRunLab(): void {
  const reason = labUnavailableReason();
  if (reason) throw new Error(reason);
}

let cleanupInstalled = false;
function installEmergencyCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => {
    for (const lab of liveLabs) lab.stopNow();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const lab of liveLabs) lab.stopNow();
      process.exit(130);
    });
  }
}
