/**
 * `npm run bench` (root; runs the lab): ikelet side by side with strongSwan's own initiator on
 * the same path (modem emulator at 115200 baud, slirp as the carrier's PPP peer and NAT, the same
 * strongSwan gateway), printed as one table. Every figure is the median of BENCH_RUNS runs
 * (default 5) with min–max; every comparison is measured in the same run of this program.
 *
 *   1. bring-up per suite: PPP frames on the air dial → first datagram answered, IKE message bytes
 *      beside the RFC 7296 floor, PPP up → CHILD SA up (ikelet in Node, in XS, strongSwan), ESP overhead
 *   2. idle: bytes per day by cause, ikelet's device defaults vs strongSwan's defaults
 *   3. XS: figures of `npm run bench:xs` (see xs-figures.ts), run alone, and the device bundle size
 *   4. the apps: bytes on the air per MQTT message, a firmware download, idle keepalives (apps.ts)
 *
 * BENCH_RUNS and BENCH_IDLE_S (idle window, default 125 s: two of ikelet's 60 s LCP echoes) shorten or lengthen it.
 * The gateway sends no NAT keepalives of its own here (keep_alive 0), as one on a public address.
 */
import os from 'node:os';
import type { ManifestConfig } from '../../src/config/validate.ts';
import { agentBundle } from '../../hosts/xs/bundle.ts';
import { labDeviceConfig } from '../lab/device-config.ts';
import { Lab } from '../lab/lab.ts';
import { ikeletNodeRun, ikeletXsRun, swanRun, type BringUp } from './bringup-runs.ts';
import { ikeFloor } from './ike-floor.ts';
import { BRIDGE_LCP_ECHO_FOR_PPPD, DAY_S, esp32IdleDefaults, IDLE_CAUSES, ikeletIdle, ikeletRekeys, perInterval, STRONGSWAN_DEFAULTS, swanIdle, type IdleCause, type IdleFigures, type PerCause } from './idle.ts';
import { bytesHuman, median, num, Samples, showSpread } from './stats.ts';
import { appsBench } from './apps.ts';
import { deviceBundleSize, XS_LINES, xsBenchFigures } from './xs-figures.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 125);
const SUITES = [
  { ike: 'aes128gcm16-prfsha256-x25519', esp: 'aes128gcm16' },
  { ike: 'aes256gcm16-prfsha384-ecp256', esp: 'aes256gcm16' },
  { ike: 'chacha20poly1305-prfsha256-x25519', esp: 'chacha20poly1305' },
  { ike: 'aes128gcm16-prfsha256-x25519', esp: 'aes128-sha256' },
] as const;
const DEFAULT = SUITES[0];
const suiteName = (s: (typeof SUITES)[number]) => `${s.ike} / ${s.esp}`;
const GATEWAY = { keepAlive: 0 };
const started = Date.now();
const progress = (text: string) => process.stderr.write(`bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s: ${text}\n`);

const samples = new Samples();
const record = (prefix: string, b: BringUp) => {
  for (const [k, v] of Object.entries(b)) samples.add(`${prefix}.${k}`, v);
};

// ---- 1. bring-up, per suite -------------------------------------------------------------------
const xsCode = await agentBundle();
for (const suite of SUITES) {
  const config: ManifestConfig = labDeviceConfig({ ikeProposals: [suite.ike], espProposals: [suite.esp], logLevel: 'error' });
  const lab = await Lab.start({
    gateway: { ...GATEWAY, ikeProposals: [suite.ike], espProposals: [suite.esp] },
    modem: { registrationDelayMs: 50 },
    swanInitiator: { device: config },
  });
  try {
    for (let run = 1; run <= RUNS; run++) {
      progress(`bring-up ${run}/${RUNS}, ${suiteName(suite)}`);
      record(`${suiteName(suite)}.node`, await ikeletNodeRun(lab, config));
      record(`${suiteName(suite)}.swan`, await swanRun(lab));
      if (suite === DEFAULT) record(`${suiteName(suite)}.xs`, await ikeletXsRun(lab, config, xsCode));
    }
  } finally {
    await lab.stop();
  }
}

