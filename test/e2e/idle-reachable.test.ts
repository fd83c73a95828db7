/**
 * An idle device stays reachable from the private network (issue 13: "an inbound datagram after a
 * long idle arrives"). The device listens on its virtual IP and sends nothing; over the idle window
 * the only things on the air are NAT keepalives (no DPD: nothing protected went unanswered, and the
 * idle check is an hour away); then a host in the private network connects to the device and
 * echoes through the tunnel, byte-exact.
 *
 * The keepalive interval is the lab's short one so the window sees several; the carrier NAT here
 * (slirp) keeps a UDP mapping for 240 s, which CI cannot wait out, so what this proves is the
 * device side: keepalives alone on a silent line, and the tunnel answering at the end of it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { AgentEvent } from '../../src/agent/agent.ts';
import { labTest, startLab } from '../lab/harness.ts';
import { labDeviceConfig } from '../lab/device-config.ts';
import { nodeHost } from './device-hosts.ts';
import { fillPattern, type AppEvent } from './net-app.ts';

const IDLE_S = 30;
const KEEPALIVE_S = 5;
const KiB = 1024;

const appEvent = (e: AgentEvent): AppEvent | undefined => ((e as unknown as AppEvent).type === 'app' ? (e as unknown as AppEvent) : undefined);

labTest(`idle for ${IDLE_S} s with only NAT keepalives on the air, the device is still reached from the private network`, async (t) => {
  // A gateway without MOBIKE: with it, strongSwan was seen to run an INFORMATIONAL exchange of its own
  // in some idle windows (its address checks), which is not what this test measures (the device's
  // own air while idle); the MOBIKE cases are in fault-cases.ts and tunnel-cases.ts.
  const lab = await startLab(t, { modem: { registrationDelayMs: 100 }, gateway: { mobike: false } });
  const device = await nodeHost.make({ config: labDeviceConfig({ natKeepalive: KEEPALIVE_S }), serialPath: lab.serialPath, netApp: true });
  t.after(() => device.close());
  await device.start();
  const up = (await device.waitFor((e) => e.type === 'child-up', 60_000, 'the tunnel')) as Extract<AgentEvent, { type: 'child-up' }>;
  device.command({ op: 'listen', id: 'listen', port: 7 });
  await device.waitFor((e) => appEvent(e)?.id === 'listen' && appEvent(e)!.event === 'open', 10_000, 'the Listener');

  const meter = lab.modem!.meter;
  const mark = meter.mark();
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  const idle = meter.since(mark);
  const causes = new Set(idle.map((f) => f.cause));
  const keepalives = idle.filter((f) => f.cause === 'nat-keepalive' && !f.response).length;
  t.diagnostic(`idle ${IDLE_S} s: ${idle.length} frames (${[...causes].join(', ')}), ${keepalives} NAT keepalives`);
  assert.ok(keepalives >= IDLE_S / KEEPALIVE_S - 2, `NAT keepalives kept the mapping: ${keepalives}`);
  assert.deepEqual([...causes].filter((c) => c !== 'nat-keepalive' && c !== 'lcp-echo'), [], 'nothing but keepalives (and LCP echo on the line) while idle');

  const reply = await lab.tcpClient(up.virtualIp, 7, 4 * KiB, 60);
  const digest = createHash('sha256').update(fillPattern(0, 4 * KiB)).digest('hex');
  assert.equal(reply, `client ok sent ${4 * KiB} received ${4 * KiB} sha256 ${digest}`, 'the private network reached the idle device, byte-exact');
  assert.equal(device.unexpectedErrors(), 0);
  await device.stop();
}, 180_000);
