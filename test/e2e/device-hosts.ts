/**
 * The hosts an end-to-end test can run the agent in. Every tunnel test runs once per host
 * with the same assertions: Node (hosts/sim) proves the protocol, XS proves the device code.
 */
import type { AgentEvent } from '../../src/agent/agent.ts';
import type { AgentConfig } from '../../src/config.ts';
import { SimDevice } from '../../hosts/sim/device.ts';

export interface DeviceUnderTest {
  readonly events: AgentEvent[];
  start(): void;
  waitFor(match: (e: AgentEvent) => boolean, timeoutMs: number, what?: string): Promise<AgentEvent>;
  /** Internal errors caught by the runner (bugs): always expected to be 0. */
  unexpectedErrors(): number;
  stop(timeoutMs?: number): Promise<void>;
  close(): void;
}

export interface DeviceHost {
  name: string;
  make(options: { config: AgentConfig; serialPath: string }): Promise<DeviceUnderTest>;
}

const quiet = () => {};

export const nodeHost: DeviceHost = {
  name: 'node',
  async make(options) {
    return new SimDevice({ ...options, log: process.env.IKELET_LOG ? undefined : quiet });
  },
};

export const DEVICE_HOSTS: DeviceHost[] = [nodeHost];
