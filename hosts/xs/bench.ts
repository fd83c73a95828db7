/**
 * `npm run bench:xs`: XS computrons (xsnap) of the device code, printed as one table; a
 * benchmark, not a test: nothing is asserted. Computrons count XS work identically on every
 * machine, so they compare runs, builds and code paths; they are not time.
 *
 *   1. tunnel bring-up with the agent in XS against the lab (root): IKE phase, turns, longest turn
 *   2. ESP per packet: the agent's src/esp SAs beside the bare noble primitive, in XS
 *   3. the longest turn during a 1400-byte probe stream through the tunnel
 *   4. XS heap figures after 'child-up'
 *   5. the noble primitives, one call per turn
 *   6. one key pair, table-free vs noble's fixed-base path
 *   7. the ten longest turns of runs 1 and 3, with what each did
 *   8. flash: the device bundle, per folder
 *   9. preload: xsl's "not frozen"/"no const" objects per folder (Moddable SDK)
 *  10. RAM: the ESP32 build's Linux twin against the lab (Moddable SDK, root); `-- --ram-search` also
 *      finds the smallest heaps and stack that still run it
 *  11. the twin's figures for the noble and the native crypto backend side by side (bench/twin-figures.ts),
 *      also the last line of the output: {"figures": {"noble": {...}, "native": {...}}}
 *
 * Sections 1, 3 and 4 run the proposals the ESP32 manifest ships (the lab's gateway offers them too).
 * The lab part is three agent runs in one lab: bring-up (run 1), the probe stream (run 3) and
 * bring-up again with gc-hook.ts for the live heap (run 4); the lab is stopped also on failure.
 * Without root (no lab) sections 1, 3 and 4 are skipped with the reason; the rest still prints.
 * XS_BENCH_ITER sets the ESP operations per turn (default 16).
 */
import type { AgentEvent } from '../../src/agent/agent.ts';
import { labDeviceConfig } from '../../test/lab/device-config.ts';
import { ECHO_ADDRESS, ECHO_PORT, Lab, labUnavailableReason } from '../../test/lab/lab.ts';
import { describeTurn, longestTurn, runInLab, turnOf, whatTurnDid, type LabRunResult, type TurnRecord } from './bench/lab-run.ts';
import { flashLines, preloadLines, ramLines } from './bench/device-figures.ts';
import { DEVICE_PROPOSALS } from '../xs-device/budget.ts';
import { findModdableSdk } from '../../scripts/moddable-sdk.ts';
import { bundleForXs } from './bundle.ts';
import { XsScript } from './script.ts';
import { keyPairCosts } from './bench/key-pair-cost.ts';
import { twinFigures, twinLines } from './bench/twin-figures.ts';
import type { XsMemory } from './worker.ts';

const ITER = Number(process.env.XS_BENCH_ITER ?? 16);
const ESP_SUITES = ['aes128gcm16', 'chacha20poly1305', 'aes128-sha256'] as const;
const ESP_SIZES = [64, 512, 1400] as const;
const PROBE = { probeTarget: `${ECHO_ADDRESS}:${ECHO_PORT}`, probeCount: 50, probeSize: 1400 };
/** The lab's device config with the ESP32 manifest's proposals: the turns measured are the device's. */
const deviceConfig = (overrides = {}) => labDeviceConfig({ ...DEVICE_PROPOSALS, ...overrides });
const UART_FIFO_BYTES = 128;
const UART_BAUD = 115200;

const PRIMITIVES: [string, string][] = [
  ['x25519 keygen + shared secret (first call)', 'bench.x25519KeygenAndShared()'],
  ['x25519 keygen + shared secret', 'bench.x25519KeygenAndShared()'],
  ['AES-128-GCM encrypt 1400 B (fresh key)', 'bench.aes128gcm1400()'],
  ['ChaCha20-Poly1305 encrypt 1400 B', 'bench.chacha20poly1305_1400()'],
  ['HMAC-SHA256 of 64 B', 'bench.hmacSha256_64()'],
  ['HMAC-SHA256 of 1400 B', 'bench.hmacSha256_1400()'],
];

