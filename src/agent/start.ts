/**
 * The entry every device host calls: validates and parses the manifest config once (the same
 * validator the build ran), builds the agent on a Platform and starts it — unless the native crypto
 * backend fails its known-answer self-test (src/crypto/self-test.ts): then the tunnel stays down.
 * Hosts that can carry structured events (the XS bridge, the ESP32 app) pass `report`;
 * the agent's events are also always logged in words.
 */
import { parseSettings, type Settings } from '../config/validate.ts';
import { BACKEND } from '../crypto/backend.ts';
import { CATALOG } from '../crypto/catalog.ts';
import { cryptoSelfTest } from '../crypto/self-test.ts';
import type { Platform } from '../platform.ts';
import type { ClientIo, ClientRuntime, ResolverClass, TcpClass } from '../io/ecma419.ts';
import { TimerSet } from '../io/timers.ts';
import { Logger } from '../util/log.ts';
import { Agent, type AgentEvent } from './agent.ts';
import { Runner } from './runner.ts';
import { TunnelStatus } from './status.ts';
import { socketsFor, type NetworkSockets } from '../net/sockets/index.ts';

export interface StartedAgent {
  agent: Agent;
  runner: Runner;
  /** The parsed config, the app clients' sections included (`settings.mqtt`, `.http`, `.firmware`). */
  settings: Settings;
  /** The ECMA-419 classes over the tunnel (TCP, UDP, Listener, Resolver) for the app. */
  sockets: NetworkSockets;
  /**
   * What the app clients (MQTT, HTTP, firmware fetcher) spread into their options, the shape of
   * Moddable's `device.network.mqtt`: the tunnel's TCP and Resolver classes, and a runtime with
   * the agent's clock, a timer each on the platform's one timer, and its randomness. (No keepalive
   * hook: a NAT keepalive goes out only when nothing else left on UDP 4500 for natKeepalive, so an
   * MQTT connection pinging at least that often replaces them as it is; one pinging less often
   * cannot, the NAT needs its packet every natKeepalive.)
   */
  clients: ClientIo;
  /** The tunnel's state for apps (device.network.ikelet on the ESP32), following the agent's events. */
  status: TunnelStatus;
  /** Graceful stop: IKE DELETE, LCP terminate, hang-up. */
  stop(): void;
}

/** Throws, naming every bad setting (never a secret's value), when the config is invalid. */
/** The boot self-test: the native backend's known answers (noble is the reference the tests check it against). */
const nativeSelfTest = (): string | undefined => (BACKEND === 'native' ? cryptoSelfTest(CATALOG) : undefined);

/** `selfTest`: the name of a primitive that gave a wrong answer, or undefined (tests replace it). */
export function startAgent(platform: Platform, selfTest: () => string | undefined = nativeSelfTest): StartedAgent {
  const settings = parseSettings(platform.config);
  const agent = new Agent(
    { settings, random: platform.random, log: platform.log, keyLog: platform.keyLog },
    {
      writeSerial: (b) => platform.serial.write(b),
      serialQueued: () => platform.serial.queued?.() ?? 0,
      setDtr: platform.serial.setDtr?.bind(platform.serial),
      setPin: platform.modemPins?.set.bind(platform.modemPins),
      onEvent: (e: AgentEvent) => platform.report?.(e),
    },
  );
  const log = new Logger(platform.log, 'timers', settings.logLevel);
  const timers = new TimerSet(platform.timer, platform.clock, (e) => log.error(`an app timer threw: ${String(e)}`));
  const runner = new Runner({ ...platform, timer: timers.timer() }, agent, settings.logLevel);
  const failed = selfTest();
  if (failed === undefined) runner.start();
  else {
    // A library that computes wrong answers does so on every try: retrying would only make keys
    // the gateway cannot use (or that leak). The device stays off the network until new firmware.
    new Logger(platform.log, 'crypto', settings.logLevel).error(`self-test failed: ${failed} gave a wrong answer; the tunnel stays down (a retry cannot fix the crypto library: flash a build whose self-test passes)`);
  }
  const runtime: ClientRuntime = {
    now: () => platform.clock.now(),
    timer: () => timers.timer(),
    random: platform.random,
  };
  const status = new TunnelStatus(agent.tunnel.traffic);
  agent.onEvent((event, now) => status.apply(event, now));
  const sockets = socketsFor(agent.network);
  // The clients use format "buffer", where read() gives ArrayBuffers: the ECMA-419 shape they expect.
  const clients: ClientIo = { socket: { io: sockets.TCP as unknown as TcpClass }, dns: { io: sockets.Resolver as unknown as ResolverClass }, runtime };
  return { agent, runner, settings, sockets, clients, status, stop: () => runner.act((now) => agent.stop(now)) };
}
