/**
 * XsAgentHost: runs the device bundle inside an XS (xsnap) worker and bridges it to Node:
 * serial bytes both ways, one timer, clock, random bytes, logs, key log and config.
 * Same surface as the Node sim host, plus the computrons of every XS turn.
 *
 *   const host = new XsAgentHost({ config, serial, log });
 *   await host.start();        // bundles, loads, calls the bundle's startAgent(platform) in XS
 *   (options: keyLog, report, clock + timer for virtual time, deviceModule, onFault, onTurn)
 *   ...; await host.idle();    // every queued turn done
 *   host.meterUsage.longest    // the longest synchronous turn, in computrons
 *   await host.stop();
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ManifestConfig } from '../../src/config/validate.ts';
import type { Clock, EspSaKeys, IkeSaKeys, KeyLog, LogLevel, LogSink, Serial, Timer } from '../../src/platform.ts';
import type { AgentEvent } from '../../src/agent/agent.ts';
import { agentBundle } from './bundle.ts';
import { FromXs, ToXs, frame, jsonFrame, parseUdpFrame, payloadJson, udpFrame, type StartMessage } from './protocol.ts';
import { XsWorker, type MeterSummary, type TurnUsage } from './worker.ts';

export interface XsFault {
  where: string;
  message: string;
}

export interface XsAgentHostOptions {
  config: ManifestConfig;
  /** The modem side: bytes the agent writes go to `write`; bytes it receives come from `onReceive`. */
  serial: Serial;
  log: LogSink;
  keyLog?: KeyLog;
  /** Structured agent events (Platform.report), as the sim host gets them. */
  report?: (event: AgentEvent) => void;
  /** Node-side time and timer; defaults are real time. Pass both to drive a virtual clock. */
  clock?: Clock;
  timer?: Timer;
  random?: (length: number) => Uint8Array;
  /** Device module bundled with the XS main (default src/index.ts; or 'build/device/ikelet.js'). */
  deviceModule?: string;
  /** A prebuilt XS program (from agentBundle()); skips bundling. */
  code?: string;
  meteringLimit?: number;
  /** Called for every exception that escaped the agent in XS, and when the worker dies. */
  onFault?: (fault: XsFault) => void;
  /** Called after every XS turn with its computrons. */
  onTurn?: (turn: TurnUsage) => void;
}

const realClock: Clock = { now: () => performance.now() };

function realTimer(clock: Clock): Timer {
  let handle: ReturnType<typeof setTimeout> | undefined;
  return {
    schedule(at, fire) {
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
      if (at !== undefined) handle = setTimeout(fire, Math.max(0, at - clock.now()));
    },
  };
}

export class XsAgentHost {
  readonly faults: XsFault[] = [];
  private worker: XsWorker | undefined;
  private queue: Promise<void> = Promise.resolve();
  private running = false;
  private drainedQueued = false;
  private readonly clock: Clock;
  private readonly timer: Timer;
  /** Datagrams the agent's test-app socket received through the tunnel (see sendUdp). */
  onUdp: (address: string, port: number, payload: Uint8Array) => void = () => {};

  constructor(private readonly options: XsAgentHostOptions) {
    this.clock = options.clock ?? realClock;
    this.timer = options.timer ?? realTimer(this.clock);
  }

  /** Computrons per turn: count, total, last and the longest synchronous turn. */
  get meterUsage(): MeterSummary {
    return this.worker?.meter ?? { turns: 0, totalCompute: 0, longest: undefined, last: undefined };
  }

  async start(): Promise<void> {
    if (this.worker) throw new Error('XsAgentHost already started');
    const code = this.options.code ?? (await agentBundle(this.options.deviceModule));
    this.worker = await XsWorker.spawn({
      name: 'ikelet-xs-agent',
      onCommand: (m) => this.fromXs(m),
      ...(this.options.meteringLimit !== undefined ? { meteringLimit: this.options.meteringLimit } : {}),
    });
    this.running = true;
    const before = this.faults.length;
    const start: StartMessage = { config: this.options.config, keyLog: this.options.keyLog !== undefined, report: this.options.report !== undefined };
    // Load, then start, as the first two turns; serial input queues behind them.
    const started = (async () => {
      await this.turn(() => this.worker!.evaluate(code, 'load'));
      if (this.running) await this.turn(() => this.worker!.command(jsonFrame(ToXs.start, start), 'start'));
    })();
    this.queue = started;
    this.options.serial.onReceive((bytes) => this.enqueue(frame(ToXs.receive, bytes), 'receive'));
    this.options.serial.onWritable?.(() => {
      // One drained turn queued at a time: the agent reads queued() itself when it runs.
      if (this.drainedQueued) return;
      this.drainedQueued = true;
      this.enqueue(frame(ToXs.drained), 'drained', () => (this.drainedQueued = false));
    });
    await started;
    const failed = this.faults.slice(before);
    if (failed.length) throw new Error(`XS agent failed to start: ${failed.map((f) => `${f.where}: ${f.message}`).join('; ')}`);
  }

