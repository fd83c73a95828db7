/**
 * A simulated device on Node: the agent from src/ on a pty serial line, with the real
 * clock, OS randomness, optional pcap of the PPP link and optional Wireshark key tables.
 * It starts the agent through the same startAgent(platform) entry the device hosts use.
 */
import type { ManifestConfig } from '../../src/config/validate.ts';
import type { Agent, AgentEvent } from '../../src/agent/agent.ts';
import { startAgent, type StartedAgent } from '../../src/agent/start.ts';
import type { LogSink, ModemPins } from '../../src/platform.ts';
import { EventLog } from './event-log.ts';
import { WiresharkKeyLog } from './keylog.ts';
import { consoleLog, nodePlatform } from './node-platform.ts';
import { PcapTap } from './pcap-tap.ts';
import { PtySerial } from './pty-serial.ts';

export interface SimDeviceOptions {
  config: ManifestConfig;
  serialPath: string;
  log?: LogSink;
  pcap?: string;
  keylogDir?: string;
  /** The modem's PWRKEY/RESET lines: on a bench, the lab's modem emulator (ModemEmulator.setPin). */
  modemPins?: ModemPins;
}

type Listener = (event: AgentEvent, now: number) => void;

export class SimDevice {
  readonly serial: PtySerial;
  private readonly log = new EventLog();
  readonly events: AgentEvent[] = this.log.events;
  private readonly platform: ReturnType<typeof nodePlatform>;
  private readonly pcap?: PcapTap;
  private running?: StartedAgent;
  private readonly listeners: Listener[] = [];

  constructor(options: SimDeviceOptions) {
    // Paced at the configured UART rate, like the ESP32's UART: the agent sees its transmit queue.
    this.serial = new PtySerial(options.serialPath, { baud: options.config.uartBaud });
    const keyLog = options.keylogDir ? new WiresharkKeyLog(options.keylogDir) : undefined;
    this.platform = nodePlatform(options.config, this.serial, options.log ?? consoleLog, keyLog);
    this.platform.report = (e) => this.record(e as AgentEvent);
    if (options.modemPins) this.platform.modemPins = options.modemPins;
    if (options.pcap) {
      this.pcap = new PcapTap(options.pcap);
      this.serial.tap = (dir, bytes) => this.pcap!.bytes(dir, bytes);
    }
  }

  start(): void {
    this.running = startAgent(this.platform);
  }

  /** The started agent: its sockets, the app clients' options (`clients`), the parsed settings. */
  get started(): StartedAgent {
    if (!this.running) throw new Error('the device is not started');
    return this.running;
  }

  get agent(): Agent {
    return this.started.agent;
  }

  unexpectedErrors(): number {
    return this.running?.runner.unexpectedErrors ?? 0;
  }

  onEvent(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** Runs `work` as one agent turn (with now), then re-arms the agent's timer. */
  act(work: (now: number) => void): void {
    this.running?.runner.act(work);
  }

  /** Resolves with the first event (past or future) that matches. */
  waitFor(match: (e: AgentEvent) => boolean, timeoutMs: number, what?: string): Promise<AgentEvent> {
    return this.log.waitFor(match, timeoutMs, what);
  }

  /** Records an event of an app running beside the agent (it shows in events and waitFor). */
  note(e: AgentEvent): void {
    this.record(e);
  }

  private record(e: AgentEvent): void {
    const now = this.platform.clock.now();
    for (const l of this.listeners) l(e, now);
    this.log.push(e);
  }

  /** Stops gracefully (IKE DELETE, LCP terminate, hang-up) and waits for it, then closes the serial line. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.running?.stop();
    await this.waitFor((e) => e.type === 'link-stopped', timeoutMs, 'the link to stop').catch(() => {});
    this.close();
  }

  close(): void {
    this.platform.timer.cancel();
    this.serial.close();
    this.pcap?.close();
  }
}
