/**
 * Faults the recovery ladder heals (src/modem/recovery-ladder.ts), end to end through the lab:
 * the modem emulator, slirp as the carrier, strongSwan. Each case keeps numbered datagrams echoed
 * through the tunnel (fault-cases.ts's rig), waits until the tunnel is back by itself, names the
 * rung that healed it, and checks that nothing sent once the link was known down was lost: those
 * datagrams wait in the held queue. (Datagrams sent into a dead path before the link is declared
 * down are the network's loss, not the queue's: a wedged modem or a stall eats them.)
 */
import assert from 'node:assert/strict';
import type { AgentEvent } from '../../src/agent/agent.ts';
import type { ManifestConfig } from '../../src/config/validate.ts';
import { DEFAULT_FRAMING, encodeFrame } from '../../src/ppp/hdlc.ts';
import { PROTO_LCP } from '../../src/ppp/protocols.ts';
import { describeReport } from '../lab/echo-checker.ts';
import { labTest } from '../lab/harness.ts';
import type { DeviceHost, DeviceUnderTest } from './device-hosts.ts';
import { recovered, rig, sleep } from './fault-cases.ts';

/**
 * Quicker liveness for the lab: LCP echo every 5 s (dead after 3), quick retries up to 16 s, a 30 s
 * stall. The held queue takes every datagram of the longest outage (5 a second for up to 3 min).
 */
// linkLossHold 0: each heal ends in a new IKE SA. A kept SA moved by MOBIKE is healed too, but the
// lab's gateway (kernel-libipsec) sends its ESP to the stale NAT port until its own CHILD rekey, and
// the echoes of those seconds are the lab's loss (docs/mobility.md; carrier-loss-mobike tests it).
const LADDER: Partial<ManifestConfig> = { lcpEchoInterval: 5, lcpEchoFailures: 3, maxAttempts: 5, dataStallTimeout: 30, udpQueueLength: 1024, udpQueueBytes: 65536, linkLossHold: 0 };
/** A PWRKEY wired to the emulator, with short timings (the emulator's minimums are 0.5 s on, 2.5 s off). */
const PINS: Partial<ManifestConfig> = { modemPowerPin: 4, modemPowerOnPulse: 1000, modemPowerOffPulse: 3000, modemPowerOffWait: 3000 };

type Retry = Extract<AgentEvent, { type: 'link-retry' }>;

/** The rungs climbed since event index `from`; the last one healed the link. */
const rungsSince = (d: DeviceUnderTest, from: number): Retry[] => d.events.slice(from).filter((e): e is Retry => e.type === 'link-retry');

/** Resolves when the link is declared down after event `from`, with the time. */
async function linkDownAfter(d: DeviceUnderTest, from: number, timeoutMs: number): Promise<number> {
  await d.waitFor((e) => e.type === 'link-down' && d.events.indexOf(e) >= from, timeoutMs, 'the link declared down');
  return performance.now();
}

interface Case {
  name: string;
  title: string;
  config?: Partial<ManifestConfig>;
  pins?: boolean;
  boundMs: number;
  rung: Retry['rung'];
  /** Datagrams sent before the link was declared down may be lost (a dead path eats them). */
  deadPath?: boolean;
  fault(lab: Awaited<ReturnType<typeof rig>>['lab']): void;
}

const CASES: Case[] = [
  {
    name: 'lcp-terminate',
    title: "the carrier's LCP Terminate-Request",
    boundMs: 30_000,
    rung: 'redial',
    fault: (lab) => lab.modem!.sendToAgent(encodeFrame(PROTO_LCP, Uint8Array.of(5, 0x77, 0, 4), DEFAULT_FRAMING)),
  },
  {
    name: 'sim-deactivated',
    title: 'SIM deactivated (+CEREG: 3, the call drops), then active again: registration stays denied until the radio rung re-attaches',
    boundMs: 45_000,
    rung: 'radio',
    fault: (lab) => {
      lab.modem!.model.setRegistration(3);
      lab.modem!.dropCarrier();
    },
  },
  {
    name: 'silent-stall',
    title: 'a silent stall (LCP echo answered, IP lost both ways)',
    boundMs: 75_000,
    rung: 'redial',
    deadPath: true,
    fault: (lab) => lab.modem!.blackholeIp(),
  },
  {
    name: 'wedged',
    title: 'a wedged modem (no AT, no data) until a PWRKEY power cycle',
    config: PINS,
    pins: true,
    boundMs: 180_000,
    rung: 'power',
    deadPath: true,
    fault: (lab) => lab.modem!.wedge(),
  },
];