// ---- the table -------------------------------------------------------------------------------
const out: string[] = [];
/** Thousands separators by hand: SES (loaded with xsnap) tames toLocaleString. */
const num = (n: number): string => Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const kib = (slots: number, bytes: number) => `${num((slots * bytes) / 1024)} KiB`;
const section = (title: string, ...lines: string[]) => out.push('', title, ...lines.map((l) => `  ${l}`));
const row = (label: string, computrons: number | string, beside = '', ratio = '', note = '') =>
  out.push(`  ${label.padEnd(58)} ${(typeof computrons === 'number' ? num(computrons) : computrons).padStart(13)} ${beside.padStart(13)} ${ratio.padStart(11)}${note ? `  ${note}` : ''}`.trimEnd());
const detail = (text: string) => out.push(`${' '.repeat(6)}↳ ${text}`);
const sum = (turns: readonly TurnRecord[]) => turns.reduce((a, t) => a + t.compute, 0);

// ---- 2 and 5: in a bare XS script ------------------------------------------------------------
interface XsScriptFigures {
  esp: string[];
  primitives: string[];
  fixed: number;
}

async function espAndPrimitives(): Promise<XsScriptFigures> {
  const esp: string[] = [];
  const xs = await XsScript.load(await bundleForXs({ entry: 'hosts/xs/bench/esp-fixture.ts' }));
  let fixed = 0;
  try {
    // The fixed cost of a bench turn (wrapping, JSON result), subtracted before dividing by ITER.
    const noops: number[] = [];
    for (let i = 0; i < 5; i++) noops.push((await xs.call<number>('espBench.noop()')).compute);
    fixed = Math.min(...noops);
    const perOp = async (fn: string): Promise<number> => {
      await xs.call(`espBench.${fn}(1)`); // warm-up: lazy tables and first-call paths stay out of the figure
      const { compute } = await xs.call<number>(`espBench.${fn}(${ITER})`);
      return (compute - fixed) / ITER;
    };
    for (const suite of ESP_SUITES) {
      for (const size of ESP_SIZES) {
        const { value: roundTrip } = await xs.call<boolean>(`espBench.setup(${JSON.stringify(suite)}, ${size}, ${ITER + 2})`);
        if (!roundTrip) throw new Error(`${suite} ${size} B: the SA pair does not round-trip in XS`);
        for (const dir of ['encrypt', 'decrypt'] as const) {
          const agent = await perOp(dir === 'encrypt' ? 'agentEncrypt' : 'agentDecrypt');
          const noble = await perOp(dir === 'encrypt' ? 'nobleEncrypt' : 'nobleDecrypt');
          const label = `${suite.padEnd(17)} ${`${size} B`.padStart(6)}  ${dir === 'encrypt' ? 'encrypt: EspOutboundSa.protect' : 'decrypt: EspInboundSa.open'}`;
          esp.push(`  ${label.padEnd(58)} ${num(agent).padStart(13)} ${num(noble).padStart(13)} ${(agent / noble).toFixed(2).padStart(11)}`);
        }
      }
    }
  } finally {
    await xs.close();
  }
  const primitives: string[] = [];
  const crypto = await XsScript.load(await bundleForXs({ entry: 'hosts/xs/fixtures/crypto-smoke.ts' }));
  try {
    for (const [label, expr] of PRIMITIVES) {
      const { compute } = await crypto.call<number>(expr);
      primitives.push(`  ${label.padEnd(58)} ${num(compute).padStart(13)}`);
    }
  } finally {
    await crypto.close();
  }
  return { esp, primitives, fixed };
}

// ---- 1, 3 and 4: the agent in XS against the lab ---------------------------------------------
interface LabFigures {
  bringUp: LabRunResult;
  stream: LabRunResult;
  live: LabRunResult;
}

async function inLab(): Promise<LabFigures> {
  const lab = await Lab.start({ modem: { registrationDelayMs: 100 }, gateway: DEVICE_PROPOSALS });
  try {
    process.stderr.write('bench:xs: bring-up in XS against the lab…\n');
    const bringUp = await runInLab(lab.serialPath, deviceConfig(), (e) => e.type === 'child-up', 'the tunnel', 60_000);
    process.stderr.write('bench:xs: 1400-byte probe stream in XS…\n');
    const stream = await runInLab(lab.serialPath, deviceConfig(PROBE), (e) => e.type === 'probe-result' || e.type === 'probe-error', 'the probe', 120_000);
    process.stderr.write('bench:xs: live heap (bring-up again, with GC turns)…\n');
    const live = await runInLab(lab.serialPath, deviceConfig(), (e) => e.type === 'child-up', 'the tunnel', 60_000, { liveHeap: true });
    return { bringUp, stream, live };
  } finally {
    await lab.stop();
  }
}

