/** The Platform on Node: real monotonic clock, setTimeout, OS randomness, console logging. */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ManifestConfig } from '../../src/config/validate.ts';
import type { Clock, KeyLog, LogSink, Platform, Random, Serial, Timer } from '../../src/platform.ts';
import type { ClientRuntime } from '../../src/io/ecma419.ts';

export const nodeClock: Clock = { now: () => performance.now() };

export const nodeRandom: Random = { bytes: (n) => new Uint8Array(randomBytes(n)) };

export class NodeTimer implements Timer {
  private handle?: NodeJS.Timeout;
  schedule(at: number | undefined, fire: () => void): void {
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
    if (at === undefined) return;
    this.handle = setTimeout(fire, Math.max(0, at - nodeClock.now()));
  }
  cancel(): void {
    this.schedule(undefined, () => {});
  }
}

/** What the app clients (MQTT, HTTP, firmware) get beside their sockets: the agent's clock, a timer each, randomness. */
export const nodeClientRuntime: ClientRuntime = { now: () => nodeClock.now(), timer: () => new NodeTimer(), random: nodeRandom };

export const consoleLog: LogSink = (level, component, message) => {
  const t = new Date().toISOString().slice(11, 23);
  process.stderr.write(`${t} ${level.padEnd(5)} ${component}: ${message}\n`);
};

export function nodePlatform(config: ManifestConfig, serial: Serial, log: LogSink = consoleLog, keyLog?: KeyLog): Platform & { timer: NodeTimer } {
  return { config, serial, clock: nodeClock, timer: new NodeTimer(), random: nodeRandom, log, keyLog };
}
