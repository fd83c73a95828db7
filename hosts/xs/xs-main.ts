/**
 * XS side of the xs host: runs inside the xsnap worker, bundled (ES2020 script) together
 * with the device bundle. Builds a Platform on top of xsnap's synchronous `issueCommand`
 * and answers the Node host's commands in `handleCommand`.
 *
 * Contract with the device bundle (the same one the esp32 host uses):
 *   export function startAgent(platform: Platform): { stop?(): void } | void
 */
import type { ManifestConfig } from '../../src/config/validate.ts';
import type { EspSaKeys, IkeSaKeys, KeyLog, LogLevel, Platform } from '../../src/platform.ts';
import { FromXs, ToXs, frame, jsonFrame, parseUdpFrame, payloadJson, udpFrame, type StartMessage } from './protocol.ts';

/** An app's ECMA-419 UDP socket (src/net/sockets/udp.ts), as much as the test app uses. */
interface AppSocket {
  read(): (ArrayBuffer & { address: string; port: number }) | undefined;
  write(data: Uint8Array, address: string, port: number): void;
}
type AppUdpClass = new (options: { onReadable(this: AppSocket, count: number): void }) => AppSocket;

export interface AgentHandle {
  stop?(): void;
  /** The real bundle's StartedAgent has these: they let a test app use the tunnel (ToXs.udpSend). */
  sockets?: { UDP: AppUdpClass };
  runner?: { act(work: (now: number) => void): void };
}
export interface AgentEntry {
  startAgent?: (platform: Platform) => AgentHandle | void;
  /** Test and bench device modules take commands from the Node side (ToXs.app). */
  appCommand?: (command: unknown) => void;
}

declare const issueCommand: (message: ArrayBuffer) => ArrayBuffer;
declare const gc: () => void;

function call(message: Uint8Array): Uint8Array {
  // issueCommand wants an ArrayBuffer of exactly the message.
  const buffer = message.byteOffset === 0 && message.byteLength === message.buffer.byteLength ? message.buffer : message.slice().buffer;
  return new Uint8Array(issueCommand(buffer as ArrayBuffer));
}

function fault(where: string, e: unknown): void {
  const message = e instanceof Error ? `${e.name}: ${e.message}${e.stack ? `\n${e.stack}` : ''}` : String(e);
  call(jsonFrame(FromXs.fault, { where, message }));
}

export function makeXsPlatform(config: ManifestConfig, withKeyLog: boolean, withReport = false): { platform: Platform; dispatchReceive(bytes: Uint8Array): void; dispatchDrained(): void; fireTimer(id: number): void } {
  let receiver: (bytes: Uint8Array) => void = () => {};
  let drained: () => void = () => {};
  let timerId = 0;
  let timerFire: (() => void) | undefined;
  const keyLog: KeyLog | undefined = withKeyLog
    ? {
        ikeSa: (entry: IkeSaKeys) => void call(jsonFrame(FromXs.keyLog, { kind: 'ike', entry })),
        espSa: (entry: EspSaKeys) => void call(jsonFrame(FromXs.keyLog, { kind: 'esp', entry })),
      }
    : undefined;
  const platform: Platform = {
    config,
    serial: {
      write: (bytes) => void call(frame(FromXs.write, bytes)),
      onReceive: (handler) => { receiver = handler; },
      queued: () => new DataView(call(frame(FromXs.queued)).buffer).getUint32(0),
      onWritable: (handler) => { drained = handler; },
    },
    clock: { now: () => new DataView(call(frame(FromXs.now)).buffer).getFloat64(0) },
    timer: {
      schedule(at, fire) {
        // A new id per arming, so a stale expiry already queued in Node is ignored here.
        timerId++;
        timerFire = at === undefined ? undefined : fire;
        call(jsonFrame(FromXs.arm, { id: timerId, at: at ?? null }));
      },
    },
    random: {
      bytes(length) {
        const out = call(jsonFrame(FromXs.random, { length }));
        if (out.length !== length) throw new Error(`random: asked ${length} bytes, got ${out.length}`);
        return out;
      },
    },
    log: (level: LogLevel, component: string, message: string) => void call(jsonFrame(FromXs.log, { level, component, message })),
    ...(keyLog ? { keyLog } : {}),
    ...(withReport ? { report: (event: unknown) => void call(jsonFrame(FromXs.report, event)) } : {}),
  };
  return {
    platform,
    dispatchReceive: (bytes) => receiver(bytes),
    dispatchDrained: () => drained(),
    fireTimer(id) {
      if (id !== timerId || !timerFire) return;
      const fire = timerFire;
      timerFire = undefined;
      fire();
    },
  };
}

/** Installs `handleCommand` for the Node host. Exceptions are reported as faults, never thrown into xsnap. */
export function installXsHost(entry: AgentEntry): void {
  let host: ReturnType<typeof makeXsPlatform> | undefined;
  let agent: AgentHandle | void;
  let appSocket: AppSocket | undefined;
  (globalThis as { handleCommand?: (m: ArrayBuffer) => ArrayBuffer }).handleCommand = (buffer) => {
    const message = new Uint8Array(buffer);
    const op = message[0];
    try {
      if (op === ToXs.start) {
        if (typeof entry.startAgent !== 'function') throw new Error('the device bundle exports no startAgent(platform) function');
        const start = payloadJson<StartMessage>(message);
        host = makeXsPlatform(start.config as ManifestConfig, start.keyLog, start.report);
        agent = entry.startAgent(host.platform);
      } else if (op === ToXs.receive) {
        host?.dispatchReceive(message.slice(1));
      } else if (op === ToXs.drained) {
        host?.dispatchDrained();
      } else if (op === ToXs.app) {
        entry.appCommand?.(payloadJson<unknown>(message));
      } else if (op === ToXs.timer) {
        host?.fireTimer(payloadJson<{ id: number }>(message).id);
      } else if (op === ToXs.udpSend) {
        const started = agent;
        if (!started?.sockets || !started.runner) throw new Error('the device bundle offers no sockets to a test app');
        const { address, port, payload } = parseUdpFrame(message);
        const UDP = started.sockets.UDP;
        started.runner.act(() => {
          appSocket ??= new UDP({
            onReadable(count) {
              for (let i = 0; i < count; i++) {
                const d = this.read();
                if (d) void call(udpFrame(FromXs.udpReceive, d.address, d.port, new Uint8Array(d)));
              }
            },
          });
          appSocket.write(payload, address, port);
        });
      } else if (op === ToXs.gc) {
        gc();
      } else if (op === ToXs.stop) {
        // Graceful: the agent deletes its SA, ends PPP and hangs up, which takes more turns.
        agent?.stop?.();
      }
    } catch (e) {
      fault(`command ${String.fromCharCode(op ?? 63)}`, e);
    }
    return new ArrayBuffer(0);
  };
}