function bringUpRows({ turns, faults }: LabRunResult): void {
  const load = turns.find((t) => t.kind === 'load');
  const ike = turnOf(turns, 'ike-connecting');
  const up = turnOf(turns, 'child-up', ike);
  const afterLoad = turns.slice(turns.findIndex((t) => t.kind === 'start'), up + 1);
  const beforeIke = turns.slice(turns.findIndex((t) => t.kind === 'start'), ike);
  const window = turns.slice(ike, up + 1);
  const cfg = deviceConfig();
  section(
    `1. Tunnel bring-up, agent in XS against the lab (modem emulator at ${UART_BAUD} baud, slirp NAT, strongSwan)`,
    `IKE ${cfg.ikeProposals.join(',')} / ESP ${cfg.espProposals.join(',')}, logLevel ${cfg.logLevel}; a turn = one XS run: a serial chunk, a timer, start, load.`,
  );
  row('load: evaluate the bundle (once, at boot)', load?.compute ?? 'n/a', '', '', 'parses the source here; a Moddable build compiles ahead');
  row(`start → before 'ike-connecting' (AT, dial, LCP, IPCP)`, sum(beforeIke), `${beforeIke.length} turns`);
  row(`IKE: 'ike-connecting' turn → 'child-up' turn, summed`, sum(window), `${window.length} turns`, '', `turns #${ike}..#${up}`);
  const heaviest = [...window].sort((a, b) => b.compute - a.compute).slice(0, 3);
  for (const t of heaviest) {
    row(`  of which ${t.kind} turn #${t.index}`, t.compute, '', `${((t.compute / sum(window)) * 100).toFixed(0)}%`);
    detail(describeTurn(t));
  }
  const longest = longestTurn(afterLoad);
  row(`longest single turn, start → 'child-up' (load excluded)`, longest.compute, longest.kind);
  detail(describeTurn(longest));
  row(`all turns start → 'child-up'`, sum(afterLoad), `${afterLoad.length} turns`);
  if (faults.length) detail(`XS faults: ${faults.map((f) => `${f.where}: ${f.message.split('\n')[0]}`).join(' | ')}`);
}

function streamRows({ turns, events, faults }: LabRunResult): void {
  const up = turnOf(turns, 'child-up');
  const endType = events.some((e) => e.type === 'probe-result') ? 'probe-result' : 'probe-error';
  const end = turnOf(turns, endType, up);
  const stream = turns.slice(up + 1, end + 1);
  const result = events.find((e) => e.type === endType) as Extract<AgentEvent, { type: 'probe-result' }> | Extract<AgentEvent, { type: 'probe-error' }>;
  const fifoMs = (UART_FIFO_BYTES * 10 * 1000) / UART_BAUD;
  section(
    `3. ${PROBE.probeCount} × ${PROBE.probeSize}-byte UDP echoes through the tunnel (probeTarget ${PROBE.probeTarget}), agent in XS`,
    result.type === 'probe-result'
      ? `probe: ${result.received}/${result.sent} echoed byte-exact, ${result.lost} lost, ${result.corrupted} corrupted, ${Math.round(result.durationMs)} ms on the ${UART_BAUD}-baud link`
      : `probe failed: ${result.error}`,
  );
  const longest = longestTurn(stream);
  row(`longest turn after 'child-up' through '${endType}'`, longest.compute, longest.kind);
  detail(describeTurn(longest));
  row(`the 'child-up' turn itself (the probe starts in it)`, turns[up]!.compute, turns[up]!.kind);
  detail(describeTurn(turns[up]!));
  detail(`the probe sends its first datagram inside the turn that installs the CHILD_SA, then one per turn`);
  row(`all turns after 'child-up' through '${endType}'`, sum(stream), `${stream.length} turns`);
  const rx = stream.filter((t) => t.kind === 'receive');
  row(`  per datagram echoed (out + back): ÷ ${PROBE.probeCount}`, sum(stream) / PROBE.probeCount);
  row(`  mean receive turn`, sum(rx) / Math.max(1, rx.length), `${rx.length} turns`, '', `mean serial chunk ${num(rx.reduce((a, t) => a + (t.rxBytes ?? 0), 0) / Math.max(1, rx.length))} B`);
  detail(`note: the ESP32 UART RX FIFO holds ${UART_FIFO_BYTES} bytes = ${fifoMs.toFixed(1)} ms of line time at ${UART_BAUD} baud (10 bits a byte).`);
  detail(`A turn longer than that on the device overflows the FIFO unless the UART driver's interrupt drains it into its ring buffer meanwhile.`);
  detail(`No computrons → ms factor for the ESP32 is measured here, so these turns are not converted to time.`);
  if (faults.length) detail(`XS faults: ${faults.map((f) => `${f.where}: ${f.message.split('\n')[0]}`).join(' | ')}`);
}

