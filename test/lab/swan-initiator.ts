/**
 * strongSwan's own initiator on the device's path, for side-by-side figures: charon
 * (kernel-libipsec) in a namespace of its own, whose outer packets leave through a TUN device
 * that ppp-tun-bridge.ts carries over PPP through the same modem emulator, slirp and gateway
 * as the device, with the same proposals, PSK and identities.
 *
 *   ns "cli": charon ─ ppp0 (TUN) ─ socat ─ ppp-tun-bridge (src/modem + src/ppp) ─ pty ─ modem emulator ─ slirp ─ gateway
 *
 * Everything else is strongSwan's defaults (keep_alive 20 s, no DPD, IKE rekey 4 h, CHILD 1 h).
 * DNS from the gateway's CP reply is written by the `resolve` plugin into a file of this lab.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import readline from 'node:readline';
import type { ManifestConfig } from '../../src/config/validate.ts';
import { nsRun } from './netns.ts';
import { Charon, charonConf, swanctlString, type GatewayOptions } from './strongswan.ts';
import { ikeSas } from './vici-text.ts';

export const INITIATOR_CONNECTION = 'gateway';
export const INITIATOR_CHILD = 'net';

export interface InitiatorOptions {
  /** The gateway's options: proposals, PSK and identities are mirrored from them. */
  gateway: GatewayOptions;
  /** Where the gateway is reached through the carrier (10.0.2.2 through slirp). */
  remoteAddress: string;
  /** The device configuration whose modem and PPP settings the bridge uses. */
  device: ManifestConfig;
  /** Derived keys in charon.log (level 4), for Wireshark. */
  logKeys?: boolean;
}

export interface BridgeEvent {
  event: 'link-up' | 'first-packet-out' | 'link-down' | 'stopped';
  at: number;
  localAddress?: string;
  dns?: string[];
  reason?: string;
}

export interface InitiatorConnection {
  /** Epoch ms: IPCP up (the bridge), charon's first outer packet, CHILD_SA established (swanctl's line). */
  linkUpAt: number;
  firstPacketAt: number;
  childUpAt: number;
  virtualIp: string;
  dns: string[];
}

