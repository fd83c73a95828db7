/**
 * TCP through the tunnel end to end, against Linux's own TCP stack in the lab's private network
 * (services/tcp-services.mjs), with the device's test app (net-app.ts) driving the ECMA-419
 * classes. The same cases run for every device host: tcp.test.ts (Node), tcp-xs.test.ts (XS).
 *
 * Two labs per host, each case sharing its lab and running its streams at once:
 *  - 115200 baud: an echo both ways (IKELET_TCP_BYTES, default 128 KiB: 1 MiB takes ~100 s each
 *    way at 115200, so the 1 MiB runs are in `npm run bench:tcp`) while hostile segments hit that
 *    connection, a client in the private network uses a Listener on the device, and a closed
 *    port answers RST; then an echo with 10 % loss; then an upload across a carrier loss and redial (the tunnel
 *    comes back with the same virtual IP and the connection carries on).
 *  - 921600 baud, CHILD SA rekeyed every 10 s and the IKE SA every 16 s: 1 MiB (2 MiB in Node, which
 *    moves 1 MiB faster than 16 s) up to the sink and as much down from the source at once, then an echo with 10 % loss (IKELET_TCP_LOSS_BYTES,
 *    default 256 KiB; 1 MiB in the bench), each transfer across rekeys.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { AgentEvent } from '../../src/agent/agent.ts';
import type { ManifestConfig } from '../../src/config/validate.ts';
import { labTest, startLab } from '../lab/harness.ts';
import { labDeviceConfig } from '../lab/device-config.ts';
import { CLOSED_PORT, ECHO_ADDRESS, TCP_PORTS, type Lab } from '../lab/lab.ts';
import type { DeviceHost, DeviceUnderTest } from './device-hosts.ts';
import { fillPattern, type AppCommand, type AppEvent } from './net-app.ts';

type Ev<T extends AgentEvent['type']> = Extract<AgentEvent, { type: T }>;
const KiB = 1024;
const MiB = 1024 * KiB;
/** The 115200-baud echo: 1 MiB takes ~100 s each way there, so CI runs less; the bench runs 1 MiB. */
const SLOW_BYTES = Number(process.env.IKELET_TCP_BYTES ?? 128 * KiB);
/** The lossy echo at 921600: random loss makes TCP wait for retransmission timeouts (1 s each). */
const LOSS_BYTES = Number(process.env.IKELET_TCP_LOSS_BYTES ?? 256 * KiB);

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function bringUp(t: TestContext, host: DeviceHost, baud: number, config: Partial<ManifestConfig>): Promise<{ lab: Lab; device: DeviceUnderTest; vip: string }> {
  const lab = await startLab(t, { modem: { registrationDelayMs: 100, baud } });
  const device = await host.make({ config: labDeviceConfig({ uartBaud: baud, ...config }), serialPath: lab.serialPath, netApp: true });
  t.after(() => device.close());
  await device.start();
  const up = (await device.waitFor((e) => e.type === 'child-up', 60_000, 'the tunnel')) as Ev<'child-up'>;
  return { lab, device, vip: up.virtualIp };
}

function app(device: DeviceUnderTest, command: AppCommand): void {
  device.command(command);
}

const appEvent = (e: AgentEvent): AppEvent | undefined => ((e as unknown as AppEvent).type === 'app' ? (e as unknown as AppEvent) : undefined);

async function appResult(device: DeviceUnderTest, id: string, timeoutMs: number): Promise<AppEvent> {
  const e = await device.waitFor((x) => appEvent(x)?.id === id && (appEvent(x)!.event === 'done' || appEvent(x)!.event === 'error'), timeoutMs, `app ${id}`);
  return e as unknown as AppEvent;
}

async function stats(device: DeviceUnderTest, id: string): Promise<NonNullable<AppEvent['counters']>> {
  app(device, { op: 'stats', id });
  const e = (await device.waitFor((x) => appEvent(x)?.id === id, 10_000, 'stats')) as unknown as AppEvent;
  return e.counters!;
}

function eventIndex(device: DeviceUnderTest, match: (e: AgentEvent) => boolean): number {
  return device.events.findIndex(match);
}

/** Rekey events of `type` that came while transfer `id` was open (between its 'open' and its end). */
function rekeysDuring(device: DeviceUnderTest, id: string, type: 'child-rekeyed' | 'ike-rekeyed'): number {
  const open = eventIndex(device, (e) => appEvent(e)?.id === id && appEvent(e)!.event === 'open');
  const end = eventIndex(device, (e) => appEvent(e)?.id === id && (appEvent(e)!.event === 'done' || appEvent(e)!.event === 'error'));
  return device.events.slice(open, end).filter((e) => e.type === type).length;
}

