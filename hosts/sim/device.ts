/**
 * A simulated device on Node: the agent from src/ on a pty serial line, with the real
 * clock, OS randomness, optional pcap of the PPP link and optional Wireshark key tables.
 */
import type { AgentConfig } from '../../src/config.ts';
import { Agent, type AgentEvent, type AgentOptions } from '../../src/agent/agent.ts';
import { Runner } from '../../src/agent/runner.ts';
import type { LogSink } from '../../src/platform.ts';
import { WiresharkKeyLog } from './keylog.ts';
import { consoleLog, nodePlatform } from './node-platform.ts';
import { PcapTap } from './pcap-tap.ts';
import { PtySerial } from './pty-serial.ts';

export interface SimDeviceOptions {
  config: AgentConfig;
  serialPath: string;
  log?: LogSink;
  pcap?: string;
  keylogDir?: string;
  /** Tuning that is not device configuration (tests shorten retry timers). */
  agentOptions?: AgentOptions;
}

export class SimDevice {
  readonly agent: Agent;
  readonly runner: Runner;
  readonly serial: PtySerial;
  readonly events: AgentEvent[] = [];
  private readonly platform: ReturnType<typeof nodePlatform>;
  private readonly pcap?: PcapTap;
  private waiters: Array<{ match: (e: AgentEvent) => boolean; resolve: (e: AgentEvent) => void }> = [];

  constructor(options: SimDeviceOptions) {
    this.serial = new PtySerial(options.serialPath);
    const keyLog = options.keylogDir ? new WiresharkKeyLog(options.keylogDir) : undefined;
    this.platform = nodePlatform(options.config, this.serial, options.log ?? consoleLog, keyLog);
    if (options.pcap) {
      this.pcap = new PcapTap(options.pcap);
      this.serial.tap = (dir, bytes) => this.pcap!.bytes(dir, bytes);
    }
    this.agent = new Agent(
      { config: options.config, random: this.platform.random, log: this.platform.log, keyLog },
      { writeSerial: (b) => this.serial.write(b), onEvent: (e) => this.record(e) },
      options.agentOptions,
    );
    this.runner = new Runner(this.platform, this.agent);
  }

  start(): void {
    this.runner.start();
  }

  /** Runs `work` as one agent turn (with now), then re-arms the agent's timer. */
  act(work: (now: number) => void): void {
    this.runner.act(work);
  }

  /** Resolves with the first event (past or future) that matches. */
  waitFor(match: (e: AgentEvent) => boolean, timeoutMs: number, what = 'an agent event'): Promise<AgentEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${this.events.map((e) => e.type).join(', ')}`)), timeoutMs);
      this.waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }

  private record(e: AgentEvent): void {
    this.events.push(e);
    const ready = this.waiters.filter((w) => w.match(e));
    this.waiters = this.waiters.filter((w) => !w.match(e));
    for (const w of ready) w.resolve(e);
  }

  /** Stops gracefully (LCP terminate, hang-up) and waits for it, then closes the serial line. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.act((now) => this.agent.stop(now));
    await this.waitFor((e) => e.type === 'link-stopped', timeoutMs, 'the link to stop').catch(() => {});
    this.close();
  }

  close(): void {
    this.platform.timer.cancel();
    this.serial.close();
    this.pcap?.close();
  }
}