function heapRows(bringUp: LabRunResult, stream: LabRunResult, live: LabRunResult): void {
  const { turns } = bringUp;
  const up = turns[turnOf(turns, 'child-up')]!;
  const load = turns.find((t) => t.kind === 'load');
  const upto = turns.slice(0, up.index + 1);
  const gcs = upto.filter((t, i) => i > 0 && (t.memory?.currentHeapCount ?? 0) < (upto[i - 1]!.memory?.currentHeapCount ?? 0)).length;
  const probeEnd = stream.turns.find((t) => t.events.includes('probe-result'));
  const slotsRow = (label: string, m: XsMemory | undefined, note = '') =>
    row(label, m ? `${num(m.currentHeapCount)} slots` : 'n/a', m ? kib(m.currentHeapCount, 32) : '', m ? kib(m.currentHeapCount, 16) : '', note);
  section(
    `4. XS heap, from xsnap's meterUsage after a turn (levels, not per-turn deltas)`,
    `currentHeapCount: slots in use (XS's value cells: 32 B in this 64-bit xsnap, 16 B in 32-bit XS on the ESP32), i.e. live`,
    `at the last GC plus all allocated since. Not counted: chunks (bytes of strings, typed arrays, BigInts), which xsnap does not report.`,
    `allocate: bytes of slot + chunk heap XS has taken from the OS since the worker started (never shrinks).`,
  );
  out.push(`  ${''.padEnd(58)} ${'slots'.padStart(13)} ${'× 32 B'.padStart(13)} ${'× 16 B'.padStart(11)}`);
  slotsRow(`after the 'child-up' turn (run 1), as xsnap reports it`, up.memory, `GCs during load → 'child-up': ${gcs}${gcs ? '' : ', so garbage included'}`);
  slotsRow(`live after start (full gc(), run 4)`, live.liveHeap?.afterStart, 'agent built, first AT exchanged');
  slotsRow(`live after 'child-up' (full gc(), run 4)`, live.liveHeap?.atUntil, 'IKE SA + CHILD_SA up, idle');
  const a = live.liveHeap?.afterStart?.currentHeapCount;
  const b = live.liveHeap?.atUntil?.currentHeapCount;
  if (a !== undefined && b !== undefined) row(`  added by bring-up`, `${num(b - a)} slots`, kib(b - a, 32), kib(b - a, 16));
  slotsRow(`after 'probe-result' (run 3), as xsnap reports it`, probeEnd?.memory);
  const grew = load?.memory && up.memory ? up.memory.allocate - load.memory.allocate : undefined;
  row(`allocate after the 'child-up' turn (run 1)`, up.memory ? `${num(up.memory.allocate)} B` : 'n/a', '', '',
    grew === 0 ? `same as after 'load': xsnap's up-front reservation; the agent never grew the heap` : grew !== undefined ? `${num(grew)} B more than after 'load'` : '');
  detail(`run 4 is the bundle with hosts/xs/bench/gc-hook.ts: its first two 'stop' commands run xsnap's gc() instead of stopping.`);
}

// ---- main ------------------------------------------------------------------------------------
const labReason = labUnavailableReason();
let failure: unknown;
let labFigures: LabFigures | undefined;
const { esp, primitives, fixed } = await espAndPrimitives();
const keyPairs = await keyPairCosts();
if (!labReason) {
  try {
    labFigures = await inLab();
  } catch (e) {
    failure = e;
  }
}

out.push(
  'XS computrons (@agoric/xsnap meterUsage.compute, counted per XS turn by XsWorker): the work the XS engine does,',
  'about one per bytecode executed plus counts proportional to the work of built-ins. The same code and inputs give',
  'the same count on every machine. They are not time: what one computron costs on an ESP32 is not measured here.',
  'Time XS waits on Node inside issueCommand (serial writes, logs, clock, random) is not counted. Device code is',
  'bundled as for the device (esbuild, ES2020). A turn is synchronous: the device serves nothing else meanwhile.',
);
if (labFigures) {
  bringUpRows(labFigures.bringUp);
} else section('1. Tunnel bring-up in XS against the lab', `skipped: ${labReason ?? `the lab run failed (${String(failure)})`}`);

