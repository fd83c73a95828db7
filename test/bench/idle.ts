/**
 * What keeping an idle tunnel up and reachable costs per day, by cause, for ikelet with its
 * device defaults and for strongSwan with its defaults, from PPP frames at the modem emulator.
 *
 * Frequent events (NAT keepalive, DPD, LCP echo) are observed over a shortened idle window:
 * the cost of one event (its frames both ways) and the interval between events are measured,
 * and a day is 86,400 s ÷ interval × cost. Rekeys are too rare to observe: their cost is
 * measured by making one happen (short lifetimes for ikelet, `swanctl --rekey` for strongSwan)
 * and a day is 86,400 s ÷ the configured lifetime × cost.
 */
import fs from 'node:fs';
import type { ManifestConfig } from '../../src/config/validate.ts';
import { SimDevice } from '../../hosts/sim/device.ts';
import type { AgentEvent } from '../../src/agent/agent.ts';
import type { FrameCause, MeteredFrame } from '../lab/air-meter.ts';
import type { Lab } from '../lab/lab.ts';
import { INITIATOR_CHILD, INITIATOR_CONNECTION } from '../lab/swan-initiator.ts';
import { median } from './stats.ts';
import { bringUpConfig, DATAGRAM_PAYLOAD } from './bringup-runs.ts';
import { ECHO_ADDRESS, ECHO_PORT } from '../lab/lab.ts';

export const DAY_S = 86_400;
export type IdleCause = 'nat-keepalive' | 'dpd' | 'lcp-echo' | 'child-rekey' | 'ike-rekey' | 'other';
export const IDLE_CAUSES: IdleCause[] = ['nat-keepalive', 'dpd', 'lcp-echo', 'child-rekey', 'ike-rekey', 'other'];

/** The settings that decide what an idle tunnel sends. */
const IDLE_KEYS = ['lcpEchoInterval', 'lcpEchoFailures', 'dpdInterval', 'dpdIdle', 'natKeepalive', 'ikeLifetime', 'childLifetime', 'childRekeyBytes', 'childRekeyPackets', 'sendRemoteId'] as const;
export type IdleDefaults = Pick<ManifestConfig, (typeof IDLE_KEYS)[number]>;

/** The device defaults of the ESP32 manifest for everything that sends while idle. */
export function esp32IdleDefaults(): IdleDefaults {
  const c = (JSON.parse(fs.readFileSync('manifests/esp32/manifest.json', 'utf8')) as { config: ManifestConfig }).config;
  return Object.fromEntries(IDLE_KEYS.map((k) => [k, c[k]])) as unknown as IdleDefaults;
}

/**
 * strongSwan's defaults (charon 5.9): keep_alive 20 s, dpd_delay 0 (off), IKE rekey_time 4 h and
 * CHILD rekey_time 1 h, each less a random 0..rand_time (= over_time = 10 % of it): on average 5 % early.
 * LCP echo is pppd's business: Debian's /etc/ppp/options sets lcp-echo-interval 30 and
 * lcp-echo-failure 4, and pppd sends an Echo-Request every interval whatever the traffic.
 * The swan initiator's PPP bridge runs ikelet's PPP, which sends one only after a whole interval
 * heard nothing: at 15 s it sends often enough to measure an exchange; the day is then counted
 * at pppd's rhythm, one exchange every 30 s.
 */
export const STRONGSWAN_DEFAULTS = { childRekeyMeanS: 3600 * 0.95, ikeRekeyMeanS: 14400 * 0.95, pppdLcpEchoInterval: 30, lcpEchoFailures: 4 };
export const BRIDGE_LCP_ECHO_FOR_PPPD = STRONGSWAN_DEFAULTS.pppdLcpEchoInterval / 2;

export interface PerCause {
  /** Bytes on the air per event, both ways (PPP frames). */
  cost: number;
  /** The IP packets inside them: what the carrier bills (LCP never leaves the modem: 0). */
  ipCost: number;
  /** s between events: the median gap, or (one event only) the window. */
  intervalS: number;
  perDay: number;
  ipPerDay: number;
  /** Events seen in the window. */
  events: number;
  /** 'other': the frame causes it gathers. */
  causes?: string[];
}
export type IdleFigures = Partial<Record<IdleCause, PerCause>>;

/** Events of one cause in a window: their cost (frames both ways) and the interval between them. */
function observe(frames: readonly MeteredFrame[], cause: FrameCause, windowS: number): PerCause | undefined {
  const mine = frames.filter((f) => f.cause === cause);
  if (mine.length === 0) return undefined;
  // An event is a request (or a lone keepalive) and what answers it.
  const starts = mine.filter((f) => !f.response);
  const events = Math.max(1, starts.length);
  const gaps = starts.slice(1).map((f, i) => (f.at - starts[i]!.at) / 1000);
  const intervalS = median(gaps) ?? windowS / events;
  const { wire, ip } = bytesOf(mine);
  return perInterval(wire / events, ip / events, intervalS, events);
}

function bytesOf(frames: readonly MeteredFrame[]): { wire: number; ip: number } {
  return { wire: frames.reduce((a, f) => a + f.wireBytes, 0), ip: frames.reduce((a, f) => a + (f.ipBytes ?? 0), 0) };
}

