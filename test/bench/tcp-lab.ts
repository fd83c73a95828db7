/**
 * Shared by the TCP benchmarks: one lab with the modem emulator at a baud rate and a device
 * (Node or XS host) running the test app (test/e2e/net-app.ts); transfers by command.
 */
import type { AgentEvent } from '../../src/agent/agent.ts';
import type { ManifestConfig } from '../../src/config/validate.ts';
import { labDeviceConfig } from '../lab/device-config.ts';
import { ECHO_ADDRESS, Lab, TCP_PORTS } from '../lab/lab.ts';
import type { GatewayOptions } from '../lab/strongswan.ts';
import type { DeviceHost, DeviceUnderTest } from '../e2e/device-hosts.ts';
import type { AppEvent } from '../e2e/net-app.ts';

export interface BenchRig {
  lab: Lab;
  device: DeviceUnderTest;
  stop(): Promise<void>;
}

export async function benchRig(host: DeviceHost, baud: number, gateway: Partial<GatewayOptions> = {}, config: Partial<ManifestConfig> = {}, make?: DeviceHost['make']): Promise<BenchRig> {
  const lab = await Lab.start({ gateway, modem: { registrationDelayMs: 100, baud } });
  let device: DeviceUnderTest | undefined;
  try {
    device = await (make ?? host.make)({ config: labDeviceConfig({ uartBaud: baud, logLevel: 'warn', ...config }), serialPath: lab.serialPath, netApp: true });
    await device.start();
    await device.waitFor((e) => e.type === 'child-up', 60_000, 'the tunnel');
  } catch (e) {
    device?.close();
    await lab.stop();
    throw e;
  }
  const d = device;
  return {
    lab,
    device: d,
    async stop() {
      await d.stop().catch(() => {});
      await lab.stop();
    },
  };
}

const asApp = (e: AgentEvent): AppEvent | undefined => ((e as unknown as AppEvent).type === 'app' ? (e as unknown as AppEvent) : undefined);
let ids = 0;

/** One transfer; resolves with its 'done' event (throws on 'error'). */
export async function transfer(device: DeviceUnderTest, op: 'upload' | 'download' | 'echo', bytes: number, timeoutMs = 900_000): Promise<AppEvent> {
  const id = `${op}-${++ids}`;
  const port = op === 'upload' ? TCP_PORTS.sink : op === 'download' ? TCP_PORTS.source : TCP_PORTS.echo;
  device.command({ op, id, address: ECHO_ADDRESS, port, bytes });
  const e = asApp(await device.waitFor((x) => asApp(x)?.id === id && (asApp(x)!.event === 'done' || asApp(x)!.event === 'error'), timeoutMs, id))!;
  if (e.event === 'error' || !e.ok) throw new Error(`${id} failed: ${JSON.stringify(e)}`);
  return e;
}

export async function counters(device: DeviceUnderTest): Promise<NonNullable<AppEvent['counters']>> {
  const id = `stats-${++ids}`;
  device.command({ op: 'stats', id });
  return asApp(await device.waitFor((x) => asApp(x)?.id === id, 10_000, id))!.counters!;
}

/** Payload bytes per second over the line's 8N1 bytes per second. */
export const ratio = (bytes: number, ms: number, baud: number): number => (bytes * 1000) / ms / (baud / 10);