// ---- 2. idle -------------------------------------------------------------------------------------
progress(`idle: ${RUNS} ikelet and ${RUNS} strongSwan labs side by side, ${IDLE_S} s idle each, then rekeys`);
const idleBase = labDeviceConfig({ logLevel: 'error' });
const swanDevice = { ...idleBase, lcpEchoInterval: BRIDGE_LCP_ECHO_FOR_PPPD, lcpEchoFailures: STRONGSWAN_DEFAULTS.lcpEchoFailures };
const idleLabs: Lab[] = [];
const ikeletDefaults = esp32IdleDefaults();
/** Per run, every cause: observed while idle, rekeys from one measured rekey and the lifetime. */
const ikeletIdleRuns: IdleFigures[] = [];
const swanIdleRuns: IdleFigures[] = [];
try {
  const work: Promise<void>[] = [];
  for (let run = 0; run < RUNS; run++) {
    const ik = await Lab.start({ gateway: GATEWAY, modem: { registrationDelayMs: 50 } });
    idleLabs.push(ik);
    work.push((async () => {
      const idle = await ikeletIdle(ik, idleBase, IDLE_S);
      const { child, ike, dpd } = await ikeletRekeys(ik, idleBase);
      ikeletIdleRuns.push({
        ...idle,
        // The idle check (dpdIdle): its cost measured, counted per dpdIdle, unless a CHILD SA rekey
        // comes at least as often (an answered rekey is the check: none is sent on top).
        ...(idle.dpd || !ikeletDefaults.dpdIdle || ikeletDefaults.dpdIdle >= ikeletDefaults.childLifetime ? {} : { dpd: perInterval(dpd.wire, dpd.ip, ikeletDefaults.dpdIdle) }),
        'child-rekey': perInterval(child.wire, child.ip, ikeletDefaults.childLifetime),
        'ike-rekey': perInterval(ike.wire, ike.ip, ikeletDefaults.ikeLifetime),
      });
    })());
    const sw = await Lab.start({ gateway: GATEWAY, modem: { registrationDelayMs: 50 }, swanInitiator: { device: swanDevice } });
    idleLabs.push(sw);
    work.push(swanIdle(sw, IDLE_S).then(({ idle, child, ike }) => void swanIdleRuns.push({
      ...idle,
      'child-rekey': perInterval(child.wire, child.ip, STRONGSWAN_DEFAULTS.childRekeyMeanS),
      'ike-rekey': perInterval(ike.wire, ike.ip, STRONGSWAN_DEFAULTS.ikeRekeyMeanS),
    })));
  }
  await Promise.all(work);
} finally {
  for (const lab of idleLabs) await lab.stop();
}
// ---- 3. bench:xs, alone: how serial bytes batch into XS turns depends on how busy the machine is
progress(`bench:xs ×${RUNS}`);
const xs = await xsBenchFigures(RUNS);
const bundle = await deviceBundleSize();
// ---- 4. the apps: MQTT per message, firmware, idle keepalives (ikelet only) --------------------
progress('apps: MQTT per message, a firmware download, idle keepalives (npm run bench:apps)');
const apps = await appsBench({ progress });

// ---- the table ---------------------------------------------------------------------------------
type Row = [string, string, string, string];
const rows: Row[] = [];
const head = (title: string) => rows.push([`**${title}**`, '', '', '']);
const row = (label: string, ikelet: string, swan: string, note = '') => rows.push([label, ikelet, swan, note]);
const d = suiteName(DEFAULT);
const both = (key: string, unit: string, digits = 0): [string, string] => [samples.show(`${d}.node.${key}`, unit, digits), samples.show(`${d}.swan.${key}`, unit, digits)];

head(`Bring-up on the air, dial → first datagram answered (${d}); PPP frames both ways`);
row('PPP frames, up + down', showSpread(sumOf(`${d}.node`, 'airUp', 'airDown'), 'B'), showSpread(sumOf(`${d}.swan`, 'airUp', 'airDown'), 'B'), 'flags and escapes included; AT chatter is not on the air');
row('  of which LCP + IPCP', ...both('airPpp', 'B'), "strongSwan's side dials with ikelet's own modem + PPP code (no pppd here)");
row('  of which IKE_SA_INIT + IKE_AUTH', ...both('airIke', 'B'));
row('  of which the datagram and its echo (ESP in UDP)', ...both('airEsp', 'B'), '16-byte UDP payload');
row('  of which anything else', ...both('airOther', 'B'));
row('IP packets inside those frames', ...both('ipBytes', 'B'), 'what an operator bills after the modem strips PPP');
const floor = ikeFloor({ ikeProposal: DEFAULT.ike, espProposal: DEFAULT.esp, idi: idleBase.localId, idr: idleBase.remoteId, tsrCount: idleBase.remoteTs.length });
head('IKE message bytes (header + payloads; no UDP, IP, non-ESP marker)');
row('IKE_SA_INIT request', ...both('ikeInitRequest', 'B'), `RFC 7296 floor ${floor.initRequest} B`);
row('IKE_SA_INIT response (the gateway)', ...both('ikeInitResponse', 'B'), `floor ${floor.initResponse} B`);
row('IKE_AUTH request', ...both('ikeAuthRequest', 'B'), `floor ${floor.authRequest} B`);
row('IKE_AUTH response (the gateway)', ...both('ikeAuthResponse', 'B'), `floor ${floor.authResponse} B`);
row('all four', showSpread(sumOf(`${d}.node`, 'ikeInitRequest', 'ikeInitResponse', 'ikeAuthRequest', 'ikeAuthResponse'), 'B'), showSpread(sumOf(`${d}.swan`, 'ikeInitRequest', 'ikeInitResponse', 'ikeAuthRequest', 'ikeAuthResponse'), 'B'), `floor ${floor.initRequest + floor.initResponse + floor.authRequest + floor.authResponse} B`);