section(
  `2. ESP per packet in XS: the agent's src/esp SA beside the bare noble primitive on the same inner size`,
  `${ITER} operations per turn, divided; the fixed cost of a bench turn (${num(fixed)} computrons, measured) subtracted first.`,
  `agent: protect()/open() of one inner packet (ESP header, padding to 4 (AEAD) or 16 (CBC) B, trailer, ICV, replay window).`,
  `noble: gcm / chacha20poly1305 (key, nonce, aad).encrypt|decrypt; aes128-sha256: cbc(key, iv).encrypt + hmac(sha256),`,
  `decrypt: hmac + cbc decrypt. Both make a new cipher instance per packet, as noble's API asks (nonce bound at creation).`,
  `CBC IVs come from a cheap in-XS stand-in for Random here; the running agent asks its host (the xs host: a call to Node).`,
);
out.push(`  ${'suite, inner size, operation'.padEnd(58)} ${'agent'.padStart(13)} ${'noble'.padStart(13)} ${'agent÷noble'.padStart(11)}`);
out.push(...esp);

if (labFigures) {
  streamRows(labFigures.stream);
  heapRows(labFigures.bringUp, labFigures.stream, labFigures.live);
} else {
  section('3. Longest turn during a 1400-byte packet stream', 'skipped (see 1)');
  section('4. XS heap after child-up', 'skipped (see 1)');
}

section('5. noble primitives in XS, one call per turn (turn overhead included; first calls include lazy table setup)');
out.push(...primitives);

section(
  '6. One key pair in XS: the agent\'s table-free path beside noble\'s fixed-base getPublicKey, each in a fresh worker',
  'retained: live slots after the first key minus before it (gc() around it); a base table stays for the life of the program.',
);
out.push(`  ${''.padEnd(44)} ${'first key'.padStart(12)} ${'later key'.padStart(12)} ${'retained'.padStart(14)} ${'× 16 B'.padStart(11)}`);
for (const k of keyPairs) {
  out.push(`  ${k.label.padEnd(44)} ${num(k.firstCompute).padStart(12)} ${num(k.laterCompute).padStart(12)} ${`${num(k.retainedSlots)} slots`.padStart(14)} ${kib(k.retainedSlots, 16).padStart(11)}`);
}
if (labFigures) {
  const { bringUp, stream } = labFigures;
  section(`7. The ten longest turns (computrons): bring-up (run 1, load excluded) and the ${PROBE.probeCount} × ${PROBE.probeSize} B stream (run 3)`);
  const withNext = (turns: TurnRecord[], run: string) => turns.map((t, i) => ({ run, t, next: turns[i + 1] }));
  const all = [
    ...withNext(bringUp.turns, 'bring-up').filter(({ t }) => t.kind !== 'load'),
    ...withNext(stream.turns, 'stream').slice(turnOf(stream.turns, 'child-up') + 1),
  ];
  for (const { run, t, next } of all.sort((a, b) => b.t.compute - a.t.compute).slice(0, 10)) {
    out.push(`  ${num(t.compute).padStart(11)}  ${run.padEnd(9)} #${String(t.index).padEnd(4)} ${whatTurnDid(t, next)}`);
  }
} else section('7. The ten longest turns', 'skipped (see 1)');

section('8. Flash: the device bundle', ...(await flashLines()));
const sdk = findModdableSdk();
if (sdk.ok) section('9. Preload (Moddable SDK 8.2.3 tools)', ...(await preloadLines(sdk.sdk)));
else section('9. Preload', `skipped: ${sdk.reason}`);
if (sdk.ok && !labReason) section('10. RAM of the device build', ...(await ramLines(sdk.sdk, process.argv.includes('--ram-search'))));
else section('10. RAM of the device build', `skipped: ${sdk.ok ? labReason : sdk.reason}`);
const twin = sdk.ok && !labReason ? await twinFigures(sdk.sdk, process.argv.includes('--ram-search')) : undefined;
if (twin) section('11. The twin (computrons metered as xsnap), noble and native crypto side by side', ...twinLines(twin));
else section('11. The twin, noble and native crypto', `skipped: ${sdk.ok ? labReason : sdk.reason}`);
process.stdout.write(`${out.join('\n')}\n`);
// The last line, for scripts: the figures issue 25 names, per backend (absent when skipped).
process.stdout.write(`${JSON.stringify({ figures: twin ?? {} })}\n`);
if (failure) throw failure;
