/**
 * The device module for XS runs that drive the test app (net-app.ts): the agent as the device
 * bundle starts it, plus appCommand() for the Node side's commands (hosts/xs ToXs.app).
 */
import { startAgent as startDevice, type StartedAgent } from '../../src/agent/start.ts';
import type { Platform } from '../../src/platform.ts';
import { NetApp, type AppCommand } from './net-app.ts';

let app: NetApp | undefined;

export function startAgent(platform: Platform): StartedAgent {
  const started = startDevice(platform);
  app = new NetApp(started.sockets, started.clients, (e) => platform.report?.(e as never), () => started.agent.network.counters());
  return started;
}

export function appCommand(command: unknown): void {
  app?.command(command as AppCommand);
}