head('Time, PPP up → CHILD SA up at the initiator');
for (const s of SUITES) {
  const k = suiteName(s);
  row(`${k}${s === DEFAULT ? ', ikelet in Node' : ''}`, samples.show(`${k}.node.pppUpToChildMs`, 'ms'), samples.show(`${k}.swan.pppUpToChildMs`, 'ms'));
  if (s === DEFAULT) row(`${k}, ikelet in XS (xsnap on this machine)`, samples.show(`${k}.xs.pppUpToChildMs`, 'ms'), '', 'same strongSwan runs as the line above');
}
row(`  of which PPP up → first IKE packet on the air (${d})`, ...both('pppUpToFirstIkeMs', 'ms'), "strongSwan: TUN address and route, then `swanctl --initiate` (a device's ip-up hook)");

head('Idle, bytes per day to stay up and reachable: PPP frames on the air (IP bytes inside, what the carrier bills)');
row('settings', 'ESP32 manifest defaults', "strongSwan's defaults, pppd per Debian", `observed over ${IDLE_S} s idle, day = 86,400 s ÷ interval × bytes; rekeys: one measured, ÷ lifetime`);
const idleRow = (cause: IdleCause, label: string) => {
  const note = (who: string, runs: IdleFigures[]) => {
    const seen = runs.flatMap((r) => (r[cause] ? [r[cause]!] : []));
    if (seen.length === 0) return '';
    if (cause === 'other') return `${who}: ${[...new Set(seen.flatMap((c) => c.causes ?? []))].join(', ')}`;
    const m = (f: (c: PerCause) => number) => median(seen.map(f)) ?? 0;
    return `${who} ${num(m((c) => c.cost))} B (${num(m((c) => c.ipCost))} IP) every ${duration(m((c) => c.intervalS))}`;
  };
  row(label, showDay(dayValues(ikeletIdleRuns, cause, 'perDay'), dayValues(ikeletIdleRuns, cause, 'ipPerDay')), showDay(dayValues(swanIdleRuns, cause, 'perDay'), dayValues(swanIdleRuns, cause, 'ipPerDay')),
    [note('ikelet', ikeletIdleRuns), note('strongSwan', swanIdleRuns)].filter(Boolean).join('; '));
};
idleRow('nat-keepalive', 'NAT-T keepalives');
idleRow('dpd', 'DPD / idle liveness check (empty INFORMATIONAL both ways)');
idleRow('lcp-echo', 'LCP echo (stays between device and modem: no IP bytes)');
idleRow('child-rekey', 'CHILD SA rekeys (with DELETE)');
idleRow('ike-rekey', 'IKE SA rekeys (with DELETE)');
idleRow('other', 'anything else seen while idle');
const total = (runs: IdleFigures[], field: 'perDay' | 'ipPerDay') => runs.map((r) => IDLE_CAUSES.reduce((a, c) => a + (r[c]?.[field] ?? 0), 0));
row('total per day', showDay(total(ikeletIdleRuns, 'perDay'), total(ikeletIdleRuns, 'ipPerDay')), showDay(total(swanIdleRuns, 'perDay'), total(swanIdleRuns, 'ipPerDay')));
const month = (v: number[]) => v.map((x) => x * 30);
row('per month (30 days), carrier NAT forgetting a mapping after 60 s', showDay(month(total(ikeletIdleRuns, 'perDay')), month(total(ikeletIdleRuns, 'ipPerDay'))), showDay(month(total(swanIdleRuns, 'perDay')), month(total(swanIdleRuns, 'ipPerDay'))), 'both defaults send a NAT keepalive at least every 20 s, which holds such a mapping: month = day × 30');
const ka = [...ikeletIdleRuns, ...swanIdleRuns].flatMap((r) => (r['nat-keepalive'] ? [r['nat-keepalive']] : []));
const kaFloor = perInterval(median(ka.map((c) => c.cost)) ?? 0, median(ka.map((c) => c.ipCost)) ?? 0, 55);
row('  floor: one NAT-T keepalive every 55 s, nothing else', `${bytesHuman(kaFloor.perDay * 30)} · IP ${bytesHuman(kaFloor.ipPerDay * 30)}`, '', `per month; ${num(kaFloor.cost)} B a keepalive on the air, ${num(kaFloor.ipCost)} B IP`);
// ikelet set up for such a NAT (README "NAT keepalives, DPD and the monthly bill"): a keepalive just under the mapping's 60 s, lifetimes of
// hours, dpdIdle = childLifetime (each answered rekey proves the gateway alive: no DPD is paid on top).
const METERED = { natKeepalive: 57, childLifetime: 4 * 3600, ikeLifetime: 8 * 3600 };
const eventCost = (cause: IdleCause, field: 'cost' | 'ipCost') => median(ikeletIdleRuns.flatMap((r) => (r[cause] ? [r[cause]![field]] : []))) ?? 0;
const meteredMonth = (field: 'cost' | 'ipCost') =>
  30 * DAY_S * (eventCost('nat-keepalive', field) / METERED.natKeepalive + eventCost('child-rekey', field) / METERED.childLifetime + eventCost('ike-rekey', field) / METERED.ikeLifetime);
