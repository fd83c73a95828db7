/** Test-side handle on ike-udp-driver.ts running inside the lab's wan namespace. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Lab } from '../../lab/lab.ts';
import { DEFAULT_GATEWAY } from '../../lab/strongswan.ts';
import { ECHO_ADDRESS, ECHO_PORT } from '../../lab/lab.ts';
import type { IkeSessionConfig } from '../../../src/ike/session-types.ts';
import type { DriverArgs } from './ike-udp-driver.ts';

export interface DriverLine {
  type: string;
  t?: number;
  event?: { type: string; [k: string]: unknown };
  [k: string]: unknown;
}

export class IkeDriver {
  readonly lines: DriverLine[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(lab: Lab, args: DriverArgs) {
    const script = path.resolve('test/e2e/drivers/ike-udp-driver.ts');
    this.child = spawn('ip', ['netns', 'exec', lab.wan, process.execPath, '--import', 'tsx', script, JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as DriverLine);
        } catch {
          this.stderr += `[stdout] ${line}\n`;
        }
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      if (this.stderr.length > 400_000) this.stderr = this.stderr.slice(-200_000);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  events(type?: string): Array<{ type: string; [k: string]: unknown }> {
    return this.lines.filter((l) => l.type === 'event' && (!type || l.event!.type === type)).map((l) => l.event!);
  }

  async waitFor(what: string, pred: (l: DriverLine) => boolean, timeoutMs = 30_000): Promise<DriverLine> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit) return hit;
      if (this.child.exitCode !== null || Date.now() > until) {
        throw new Error(`driver: no ${what} (exit ${this.child.exitCode}); lines:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr tail:\n${this.stderr.slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.child.stdin!.write('close\n');
  }

  /** Kills only this driver (by its PID), e.g. when a test fails midway. */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** The device side matching DEFAULT_GATEWAY, with lab-speed timers. */
export function deviceConfig(overrides: Partial<IkeSessionConfig> = {}): IkeSessionConfig {
  return {
    gateway: '127.0.0.1',
    localId: DEFAULT_GATEWAY.remoteId,
    remoteId: DEFAULT_GATEWAY.localId,
    psk: DEFAULT_GATEWAY.psk,
    ikeProposals: ['aes128gcm16-prfsha256-x25519'],
    espProposals: ['aes128gcm16'],
    ikeLifetime: 0,
    childLifetime: 0,
    dpdInterval: 0,
    natKeepalive: 20,
    remoteTs: ['198.51.100.0/24'],
    maxAttempts: 3,
    ...overrides,
  };
}

export function driverArgs(config: IkeSessionConfig, extra: Partial<DriverArgs> = {}): DriverArgs {
  return {
    config,
    options: { retryBaseMs: 300, retryCapMs: 1000, retransmit: { firstTimeoutMs: 500, tries: 3, factor: 2 } },
    localAddress: '10.0.2.15',
    count: 100,
    echo: { address: ECHO_ADDRESS, port: ECHO_PORT },
    timeoutMs: 40_000,
    ...extra,
  };
}
