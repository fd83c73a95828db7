/**
 * The entry every device host calls: builds the agent on a Platform and starts it.
 * Hosts that can carry structured events (the XS bridge, the ESP32 app) pass `report`;
 * the agent's events are also always logged in words.
 */
import type { Platform } from '../platform.ts';
import { Agent, type AgentEvent } from './agent.ts';
import { Runner } from './runner.ts';
import { socketsFor, type NetworkSockets } from '../net/sockets/index.ts';

export interface StartedAgent {
  agent: Agent;
  runner: Runner;
  /** The ECMA-419 classes over the tunnel (TCP, UDP, Listener, Resolver) for the app. */
  sockets: NetworkSockets;
  /** Graceful stop: IKE DELETE, LCP terminate, hang-up. */
  stop(): void;
}

export function startAgent(platform: Platform): StartedAgent {
  const agent = new Agent(
    { config: platform.config, random: platform.random, log: platform.log, keyLog: platform.keyLog },
    {
      writeSerial: (b) => platform.serial.write(b),
      serialQueued: () => platform.serial.queued?.() ?? 0,
      setDtr: platform.serial.setDtr?.bind(platform.serial),
      onEvent: (e: AgentEvent) => platform.report?.(e),
    },
  );
  const runner = new Runner(platform, agent);
  runner.start();
  return { agent, runner, sockets: socketsFor(agent.network), stop: () => runner.act((now) => agent.stop(now)) };
}
