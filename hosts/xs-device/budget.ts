/**
 * The device's RAM budget, measured on the ESP32 build's Linux twin (hosts/xs-device) against the
 * lab: bring-up, a stream of 1400-byte datagrams through the tunnel, a CHILD SA rekey and an IKE SA
 * rekey (both started by the gateway: the device answers the first and, refusing the gateway's IKE
 * rekey, rekeys that SA itself). Used by `npm run bench:xs` and test/e2e/device-budget.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from '../../test/lab/lab.ts';
import { ECHO_ADDRESS, ECHO_PORT } from '../../test/lab/lab.ts';
import type { ModdableSdk } from '../../scripts/moddable-sdk.ts';
import { buildXsDevice, type Creation, type XsDeviceBuild } from '../../scripts/xs-device.ts';
import { XsDeviceRun, type CensusRow, type DeviceEvent, type DeviceTurn, type XsHeap } from './device.ts';

/** Slot size of XS on a 32-bit MCU (and in this -m32 build). */
export const SLOT_BYTES = 16;

export const STREAM = { probeCount: 20, probeSize: 1400 };

/**
 * The lab manifest's config as a device build takes it (ESP32 log level), with the 1400-byte stream
 * and both app clients bundled (`clients`): the budget holds for a build that offers them in
 * `device.network`, the larger of the two.
 */
export function labDeviceManifest(dir: string, overrides: Record<string, unknown> = {}): string {
  const lab = JSON.parse(fs.readFileSync('manifests/lab/manifest.json', 'utf8')) as { config: Record<string, unknown> };
  const file = path.join(dir, 'lab-device.json');
  const config = { ...lab.config, ...DEVICE_PROPOSALS, clients: ['mqtt', 'http'], logLevel: 'info', probeTarget: `${ECHO_ADDRESS}:${ECHO_PORT}`, ...STREAM, ...overrides };
  fs.writeFileSync(file, JSON.stringify({ config }));
  return file;
}

/**
 * The proposals the ESP32 manifest ships with: the device build measured is the one flashed, and the
 * lab's gateway is given the same ones.
 */
export const DEVICE_PROPOSALS: { ikeProposals: string[]; espProposals: string[] } = (() => {
  const c = (JSON.parse(fs.readFileSync('manifests/esp32/manifest.json', 'utf8')) as { config: { ikeProposals: string[]; espProposals: string[] } }).config;
  return { ikeProposals: c.ikeProposals, espProposals: c.espProposals };
})();

/** Room enough to watch the program without ever running out (the measuring build). */
export const ROOMY: Partial<Creation> = { chunk: { initial: 1 << 20, incremental: 0 }, heap: { initial: 65536, incremental: 0 }, stack: 4096 };

/** `config`: keys over the lab device's (e.g. crypto, proposals). */
export function buildLabDevice(sdk: ModdableSdk, work: string, creation?: Partial<Creation>, config: Record<string, unknown> = {}): Promise<XsDeviceBuild> {
  return buildXsDevice(sdk, { manifest: labDeviceManifest(work, config), ...(creation ? { creation } : {}) }, work);
}

export interface Phase {
  name: string;
  turns: DeviceTurn[];
}

export interface ScenarioResult {
  run: XsDeviceRun;
  /** Live heap (after a full collection) at the milestones. */
  live: { started: XsHeap; tunnelUp: XsHeap; streamed: XsHeap; rekeyed: XsHeap };
  phases: Phase[];
  probe: DeviceEvent;
  /** With `census`: what the live heap is made of, after start and with the tunnel up. */
  census?: { started: CensusRow[]; tunnelUp: CensusRow[] };
}

const has = (t: DeviceTurn, type: DeviceEvent['type']) => t.events.includes(type);

/**
 * Runs the scenario on a started lab. Throws (with the last lines) when a step does not happen,
 * e.g. because XS ran out of memory; the program is stopped in every case.
 */
