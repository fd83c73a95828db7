/**
 * The entry every device host calls: validates and parses the manifest config once (the same
 * validator the build ran), builds the agent on a Platform and starts it.
 * Hosts that can carry structured events (the XS bridge, the ESP32 app) pass `report`;
 * the agent's events are also always logged in words.
 */
import { parseSettings } from '../config/validate.ts';
import type { Platform } from '../platform.ts';
import { Agent, type AgentEvent } from './agent.ts';
import { Runner } from './runner.ts';

export interface StartedAgent {
  agent: Agent;
  runner: Runner;
  /** Graceful stop: IKE DELETE, LCP terminate, hang-up. */
  stop(): void;
}

/** Throws, naming every bad setting (never a secret's value), when the config is invalid. */
export function startAgent(platform: Platform): StartedAgent {
  const settings = parseSettings(platform.config);
  const agent = new Agent(
    { settings, random: platform.random, log: platform.log, keyLog: platform.keyLog },
    { writeSerial: (b) => platform.serial.write(b), setDtr: platform.serial.setDtr?.bind(platform.serial), onEvent: (e: AgentEvent) => platform.report?.(e) },
  );
  const runner = new Runner(platform, agent, settings.logLevel);
  runner.start();
  return { agent, runner, stop: () => runner.act((now) => agent.stop(now)) };
}