/** An echo of `bytes` each way with 10 % random TCP loss at the gateway's private side: byte-exact, and the loss was real. */
async function lossyEcho(lab: Lab, device: DeviceUnderTest, id: string, bytes: number): Promise<{ echo: AppEvent; lost: number }> {
  await lab.setPrivateLoss(0.1);
  app(device, { op: 'echo', id, address: ECHO_ADDRESS, port: TCP_PORTS.echo, bytes });
  const echo = await appResult(device, id, 400_000);
  const lost = await lab.lossDrops();
  await lab.setPrivateLoss(0);
  assert.ok(lost > 0, 'the gateway dropped packets');
  assert.deepEqual({ ok: echo.ok, received: echo.received, mismatchAt: echo.mismatchAt }, { ok: true, received: bytes, mismatchAt: -1 }, JSON.stringify(echo));
  return { echo, lost };
}

/** Payload bytes per second over the serial line's bytes per second (8N1). */
const goodput = (bytes: number, ms: number, baud: number): string => `${((bytes * 1000) / ms / (baud / 10)).toFixed(2)} of the line`;

export function defineTcpTests(host: DeviceHost): void {
  labTest(`tcp [${host.name}] 115200 baud: echo both ways byte-exact while hostile segments are dropped and counted; a Listener serves the private network; a closed port is "refused"; an echo with 10 % loss; an upload survives a redial`, async (t) => {
    const baud = 115200;
    const { lab, device, vip } = await bringUp(t, host, baud, {});
    app(device, { op: 'listen', id: 'listen', port: 7 });
    app(device, { op: 'echo', id: 'echo', address: ECHO_ADDRESS, port: TCP_PORTS.echo, bytes: SLOW_BYTES });
    app(device, { op: 'connect', id: 'closed', address: ECHO_ADDRESS, port: CLOSED_PORT });

    // Hostile segments at the echo connection, spoofed from the service's side.
    const seen = async () => {
      for (let i = 0; i < 200; i++) {
        const m = lab.tcpLog().map((l) => new RegExp(`^echo from ${vip.replace(/\./g, '\\.')}:(\\d+)$`).exec(l)).find(Boolean);
        if (m) return Number(m[1]);
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`the echo service never saw the device: ${lab.tcpLog().join(' | ')}`);
    };
    const devicePort = await seen();
    const HOSTILE = 20;
    const [hostile, client] = await Promise.all([
      lab.hostileSegments({ address: ECHO_ADDRESS, port: TCP_PORTS.echo }, { address: vip, port: devicePort }, HOSTILE),
      lab.tcpClient(vip, 7, 64 * KiB, 120),
    ]);
    assert.equal(hostile.length, 6, hostile.join(' | '));

    const closed = await appResult(device, 'closed', 30_000);
    assert.deepEqual([closed.event, closed.code], ['error', 'refused'], 'RST from a closed port is a named error');

    assert.equal(client, `client ok sent ${64 * KiB} received ${64 * KiB} sha256 ${sha256(fillPattern(0, 64 * KiB))}`, 'the private network reached the Listener on the virtual IP, byte-exact');
    assert.ok(device.events.some((e) => appEvent(e)?.id === 'listen' && appEvent(e)!.event === 'accepted' && appEvent(e)!.message?.startsWith(`${ECHO_ADDRESS}:`)));

    const echo = await appResult(device, 'echo', 300_000);
    assert.deepEqual({ ok: echo.ok, sent: echo.sent, received: echo.received, mismatchAt: echo.mismatchAt }, { ok: true, sent: SLOW_BYTES, received: SLOW_BYTES, mismatchAt: -1 }, JSON.stringify(echo));
    t.diagnostic(`echo ${SLOW_BYTES / KiB} KiB each way at ${baud}: ${echo.ms} ms, ${goodput(SLOW_BYTES, echo.ms!, baud)} each way`);

    const c = await stats(device, 'stats-1');
    const drops = c.tcp.drops;
    for (const reason of ['tcp bad checksum', 'tcp rst out of window', 'tcp syn out of window', 'tcp malformed options', 'tcp impossible flags']) {
      assert.equal(drops[reason], HOSTILE, `${reason}: ${JSON.stringify(drops)}`);
    }
    assert.ok((drops['tcp segment out of window'] ?? 0) >= HOSTILE, 'data far outside the window was dropped');
    assert.equal(lab.modem!.stats().uplinkOverrun, 0, 'the agent never wrote faster than the serial line');

    // The same echo through 10 % loss at the gateway's private side.
    const lossy = Math.min(SLOW_BYTES, 64 * KiB);
    const { echo: e2, lost } = await lossyEcho(lab, device, 'echo-loss', lossy);
    const c2 = await stats(device, 'stats-2');
    assert.ok(c2.tcp.retransmits > c.tcp.retransmits, 'losses were repaired by retransmission');
    t.diagnostic(`echo ${lossy / KiB} KiB each way at ${baud} with 10 % loss: ${e2.ms} ms, ${goodput(lossy, e2.ms!, baud)}; ${lost} packets dropped at the gateway, ${c2.tcp.retransmits - c.tcp.retransmits} retransmitted by the device`);

    // The carrier drops mid-transfer: the device redials, the tunnel comes back with the same
    // virtual IP (the gateway's pool keeps the lease per identity) and the connection carries on.
    app(device, { op: 'upload', id: 'redial', address: ECHO_ADDRESS, port: TCP_PORTS.sink, bytes: 48 * KiB });
    await device.waitFor((e) => appEvent(e)?.id === 'redial' && appEvent(e)!.event === 'open', 30_000, 'the upload');
    await new Promise((r) => setTimeout(r, 1500));
    lab.modem!.dropCarrier();
    await device.waitFor((e) => e.type === 'link-down', 20_000, 'the device to notice');
    // The kept SAs move to the new link (MOBIKE): the same virtual IP by construction.
    const moved = (await device.waitFor((e) => e.type === 'ike-moved', 90_000, 'the tunnel again')) as Ev<'ike-moved'>;
    assert.equal(moved.virtualIp, vip, 'the same virtual IP');
    const redial = await appResult(device, 'redial', 300_000);
    assert.equal(redial.record, `${48 * KiB} ${sha256(fillPattern(0, 48 * KiB))}`, `the upload finished byte-exact across the redial: ${JSON.stringify(redial)}`);
    assert.equal(device.unexpectedErrors(), 0);
    await device.stop();
  }, 600_000);

  // The device rekeys by itself (CHILD SA every 10 s, IKE SA at 16 s), so each transfer must
  // outlast 16 s: 1 MiB does in XS; the agent in Node moves 1 MiB in 13–15 s here, so it moves 2.
  const bulk = host.name === 'node' ? 2 * MiB : MiB;
  labTest(`tcp [${host.name}] 921600 baud: ${bulk / MiB} MiB up to the sink and ${bulk / MiB} MiB down from the source at once, then an echo with 10 % loss, across CHILD and IKE SA rekeys without a reset`, async (t) => {
    const baud = 921600;
    const { lab, device } = await bringUp(t, host, baud, { childLifetime: 10, ikeLifetime: 16 });
    const from = device.events.length;
    app(device, { op: 'upload', id: 'up', address: ECHO_ADDRESS, port: TCP_PORTS.sink, bytes: bulk });
    app(device, { op: 'download', id: 'down', address: ECHO_ADDRESS, port: TCP_PORTS.source, bytes: bulk });
    const [up, down] = await Promise.all([appResult(device, 'up', 300_000), appResult(device, 'down', 300_000)]);
    const expected = `${bulk} ${sha256(fillPattern(0, bulk))}`;
    assert.equal(up.record, expected, `the sink recorded ${bulk / MiB} MiB byte-exact: ${JSON.stringify(up)}`);
    assert.ok(lab.tcpLog().some((l) => l.startsWith('sink end ') && l.endsWith(` ${expected}`)), 'the sink logged the same record');
    assert.deepEqual({ ok: down.ok, received: down.received, mismatchAt: down.mismatchAt }, { ok: true, received: bulk, mismatchAt: -1 }, JSON.stringify(down));
    t.diagnostic(`${bulk / MiB} MiB up ${up.ms} ms (${goodput(bulk, up.ms!, baud)}), ${bulk / MiB} MiB down ${down.ms} ms (${goodput(bulk, down.ms!, baud)}), at once, ${baud} baud`);

    const { echo, lost } = await lossyEcho(lab, device, 'echo-loss', LOSS_BYTES);
    t.diagnostic(`${LOSS_BYTES / KiB} KiB echo each way with 10 % loss: ${echo.ms} ms (${goodput(LOSS_BYTES, echo.ms!, baud)}), ${lost} packets dropped at the gateway`);

    const during = device.events.slice(from);
    const rekeys = ['up', 'down', 'echo-loss'].map((id) => ({ id, child: rekeysDuring(device, id, 'child-rekeyed'), ike: rekeysDuring(device, id, 'ike-rekeyed') }));
    assert.ok(rekeys.some((r) => r.child > 0), `a transfer was open across a CHILD SA rekey: ${JSON.stringify(rekeys)}`);
    assert.ok(rekeys.some((r) => r.ike > 0), `a transfer was open across an IKE SA rekey: ${JSON.stringify(rekeys)}`);
    assert.deepEqual(during.filter((e) => e.type === 'child-down' || e.type === 'ike-down'), [], 'no SA was torn down');
    assert.equal(lab.modem!.stats().uplinkOverrun, 0, 'the agent never wrote faster than the serial line');
    assert.equal(eventIndex(device, (e) => appEvent(e)?.event === 'error'), -1, 'no connection was reset or timed out');
    assert.equal(device.unexpectedErrors(), 0);
    await device.stop();
  }, 900_000);
}