export async function runScenario(lab: Lab, binary: string, options: { gcEachTurn?: boolean; census?: boolean; onLine?: (l: string) => void } = {}): Promise<ScenarioResult> {
  const { census: takeCensus, ...runOptions } = options;
  const run = XsDeviceRun.start({ binary, serialPath: lab.serialPath, ...runOptions });
  try {
    await run.waitFor(() => run.turns.length > 0, 10_000, 'the main module');
    const started = await run.heap('gc');
    const startedCensus = takeCensus ? await run.census() : [];
    await run.waitFor((e) => e.type === 'child-up', 90_000, 'the tunnel');
    const tunnelUp = await run.heap('gc');
    const census = takeCensus ? { started: startedCensus, tunnelUp: await run.census() } : undefined;
    const probe = await run.waitFor((e) => e.type === 'probe-result' || e.type === 'probe-error', 120_000, 'the 1400-byte stream');
    const streamed = await run.heap('gc');
    const childRekey = run.turns.length;
    await lab.gateway.swanctlCmd('--rekey', '--child', 'net');
    await run.waitFor((e) => e.type === 'child-rekeyed', 30_000, 'the CHILD SA rekey');
    const ikeRekey = run.turns.length;
    await lab.gateway.swanctlCmd('--rekey', '--ike', 'device');
    await run.waitFor((e) => e.type === 'ike-rekeyed', 30_000, 'the IKE SA rekey');
    await new Promise((r) => setTimeout(r, 1000)); // the old SAs' DELETE exchanges
    const rekeyed = await run.heap('gc');
    const turns = run.turns;
    const at = (type: DeviceEvent['type'], from = 0) => turns.findIndex((t) => t.index >= from && has(t, type));
    const up = at('child-up');
    // The IKE_SA_INIT reply's turns: checked (the serial turn that read it), the shared secret (the
    // turn before the keys'), the keys (logs "IKE_SA_INIT done"), then the IKE_AUTH request. The
    // IKE_AUTH reply's: AUTH checked (the serial turn that read it), then the CHILD SA ('child-up').
    const keys = at('ike-sa-init-done');
    const secret = keys > 0 ? turns[keys - 1] : undefined;
    const reply = turns.slice(0, Math.max(0, keys - 1)).filter((t) => t.kind === 'serial').at(-1);
    const authReply = turns.slice(0, Math.max(0, up)).filter((t) => t.kind === 'serial').at(-1);
    const end = at(probe.type, up);
    const phases: Phase[] = [
      { name: 'start: main module, agent built and started', turns: turns.slice(0, 1) },
      { name: 'IKE_SA_INIT: key pair, request', turns: turns.filter((t) => has(t, 'ike-connecting')) },
      { name: 'IKE_SA_INIT reply: checked', turns: reply ? [reply] : [] },
      { name: 'IKE_SA_INIT reply: DH shared secret', turns: secret ? [secret] : [] },
      { name: 'keys: SKEYSEED and SK_*', turns: keys >= 0 ? [turns[keys]!] : [] },
      { name: 'IKE_AUTH request: AUTH', turns: keys >= 0 && turns[keys + 1] ? [turns[keys + 1]!] : [] },
      { name: 'IKE_AUTH reply: AUTH checked', turns: authReply ? [authReply] : [] },
      { name: 'IKE_AUTH reply: CHILD SA keyed and installed', turns: turns.slice(up, up + 1) },
      { name: `ESP stream: ${STREAM.probeCount} × ${STREAM.probeSize} B echoed`, turns: turns.slice(up + 1, end + 1) },
      { name: "CHILD SA rekey (the gateway's, answered)", turns: turns.slice(childRekey, at('child-rekeyed', childRekey) + 1) },
      { name: 'IKE SA rekey (by the device)', turns: turns.slice(ikeRekey, at('ike-rekeyed', ikeRekey) + 1) },
      { name: 'whole run', turns },
    ];
    return { run, live: { started, tunnelUp, streamed, rekeyed }, phases, probe, ...(census ? { census } : {}) };
  } finally {
    await run.stop();
  }
}

export interface PhasePeak {
  name: string;
  turns: number;
  slots: number;
  chunks: number;
  stack: number;
}

export function phasePeaks(phases: readonly Phase[]): PhasePeak[] {
  return phases.map((p) => ({
    name: p.name,
    turns: p.turns.length,
    slots: Math.max(0, ...p.turns.map((t) => t.heap.slotsPeak)),
    chunks: Math.max(0, ...p.turns.map((t) => t.heap.chunksPeak)),
    stack: Math.max(0, ...p.turns.map((t) => t.heap.stackPeak)),
  }));
}

/** The heap in manifest terms and in bytes on the device: slots × 16 B + chunk bytes. */
export const heapBytes = (slots: number, chunks: number) => slots * SLOT_BYTES + chunks;

/**
 * `creation` from measured peaks with a margin (a fraction, e.g. 0.25): slot heap, chunk heap and
 * stack each get the margin on top of their own peak; rounded up to 1 KB (chunks) / 64 slots.
 */
export function creationFor(peak: { slots: number; chunks: number; stack: number }, margin: number): Pick<Creation, 'chunk' | 'heap' | 'stack'> {
  const up = (n: number, to: number) => Math.ceil(n / to) * to;
  return {
    chunk: { initial: up(peak.chunks * (1 + margin), 1024), incremental: 0 },
    heap: { initial: up(peak.slots * (1 + margin), 64), incremental: 0 },
    stack: up(peak.stack * (1 + margin), 32),
  };
}

export interface FitResult {
  fits: boolean;
  /** Why not: the step that did not happen, XS's abort reason and heap. */
  failure?: string;
  seconds: number;
}

/** Builds the lab device with `creation` and runs the scenario on a fresh lab: does it fit? */
export async function fits(sdk: ModdableSdk, work: string, creation: Partial<Creation>, startLab: () => Promise<Lab>, config: Record<string, unknown> = {}): Promise<FitResult> {
  const t0 = Date.now();
  const dir = fs.mkdtempSync(path.join(work, 'fit-'));
  const build = await buildLabDevice(sdk, dir, creation, config);
  const lab = await startLab();
  try {
    await runScenario(lab, build.binary);
    return { fits: true, seconds: (Date.now() - t0) / 1000 };
  } catch (e) {
    return { fits: false, failure: (e as Error).message.split('\n')[0], seconds: (Date.now() - t0) / 1000 };
  } finally {
    await lab.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The smallest value in (low, high] for which `test` holds, to within `step` (test(high) must hold).
 * Each probe is one scenario run (about a minute), hence coarse steps.
 */
export async function smallestFitting(low: number, high: number, step: number, test: (n: number) => Promise<boolean>): Promise<number> {
  while (high - low > step) {
    const mid = Math.ceil((low + high) / 2 / step) * step;
    if (mid >= high) break;
    if (await test(mid)) high = mid;
    else low = mid;
  }
  return high;
}
