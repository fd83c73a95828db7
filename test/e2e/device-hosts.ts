/**
 * The hosts an end-to-end test can run the agent in. Every tunnel test runs once per host
 * with the same assertions: Node (hosts/sim) proves the protocol, XS proves the device code.
 */
import type { AgentEvent } from '../../src/agent/agent.ts';
import type { ManifestConfig } from '../../src/config/validate.ts';
import type { UdpSocket } from '../../src/ip/stack.ts';
import { SimDevice } from '../../hosts/sim/device.ts';
import { PtySerial } from '../../hosts/sim/pty-serial.ts';
import { consoleLog } from '../../hosts/sim/node-platform.ts';
import { EventLog } from '../../hosts/sim/event-log.ts';
import type { DatagramPort } from '../lab/echo-checker.ts';

export interface DeviceUnderTest {
  readonly events: AgentEvent[];
  start(): Promise<void> | void;
  waitFor(match: (e: AgentEvent) => boolean, timeoutMs: number, what?: string): Promise<AgentEvent>;
  /** Internal errors caught by the runner or the host (bugs): always expected to be 0. */
  unexpectedErrors(): number;
  stop(timeoutMs?: number): Promise<void>;
  close(): void;
  /** An app socket on the tunnel's inner network (source: the virtual IP), sending to one address:port. */
  openUdp?(address: string, port: number): DatagramPort;
}

export interface DeviceHost {
  name: string;
  make(options: { config: ManifestConfig; serialPath: string }): Promise<DeviceUnderTest>;
}

const log = process.env.IKELET_LOG ? consoleLog : () => {};

export const nodeHost: DeviceHost = {
  name: 'node',
  async make(options) {
    const device = new SimDevice({ ...options, log });
    return Object.assign(device, { openUdp: (address: string, port: number) => tunnelUdp(device, address, port) });
  },
};

/** A UDP socket of the app inside the Node agent: bound on the tunnel's inner stack, used in agent turns. */
export function tunnelUdp(device: SimDevice, address: string, port: number): DatagramPort {
  let handler: (payload: Uint8Array) => void = () => {};
  let socket: UdpSocket | undefined;
  device.act(() => {
    socket = device.agent.tunnel.bindUdp(0, (d) => {
      if (d.srcAddr === address && d.srcPort === port) handler(d.payload);
    });
  });
  return {
    send: (payload) => device.act((now) => void socket?.sendTo(address, port, payload, now)),
    onReceive: (h) => (handler = h),
    // Not an agent turn: after the device's close() a turn would re-arm the agent's timer for good.
    close: () => socket?.close(),
  };
}

/** The agent inside XS (xsnap), on the same pty serial line. Loading it locks down this process (SES). */
export const xsHost: DeviceHost = {
  name: 'xs',
  async make({ config, serialPath }) {
    const { XsAgentHost } = await import('../../hosts/xs/agent-host.ts');
    const serial = new PtySerial(serialPath);
    const events = new EventLog();
    const host = new XsAgentHost({ config, serial, log, report: (e) => events.push(e) });
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      void host.stop().finally(() => serial.close());
    };
    return {
      events: events.events,
      openUdp: (address, port) => ({
        send: (payload) => host.sendUdp(address, port, payload),
        onReceive: (handler) => {
          host.onUdp = (from, fromPort, payload) => {
            if (from === address && fromPort === port) handler(payload);
          };
        },
        close: () => (host.onUdp = () => {}),
      }),
      start: () => host.start(),
      waitFor: (m, t, w) => events.waitFor(m, t, w),
      unexpectedErrors: () => host.faults.length,
      async stop(timeoutMs = 10_000) {
        host.stopAgent();
        await events.waitFor((e) => e.type === 'link-stopped', timeoutMs, 'the link to stop').catch(() => {});
        await host.stop();
        serial.close();
        closed = true;
      },
      close,
    };
  },
};