row(
  '  ikelet set up for a 60 s NAT: natKeepalive 57 s, childLifetime 4 h, ikeLifetime 8 h, dpdIdle 4 h',
  `${bytesHuman(meteredMonth('cost'))} · IP ${bytesHuman(meteredMonth('ipCost'))}`,
  '',
  'per month, from the measured cost of each event; no DPD (each answered rekey is the liveness check); the goal: IP ≤ 1.5 MB',
);

head('ESP overhead per inner packet (the first datagram: a 44-byte inner IPv4/UDP packet)');
for (const s of SUITES) {
  const k = suiteName(s);
  row(`${s.esp}: outer IP bytes added (IP, UDP 4500, ESP, IV, padding, ICV)`, samples.show(`${k}.node.espIpOverhead`, 'B'), samples.show(`${k}.swan.espIpOverhead`, 'B'), `PPP framing on top: ${samples.show(`${k}.node.espPppOverhead`, 'B')} / ${samples.show(`${k}.swan.espPppOverhead`, 'B')}`);
}

head(`ikelet in XS (npm run bench:xs, ${RUNS} runs) and the device bundle`);
for (const { label, unit } of XS_LINES) row(label, showSpread(xs.values.get(label) ?? [], unit), '', xs.values.get(label) ? '' : 'not found in bench:xs output: re-point XS_LINES');
row('device bundle as build:esp32 writes it (manifests/esp32: its algorithms only, no app clients; esbuild ES2020, minified)', `${num(bundle.bytes)} B`, '', `${num(bundle.gzip)} B gzipped`);
if (xs.errors.length) row('bench:xs errors', xs.errors.join(' / '), '', '');

head('The apps through the tunnel, on the air (ikelet in Node; npm run bench:apps, one run)');
for (const [label, value, note] of apps.rows) row(label, value, '', note);

const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['', 'ikelet', 'strongSwan', 'note'][i]!.length));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
process.stdout.write([
  '',
  `ikelet vs strongSwan ${'5.9'} initiator, same path and gateway; median (min–max) of ${RUNS} runs, (=) when all runs agree.`,
  `Machine: ${os.cpus().length} × ${cpu}, ${num(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}, Node ${process.version}; ${new Date().toISOString().slice(0, 10)}; ${((Date.now() - started) / 60000).toFixed(1)} min.`,
  '',
  line(['', 'ikelet', 'strongSwan', 'note']),
  line(widths.map((w) => '-'.repeat(w))),
  ...rows.map(line),
  '',
].join('\n'));

// ---- helpers -----------------------------------------------------------------------------------
function sumOf(prefix: string, ...keys: string[]): number[] {
  const lists = keys.map((k) => samples.get(`${prefix}.${k}`));
  return lists[0]!.map((_, i) => lists.reduce((a, l) => a + (l[i] ?? NaN), 0));
}

function duration(s: number): string {
  return s >= 7200 ? `${num(s / 3600, 1)} h` : s >= 120 ? `${num(s / 60, 0)} min` : `${num(s, 1)} s`;
}

function dayValues(runs: IdleFigures[], cause: IdleCause, field: 'perDay' | 'ipPerDay'): number[] {
  return runs.map((r) => r[cause]?.[field] ?? 0);
}

/** "824 kB (815–833 kB) · IP 410 kB": bytes on the air, then the IP bytes inside, each a median (min–max). */
function showDay(air: number[], ip: number[]): string {
  const one = (values: number[]) => {
    if (values.length === 0) return 'n/a';
    if (values.every((v) => v === 0)) return '0';
    const [m, lo, hi] = [median(values)!, Math.min(...values), Math.max(...values)].map(bytesHuman) as [string, string, string];
    return `${m} ${lo === hi ? '(=)' : `(${lo}–${hi})`}`;
  };
  return `${one(air)} · IP ${one(ip)}`;
}
