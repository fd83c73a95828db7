/**
 * The hosts an end-to-end test can run the agent in. Every tunnel test runs once per host
 * with the same assertions: Node (hosts/sim) proves the protocol, XS proves the device code.
 */
import type { AgentEvent } from '../../src/agent/agent.ts';
import type { ManifestConfig } from '../../src/config/validate.ts';
import { SimDevice } from '../../hosts/sim/device.ts';
import { PtySerial } from '../../hosts/sim/pty-serial.ts';
import { consoleLog } from '../../hosts/sim/node-platform.ts';
import { EventLog } from '../../hosts/sim/event-log.ts';
import { socketsFor } from '../../src/net/sockets/index.ts';
import { NetApp, type AppCommand } from './net-app.ts';
import type { TurnUsage } from '../../hosts/xs/worker.ts';
import type { DatagramPort } from '../lab/echo-checker.ts';
import type { ModemPins } from '../../src/platform.ts';

export interface DeviceUnderTest {
  readonly events: AgentEvent[];
  start(): Promise<void> | void;
  waitFor(match: (e: AgentEvent) => boolean, timeoutMs: number, what?: string): Promise<AgentEvent>;
  /** Internal errors caught by the runner or the host (bugs): always expected to be 0. */
  unexpectedErrors(): number;
  /** A command for the test app (net-app.ts), when the device was made with `netApp`. */
  command(command: AppCommand): void;
  /** Bytes of memory the device's apps can grow into (Node: ArrayBuffers; XS: the heap taken from the OS). */
  memoryBytes(): number;
  stop(timeoutMs?: number): Promise<void>;
  close(): void;
  /** An app socket on the tunnel's inner network (source: the virtual IP), sending to one address:port. */
  openUdp?(address: string, port: number): DatagramPort;
}

export interface DeviceHost {
  name: string;
  /** `modemPins`: the modem's PWRKEY/RESET lines (the lab's emulator), for the power rung; Node only for now. */
  make(options: { config: ManifestConfig; serialPath: string; netApp?: boolean; modemPins?: ModemPins }): Promise<DeviceUnderTest>;
}

const log = process.env.IKELET_LOG ? consoleLog : () => {};

export const nodeHost: DeviceHost = {
  name: 'node',
  async make(options) {
    const device = new SimDevice({ ...options, log });
    let app: NetApp | undefined;
    return {
      events: device.events,
      memoryBytes: () => process.memoryUsage().arrayBuffers,
      openUdp: (address: string, port: number) => tunnelUdp(device, address, port),
      start() {
        device.start();
        if (options.netApp) app = new NetApp(device.started.sockets, device.started.clients, (e) => device.note(e as never), () => device.agent.network.counters());
      },
      waitFor: (m, t, w) => device.waitFor(m, t, w),
      unexpectedErrors: () => device.unexpectedErrors(),
      stop: (t) => device.stop(t),
      close: () => device.close(),
      command(c) {
        if (!app) throw new Error('the device was made without netApp');
        app.command(c);
      },
    };
  },
};

/** An app's ECMA-419 UDP socket inside the Node agent (so it gets what apps get: the held queue while the tunnel is down). */
export function tunnelUdp(device: SimDevice, address: string, port: number): DatagramPort {
  let handler: (payload: Uint8Array) => void = () => {};
  let socket: InstanceType<ReturnType<typeof socketsFor>['UDP']> | undefined;
  device.act(() => {
    socket = new (socketsFor(device.agent.network).UDP)({
      onReadable(count) {
        for (let i = 0; i < count; i++) {
          const d = this.read();
          if (d && d.address === address && d.port === port) handler(new Uint8Array(d));
        }
      },
    });
  });
  return {
    send: (payload) => device.act(() => socket?.write(payload, address, port)),
    onReceive: (h) => (handler = h),
    // Not an agent turn: after the device's close() a turn would re-arm the agent's timer for good.
    close: () => socket?.close(),
  };
}

/** The agent inside XS (xsnap), on the same pty serial line. Loading it locks down this process (SES). */
export const xsHost: DeviceHost = {
  name: 'xs',
  make: (options) => makeXsDevice(options),
};

/** xsHost's device; `onTurn` hears the computrons of every XS turn (the benches). */
export async function makeXsDevice({ config, serialPath, netApp }: Parameters<DeviceHost['make']>[0], onTurn?: (turn: TurnUsage) => void): Promise<DeviceUnderTest> {
  const { XsAgentHost } = await import('../../hosts/xs/agent-host.ts');
  const { agentBundle } = await import('../../hosts/xs/bundle.ts');
  const serial = new PtySerial(serialPath, { baud: config.uartBaud });
  const events = new EventLog();
  const code = netApp ? await agentBundle('test/e2e/net-device.ts') : undefined;
  const host = new XsAgentHost({ config, serial, log, report: (e) => events.push(e), ...(code ? { code } : {}), ...(onTurn ? { onTurn } : {}) });
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
    memoryBytes: () => host.meterUsage.memory?.allocate ?? 0,
    command: (c) => host.appCommand(c),
    async stop(timeoutMs = 10_000) {
      host.stopAgent();
      await events.waitFor((e) => e.type === 'link-stopped', timeoutMs, 'the link to stop').catch(() => {});
      await host.stop();
      serial.close();
      closed = true;
    },
    close,
  };
}