export function initiatorSwanctlConf(o: InitiatorOptions): string {
  const g = o.gateway;
  return [
    'connections {',
    `  ${INITIATOR_CONNECTION} {`,
    '    version = 2',
    `    remote_addrs = ${o.remoteAddress}`,
    `    proposals = ${g.ikeProposals.join(',')}`,
    '    vips = 0.0.0.0',
    '    local {',
    '      auth = psk',
    `      id = ${g.remoteId}`,
    '    }',
    '    remote {',
    '      auth = psk',
    `      id = ${g.localId}`,
    '    }',
    '    children {',
    `      ${INITIATOR_CHILD} {`,
    `        remote_ts = ${g.localTs.join(',')}`,
    `        esp_proposals = ${g.espProposals.join(',')}`,
    '      }',
    '    }',
    '  }',
    '}',
    'secrets {',
    '  ike-gateway {',
    `    id-device = ${g.remoteId}`,
    `    id-gateway = ${g.localId}`,
    `    secret = ${swanctlString(g.psk)}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export class SwanInitiator extends Charon {
  private bridge?: ChildProcessWithoutNullStreams;
  private bridgeEvents: BridgeEvent[] = [];
  private bridgeErr = '';
  readonly resolvConf: string;

  constructor(
    namespace: string,
    dir: string,
    private readonly serialPath: string,
    readonly options: InitiatorOptions,
  ) {
    super(namespace, dir);
    this.resolvConf = path.join(dir, 'resolv.conf');
  }

  async start(): Promise<void> {
    // A PPP link without IPV6CP carries no IPv6: keep a fresh TUN from chattering.
    await nsRun(this.namespace, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
    fs.writeFileSync(this.resolvConf, '');
    const conf = charonConf(this.dir, {
      logKeys: this.options.logKeys ?? false,
      extraPlugins: ['resolve'],
      // Never the machine's /etc/resolv.conf: the plugin writes the gateway's DNS servers here.
      pluginSettings: ['resolve {', `  file = ${this.resolvConf}`, '}'],
    });
    await this.startWith(conf, initiatorSwanctlConf(this.options));
  }

  /**
   * Dials (AT, PPP) through the bridge, then asks charon to initiate as soon as the link is up
   * and waits for the CHILD_SA. Times are epoch ms.
   */
  async connect(timeoutMs = 60_000): Promise<InitiatorConnection> {
    const linkUp = await this.startBridge(timeoutMs);
    const childUpAt = await this.initiate(timeoutMs);
    const sa = ikeSas(await this.listSas()).find((s) => s.name === INITIATOR_CONNECTION)?.sa;
    const vips = sa?.['local-vips'];
    const virtualIp = Array.isArray(vips) ? String(vips[0]) : '';
    const dns = fs.readFileSync(this.resolvConf, 'utf8').split('\n').map((l) => /^nameserver\s+(\S+)/.exec(l)?.[1]).filter((x): x is string => !!x);
    const first = this.bridgeEvents.find((e) => e.event === 'first-packet-out');
    return { linkUpAt: linkUp.at, firstPacketAt: first?.at ?? NaN, childUpAt, virtualIp, dns };
  }

  /** One UDP datagram from inside the namespace (through the tunnel); resolves once its echo is back. */
  async echo(address: string, port: number, payload: string): Promise<void> {
    const out = await nsRun(this.namespace, process.execPath, path.resolve('test/lab/services/udp-probe.mjs'), address, String(port), payload, '5000');
    if (out !== payload) throw new Error(`the echo came back as ${JSON.stringify(out)}`);
  }

  /** Resolves `name` through the DNS server the gateway handed out (from inside the namespace). */
  async lookup(name: string, server: string): Promise<string> {
    return (await nsRun(this.namespace, process.execPath, path.resolve('test/lab/services/dns-query.mjs'), server, name)).trim();
  }

  /** IKE DELETE at the gateway, then LCP terminate and hang-up, as a device that shuts down cleanly. */
  async disconnect(timeoutMs = 15_000): Promise<void> {
    await this.swanctlCmd('--terminate', '--ike', INITIATOR_CONNECTION, '--timeout', '10').catch(() => {});
    const bridge = this.bridge;
    if (!bridge || bridge.exitCode !== null) return;
    const exited = new Promise<void>((r) => bridge.once('exit', () => r()));
    bridge.stdin.write('stop\n');
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    if ((await Promise.race([exited, timer])) === 'timeout') bridge.kill('SIGKILL');
    this.bridge = undefined;
  }

  override async stop(crash = false): Promise<void> {
    this.bridge?.kill('SIGKILL');
    this.bridge = undefined;
    await super.stop(crash);
  }

  private async startBridge(timeoutMs: number): Promise<BridgeEvent> {
    if (this.bridge && this.bridge.exitCode === null) throw new Error('the initiator is already connected');
    this.bridgeEvents = [];
    this.bridgeErr = '';
    const args = ['netns', 'exec', this.namespace, process.execPath, '--import', 'tsx', path.resolve('test/lab/ppp-tun-bridge.ts'),
      '--serial', this.serialPath, '--tun', 'ppp0', '--config', JSON.stringify(this.options.device)];
    const bridge = spawn('ip', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.bridge = bridge;
    bridge.stderr.on('data', (d: Buffer) => (this.bridgeErr = (this.bridgeErr + d.toString()).slice(-20_000)));
    readline.createInterface({ input: bridge.stdout }).on('line', (line) => {
      try {
        this.bridgeEvents.push(JSON.parse(line) as BridgeEvent);
      } catch {
        this.bridgeErr += `${line}\n`;
      }
    });
    const until = Date.now() + timeoutMs;
    for (;;) {
      const up = this.bridgeEvents.find((e) => e.event === 'link-up');
      if (up) return up;
      const down = this.bridgeEvents.find((e) => e.event === 'link-down');
      if (down || bridge.exitCode !== null || Date.now() > until) {
        throw new Error(`the PPP bridge did not come up: ${down?.reason ?? (bridge.exitCode !== null ? `exited ${bridge.exitCode}` : 'timeout')}\n${this.bridgeErr}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** `swanctl --initiate` streams charon's log; the CHILD_SA's "established" line is the moment it is up. */
  private initiate(timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const child = spawn('env', [`STRONGSWAN_CONF=${this.conf}`, 'swanctl', '--initiate', '--child', INITIATOR_CHILD, '--timeout', String(Math.ceil(timeoutMs / 1000))], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let at: number | undefined;
      const onData = (d: Buffer) => {
        out += d.toString();
        if (at === undefined && /CHILD_SA \S+ established/.test(out)) at = Date.now();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => (code === 0 && at !== undefined ? resolve(at) : reject(new Error(`swanctl --initiate failed (${code}):\n${out}\nbridge:\n${this.bridgeErr}`))));
    });
  }
}
