/**
 * One tunnel bring-up through the lab, from dial to the first datagram answered, for each
 * initiator: ikelet in Node (hosts/sim), ikelet in XS (hosts/xs), strongSwan's charon (the
 * lab's swan initiator). The bytes come from the modem emulator's air meter, the same point for
 * all three; the times from each initiator's own "PPP up" and "CHILD SA up".
 */
import type { AgentEvent } from '../../src/agent/agent.ts';
import type { ManifestConfig } from '../../src/config/validate.ts';
import { SimDevice } from '../../hosts/sim/device.ts';
import { PtySerial } from '../../hosts/sim/pty-serial.ts';
import { totals, type MeteredFrame } from '../lab/air-meter.ts';
import { ECHO_ADDRESS, ECHO_PORT, type Lab } from '../lab/lab.ts';
import { waitFor } from '../lab/processes.ts';

/** The first datagram: 16 payload bytes in UDP in IPv4, from either initiator. */
export const DATAGRAM_PAYLOAD = 16;
const INNER_PACKET = 20 + 8 + DATAGRAM_PAYLOAD;

export interface BringUp {
  /** PPP frames on the air, both ways, dial → first datagram answered. */
  airUp: number;
  airDown: number;
  /** Of those: LCP + IPCP, IKE, ESP (the datagram and its echo), anything else. */
  airPpp: number;
  airIke: number;
  airEsp: number;
  airOther: number;
  /** The IP packets inside those frames (what a carrier counts). */
  ipBytes: number;
  /** IKE message lengths (header + payloads). */
  ikeInitRequest: number;
  ikeInitResponse: number;
  ikeAuthRequest: number;
  ikeAuthResponse: number;
  /** PPP up → CHILD SA up at the initiator, and PPP up → its first IKE frame on the air. */
  pppUpToChildMs: number;
  pppUpToFirstIkeMs: number;
  /** The datagram going up: outer IP bytes added to the inner packet, and PPP framing on top. */
  espIpOverhead: number;
  espPppOverhead: number;
}

export function analyse(frames: readonly MeteredFrame[], pppUpAt: number, childUpAt: number): BringUp {
  const t = totals(frames);
  const sum = (...causes: Array<keyof typeof t.byCause>) => causes.reduce((a, c) => a + (t.byCause[c]?.up ?? 0) + (t.byCause[c]?.down ?? 0), 0);
  const ike = (cause: MeteredFrame['cause'], response: boolean) => frames.find((f) => f.cause === cause && f.response === response)?.ikeBytes ?? NaN;
  const firstIke = frames.find((f) => f.cause === 'ike-sa-init');
  const esp = frames.find((f) => f.cause === 'esp' && f.dir === 'up');
  const airPpp = sum('lcp', 'ipcp', 'lcp-echo', 'ppp-other');
  const airIke = sum('ike-sa-init', 'ike-auth', 'create-child-sa', 'dpd', 'informational', 'ike-other');
  const airEsp = sum('esp');
  return {
    airUp: t.up,
    airDown: t.down,
    airPpp,
    airIke,
    airEsp,
    airOther: t.up + t.down - airPpp - airIke - airEsp,
    ipBytes: frames.reduce((a, f) => a + (f.ipBytes ?? 0), 0),
    ikeInitRequest: ike('ike-sa-init', false),
    ikeInitResponse: ike('ike-sa-init', true),
    ikeAuthRequest: ike('ike-auth', false),
    ikeAuthResponse: ike('ike-auth', true),
    pppUpToChildMs: childUpAt - pppUpAt,
    pppUpToFirstIkeMs: firstIke ? firstIke.at - pppUpAt : NaN,
    espIpOverhead: esp?.ipBytes !== undefined ? esp.ipBytes - INNER_PACKET : NaN,
    espPppOverhead: esp?.ipBytes !== undefined ? esp.wireBytes - esp.ipBytes : NaN,
  };
}

/** The device's config for a bring-up: one datagram of 16 bytes to the echo service once the tunnel is up. */
export function bringUpConfig(base: ManifestConfig): ManifestConfig {
  return { ...base, probeTarget: `${ECHO_ADDRESS}:${ECHO_PORT}`, probeCount: 1, probeSize: DATAGRAM_PAYLOAD };
}

/** Runs one device host (Node or XS) from start to its first answered datagram; the stop is not metered. */
async function deviceRun(lab: Lab, run: (onEvent: (e: AgentEvent) => void) => Promise<() => Promise<void>>): Promise<BringUp> {
  const meter = lab.modem!.meter;
  const at: Partial<Record<AgentEvent['type'], number>> = {};
  let answered: number | undefined;
  let result: AgentEvent | undefined;
  const mark = meter.mark();
  const stop = await run((e) => {
    at[e.type] ??= performance.now();
    if (e.type === 'probe-result' || e.type === 'probe-error') {
      answered ??= meter.mark();
      result ??= e;
    }
  });
  try {
    await waitFor('the first datagram answered', () => result, 60_000);
    if (result!.type !== 'probe-result' || result!.received !== 1) throw new Error(`the datagram was not answered: ${JSON.stringify(result)}`);
    return analyse(meter.since(mark, answered), at['link-up']!, at['child-up']!);
  } finally {
    await stop();
    await waitFor('the modem back in command mode', () => lab.modem!.state === 'command' || undefined, 20_000);
  }
}

export function ikeletNodeRun(lab: Lab, config: ManifestConfig): Promise<BringUp> {
  return deviceRun(lab, async (onEvent) => {
    const device = new SimDevice({ config: bringUpConfig(config), serialPath: lab.serialPath, log: () => {} });
    device.onEvent((e) => onEvent(e));
    device.start();
    return () => device.stop();
  });
}

/** The agent inside XS (xsnap). Importing the XS host locks down this process (SES): the caller decides when. */
export function ikeletXsRun(lab: Lab, config: ManifestConfig, code: string): Promise<BringUp> {
  return deviceRun(lab, async (onEvent) => {
    const { XsAgentHost } = await import('../../hosts/xs/agent-host.ts');
    const serial = new PtySerial(lab.serialPath);
    const host = new XsAgentHost({ config: bringUpConfig(config), serial, log: () => {}, report: onEvent, code });
    let stopped = false;
    host.start().catch(() => {}); // a failed start shows as no answered datagram
    return async () => {
      if (stopped) return;
      stopped = true;
      host.stopAgent();
      await waitFor('the XS agent to hang up', () => lab.modem!.state === 'command' || undefined, 15_000).catch(() => {});
      await host.stop();
      serial.close();
    };
  });
}

export async function swanRun(lab: Lab): Promise<BringUp> {
  const initiator = lab.initiator!;
  const meter = lab.modem!.meter;
  const mark = meter.mark();
  try {
    const up = await initiator.connect();
    await initiator.echo(ECHO_ADDRESS, ECHO_PORT, 'x'.repeat(DATAGRAM_PAYLOAD));
    const answered = meter.mark();
    const toPerf = (epochMs: number) => epochMs - performance.timeOrigin;
    return analyse(meter.since(mark, answered), toPerf(up.linkUpAt), toPerf(up.childUpAt));
  } finally {
    await initiator.disconnect();
    await waitFor('the modem back in command mode', () => lab.modem!.state === 'command' || undefined, 20_000);
  }
}