  /** Resolves when every turn queued so far has run. */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Live heap slots right after a full GC, taken between two agent turns (soak tests watch it stay flat). */
  liveSlots(): Promise<number> {
    if (!this.worker) return Promise.reject(new Error('XsAgentHost not started'));
    const worker = this.worker;
    const result = this.queue.then(() => worker.liveSlots());
    this.queue = result.then(() => {}, () => {});
    return result;
  }

  /** A test app's datagram into the tunnel, sent in its own XS turn from one app socket (bound on first use). */
  sendUdp(address: string, port: number, payload: Uint8Array): void {
    this.enqueue(udpFrame(ToXs.udpSend, address, port, payload), 'udp');
  }

  /** Asks the agent in XS for its graceful stop (IKE DELETE, LCP terminate, hang-up); it keeps running turns. */
  stopAgent(): void {
    this.enqueue(frame(ToXs.stop), 'stop');
  }

  /** Ends the XS worker (after asking the agent to stop, if it still runs). */
  async stop(): Promise<void> {
    if (!this.worker) return;
    if (this.running) this.enqueue(frame(ToXs.stop), 'stop');
    await this.idle();
    this.running = false;
    this.timer.schedule(undefined, () => {});
    await this.worker.close();
  }

  /** Sends a command to the device module's appCommand (test and bench apps) as one turn. */
  appCommand(command: unknown): void {
    this.enqueue(jsonFrame(ToXs.app, command), 'app');
  }

  private enqueue(message: Uint8Array, kind: string, before?: () => void): void {
    if (!this.running) return;
    this.queue = this.queue.then(() => {
      before?.();
      return this.running ? this.turn(() => this.worker!.command(message, kind)) : undefined;
    });
  }

  private async turn(run: () => Promise<TurnUsage>): Promise<void> {
    try {
      const usage = await run(); // not inside onTurn?.(...): that would skip run() when onTurn is unset
      this.options.onTurn?.(usage);
    } catch (e) {
      // xsnap rejects when the worker died (metering limit, memory) or the script threw.
      this.running = false;
      this.fault({ where: 'xsnap', message: e instanceof Error ? e.message : String(e) });
    }
  }

  private fault(f: XsFault): void {
    this.faults.push(f);
    this.options.onFault?.(f);
  }

  /** Answers XS's synchronous issueCommand. Never throws: a throw here would hang the XS turn. */
  private fromXs(message: Uint8Array): Uint8Array {
    const empty = new Uint8Array(0);
    try {
      switch (message[0]) {
        case FromXs.write:
          this.options.serial.write(message.slice(1));
          return empty;
        case FromXs.queued: {
          const out = new Uint8Array(4);
          new DataView(out.buffer).setUint32(0, Math.min(0xffffffff, this.options.serial.queued?.() ?? 0));
          return out;
        }
        case FromXs.now: {
          const out = new Uint8Array(8);
          new DataView(out.buffer).setFloat64(0, this.clock.now());
          return out;
        }
        case FromXs.arm: {
          const { id, at } = payloadJson<{ id: number; at: number | null }>(message);
          this.timer.schedule(at ?? undefined, () => this.enqueue(jsonFrame(ToXs.timer, { id }), 'timer'));
          return empty;
        }
        case FromXs.random: {
          const { length } = payloadJson<{ length: number }>(message);
          return this.options.random ? this.options.random(length) : new Uint8Array(randomBytes(length));
        }
        case FromXs.log: {
          const { level, component, message: text } = payloadJson<{ level: LogLevel; component: string; message: string }>(message);
          this.options.log(level, component, text);
          return empty;
        }
        case FromXs.keyLog: {
          const k = payloadJson<{ kind: 'ike'; entry: IkeSaKeys } | { kind: 'esp'; entry: EspSaKeys }>(message);
          if (k.kind === 'ike') this.options.keyLog?.ikeSa(k.entry);
          else this.options.keyLog?.espSa(k.entry);
          return empty;
        }
        case FromXs.report: {
          this.options.report?.(payloadJson<AgentEvent>(message));
          return empty;
        }
        case FromXs.udpReceive: {
          const { address, port, payload } = parseUdpFrame(message);
          this.onUdp(address, port, payload);
          return empty;
        }
        case FromXs.fault:
          this.fault(payloadJson<XsFault>(message));
          return empty;
        default:
          this.fault({ where: 'protocol', message: `unknown opcode ${message[0]} from XS` });
          return empty;
      }
    } catch (e) {
      this.fault({ where: 'node host', message: e instanceof Error ? e.message : String(e) });
      return empty;
    }
  }
}