/** An event of `cost` (and `ipCost`) bytes every `intervalS`: what it makes a day. */
export function perInterval(cost: number, ipCost: number, intervalS: number, events = 1): PerCause {
  return { cost, ipCost, intervalS, perDay: (DAY_S / intervalS) * cost, ipPerDay: (DAY_S / intervalS) * ipCost, events };
}

export function idleFromWindow(frames: readonly MeteredFrame[], windowS: number): IdleFigures {
  const out: IdleFigures = {};
  for (const [cause, frameCause] of [['nat-keepalive', 'nat-keepalive'], ['dpd', 'dpd'], ['lcp-echo', 'lcp-echo']] as const) {
    const o = observe(frames, frameCause, windowS);
    if (o) out[cause] = o;
  }
  const other = frames.filter((f) => !['nat-keepalive', 'dpd', 'lcp-echo'].includes(f.cause));
  if (other.length) {
    const { wire, ip } = bytesOf(other);
    out.other = { ...perInterval(wire, ip, windowS), causes: [...new Set(other.map((f) => f.cause))] };
  }
  return out;
}

/** The rekey exchanges in `frames`: CREATE_CHILD_SA and the DELETE that follows. */
export interface RekeyCost {
  wire: number;
  ip: number;
}
function rekeyCost(frames: readonly MeteredFrame[]): RekeyCost {
  return bytesOf(frames.filter((f) => f.cause === 'create-child-sa' || f.cause === 'informational'));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ikelet with the device defaults: bring the tunnel up, answer one datagram, then stay idle for `windowS`. */
export async function ikeletIdle(lab: Lab, base: ManifestConfig, windowS: number): Promise<IdleFigures> {
  const meter = lab.modem!.meter;
  const device = new SimDevice({ config: bringUpConfig({ ...base, ...esp32IdleDefaults() }), serialPath: lab.serialPath, log: () => {} });
  device.start();
  try {
    await device.waitFor((e) => e.type === 'probe-result', 60_000, 'the first datagram answered');
    await sleep(1000);
    const mark = meter.mark();
    await sleep(windowS * 1000);
    return idleFromWindow(meter.since(mark), windowS);
  } finally {
    await device.stop();
  }
}

/**
 * What one CHILD SA rekey and one IKE SA rekey cost ikelet (each with the DELETE of the old SA),
 * and one liveness check (an empty INFORMATIONAL exchange), which an idle window of minutes does
 * not see when it is due after an hour of silence: lifetimes of 10 s and 16 s (kernel-libipsec at
 * the gateway needs 5 s or more), a check after 4 s of silence, keepalives and LCP echo off.
 */
export async function ikeletRekeys(lab: Lab, base: ManifestConfig): Promise<{ child: RekeyCost; ike: RekeyCost; dpd: RekeyCost }> {
  const meter = lab.modem!.meter;
  const config = { ...base, childLifetime: 10, ikeLifetime: 16, dpdInterval: 0, dpdIdle: 4, natKeepalive: 0, lcpEchoInterval: 0 };
  const device = new SimDevice({ config, serialPath: lab.serialPath, log: () => {} });
  const at: Partial<Record<AgentEvent['type'], number>> = {};
  device.onEvent((e, now) => (at[e.type] ??= now));
  const mark = meter.mark();
  device.start();
  try {
    await device.waitFor((e) => e.type === 'ike-rekeyed', 60_000, 'the IKE SA rekey');
    await sleep(1500);
    if (!(at['child-rekeyed']! < at['ike-rekeyed']!)) throw new Error('the CHILD SA was expected to rekey first');
    const frames = meter.since(mark).filter((f) => f.at > at['child-up']!);
    // The CHILD rekey's DELETE exchange follows its event within a second; the IKE rekey starts 6 s later.
    const split = at['child-rekeyed']! + 1500;
    const checks = frames.filter((f) => f.cause === 'dpd');
    const { wire, ip } = bytesOf(checks);
    const n = Math.max(1, checks.filter((f) => !f.response).length);
    return { child: rekeyCost(frames.filter((f) => f.at <= split)), ike: rekeyCost(frames.filter((f) => f.at > split)), dpd: { wire: wire / n, ip: ip / n } };
  } finally {
    await device.stop();
  }
}

/** strongSwan with its defaults: connect, answer one datagram, idle for `windowS`, then one rekey of each kind. */
export async function swanIdle(lab: Lab, windowS: number): Promise<{ idle: IdleFigures; child: RekeyCost; ike: RekeyCost }> {
  const initiator = lab.initiator!;
  const meter = lab.modem!.meter;
  try {
    await initiator.connect();
    await initiator.echo(ECHO_ADDRESS, ECHO_PORT, 'x'.repeat(DATAGRAM_PAYLOAD));
    await sleep(1000);
    const mark = meter.mark();
    await sleep(windowS * 1000);
    const idle = idleFromWindow(meter.since(mark), windowS);
    const echo = idle['lcp-echo'];
    const pppd = STRONGSWAN_DEFAULTS.pppdLcpEchoInterval;
    if (echo) idle['lcp-echo'] = perInterval(echo.cost, echo.ipCost, pppd, echo.events);
    const rekey = async (...what: string[]) => {
      const m = meter.mark();
      await initiator.swanctlCmd('--rekey', ...what);
      await sleep(2500);
      return rekeyCost(meter.since(m));
    };
    const child = await rekey('--child', INITIATOR_CHILD);
    const ike = await rekey('--ike', INITIATOR_CONNECTION);
    return { idle, child, ike };
  } finally {
    await initiator.disconnect();
  }
}