export function defineLadderTests(host: DeviceHost, only?: readonly string[]): void {
  for (const c of CASES) {
    if (only && !only.includes(c.name)) continue;
    labTest(`ladder [${host.name}]: ${c.title}: back by itself within ${c.boundMs / 1000} s, healed by the ${c.rung} rung, 0 lost from the held queue`, async (t) => {
      const { lab, device, checker } = await rig(t, host, {}, { ...LADDER, ...c.config }, undefined, c.pins);
      await sleep(2000);
      const from = device.events.length;
      const faultAt = performance.now();
      c.fault(lab);
      const downAt = await linkDownAfter(device, from, c.boundMs);
      const took = await recovered(checker, faultAt, c.boundMs, `the tunnel after ${c.name}`);
      // A long outage leaves hundreds of held datagrams: they take a while on a 115200-baud line.
      await sleep(3000);
      checker.stop();
      const heldLost = () => (c.deadPath ? checker.lostSince(downAt + 1000) : checker.report().lost);
      for (let i = 0; i < 300 && heldLost().length; i++) await sleep(100);
      const report = checker.report();
      const rungs = rungsSince(device, from);
      const released = device.events.slice(from).filter((e) => e.type === 'udp-held-released');
      t.diagnostic(`${c.name}: held queue ${JSON.stringify(released)}`);
      t.diagnostic(`${c.name}: down ${Math.round(downAt - faultAt)} ms after the fault, back after ${Math.round(took)} ms; rungs ${rungs.map((r) => `${r.rung} (${r.reason})`).join(' -> ')}; ${describeReport(report)}`);
      assert.equal(rungs.at(-1)?.rung, c.rung, `healed by the ${c.rung} rung (${rungs.map((r) => r.rung).join(', ')})`);
      assert.deepEqual(heldLost(), [], `nothing lost from the held queue (${describeReport(report)})`);
      assert.ok(released.every((e) => e.type === 'udp-held-released' && e.dropped === 0), 'the held queue dropped nothing');
      assert.deepEqual(report.duplicated, []);
      assert.equal(device.unexpectedErrors(), 0);
      await device.stop();
    }, c.boundMs + 120_000);
  }

  if (!only || only.includes('daily-disconnect')) {
    // "Every 24 h the connection breaks": a carrier that ends long calls. After a link that stayed
    // up, the ladder and the backoff start afresh: a quick redial, not a climb.
    labTest(`ladder [${host.name}]: a forced disconnect after a long call: a quick redial (attempt 1), even after earlier faults, 0 lost`, async (t) => {
      const { lab, device, checker } = await rig(t, host, {}, LADDER);
      await sleep(2000);
      lab.modem!.sendToAgent(encodeFrame(PROTO_LCP, Uint8Array.of(5, 0x78, 0, 4), DEFAULT_FRAMING)); // an earlier fault
      await recovered(checker, performance.now(), 30_000, 'the tunnel after the first fault');
      await sleep(65_000); // the link proves itself (60 s)
      const from = device.events.length;
      const faultAt = performance.now();
      lab.modem!.dropCarrier();
      const took = await recovered(checker, faultAt, 30_000, 'the tunnel after the forced disconnect');
      await sleep(3000);
      const report = await checker.finish(5000);
      const rungs = rungsSince(device, from);
      t.diagnostic(`daily disconnect: back after ${Math.round(took)} ms; ${rungs.map((r) => `${r.rung} attempt ${r.attempt}`).join(', ')}; ${describeReport(report)}`);
      assert.deepEqual(rungs.map((r) => [r.rung, r.attempt]), [['redial', 1]]);
      assert.deepEqual(report.lost, [], describeReport(report));
      assert.equal(device.unexpectedErrors(), 0);
      await device.stop();
    }, 200_000);
  }
}
