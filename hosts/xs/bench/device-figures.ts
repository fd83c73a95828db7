/**
 * `npm run bench:xs`, the device's budget: flash (the device bundle, per folder), the preload
 * (xsl's "not frozen"/"no const" objects, per folder) and RAM (the ESP32 build's Linux twin,
 * hosts/xs-device, against the lab). Each returns the lines of its section, or says why it is skipped.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ESP32_TEMPLATE, buildEsp32 } from '../../../scripts/build-esp32.ts';
import { configuredClients, type DeviceFeatures } from '../../../scripts/device-modules.ts';
import { flashReport } from '../../../scripts/flash-report.ts';
import { mergedConfig } from '../../../scripts/manifest.ts';
import { formatXslSummary, moddableBuild } from '../../../scripts/moddable-check.ts';
import type { ModdableSdk } from '../../../scripts/moddable-sdk.ts';
import { attributeWarnings, warningsByFolder } from '../../../scripts/preload-warnings.ts';
import type { Creation } from '../../../scripts/xs-device.ts';
import { Lab } from '../../../test/lab/lab.ts';
import { buildLabDevice, creationFor, DEVICE_PROPOSALS, fits, heapBytes, phasePeaks, ROOMY, runScenario, SLOT_BYTES, smallestFitting, STREAM } from '../../xs-device/budget.ts';
import { summarizeCensus, type CensusRow } from '../../xs-device/device.ts';

const num = (n: number): string => Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
/** The bench's budget for the device bundle (issue 12). */
const FLASH_GOAL = 110 * 1024;
const RAM_GOAL = 96 * 1024;

export async function flashLines(): Promise<string[]> {
  const config = mergedConfig(ESP32_TEMPLATE, 'esp32') as unknown as DeviceFeatures;
  const r = await flashReport(config);
  const clients = configuredClients(config);
  // The same build with every app client, as with a broker and a firmware server configured.
  const every = await flashReport({ ...config, clients: undefined });
  const lines = [
    `device bundle for ${ESP32_TEMPLATE} (IKE ${config.ikeProposals.join(',')} / ESP ${config.espProposals.join(',')}; app clients: ${clients.join(', ') || 'none'}), as build:esp32 writes ikelet.js:`,
    `${num(r.bytes)} B minified (${kb(r.bytes)}; gzip ${kb(r.gzipBytes)}); goal ${kb(FLASH_GOAL)}: ${r.bytes <= FLASH_GOAL ? 'met' : `${kb(r.bytes - FLASH_GOAL)} over`}`,
    `with every app client (mqttHost and firmwareHost set): ${num(every.bytes)} B (${kb(every.bytes)}; gzip ${kb(every.gzipBytes)})`,
    `per folder (esbuild metafile, bytes in the minified bundle; total ${num(r.foldersTotal)} B):`,
  ];
  for (const [folder, bytes] of r.folders) lines.push(`  ${folder.padEnd(32)} ${num(bytes).padStart(8)} B ${((bytes / r.foldersTotal) * 100).toFixed(1).padStart(6)} %`);
  return lines;
}

export async function preloadLines(sdk: ModdableSdk): Promise<string[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-bench-preload-'));
  try {
    const manifest = path.join(work, 'manifest.json');
    fs.writeFileSync(manifest, JSON.stringify({ config: { psk: 'bench-throwaway-psk-0123' } }));
    const project = path.join(work, 'build', 'esp32');
    const { bundle } = await buildEsp32(manifest, project);
    const r = moddableBuild(sdk, project, work, { readable: bundle.readable });
    const xsb = r.targets.find((t) => t.endsWith('/ikelet.xsb'));
    const lines = [
      `mcconfig -m -p esp32, xsc/xsid, xsl on ${ESP32_TEMPLATE}: ${formatXslSummary(r.xsl)}${xsb ? `; ikelet.xsb ${num(fs.statSync(xsb).size)} B of XS bytecode` : ''}`,
      'per folder (not frozen / no const), from the readable bundle:',
    ];
    const attributed = attributeWarnings(bundle.readable, r.readableXsl!.warnings);
    for (const [folder, nf, nc] of warningsByFolder(attributed)) lines.push(`  ${folder.padEnd(32)} ${String(nf).padStart(4)} ${String(nc).padStart(4)}`);
    return lines;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** What the live heap is made of (hosts/xs-device census): the groups, then the largest rows. */
function censusLines(when: string, rows: readonly CensusRow[]): string[] {
  const c = summarizeCensus(rows, 8);
  const f = c.functions;
  return [
    `what the live heap is made of ${when} (hosts/xs-device census):`,
    `  functions made at run time: ${f.count} (${num(f.slots)} slots), their scopes ${f.scopes} (${num(f.scopeSlots)} slots), their bytecode copied into chunks ${num(f.bytecode)} B = ${kb(heapBytes(f.slots + f.scopeSlots, f.bytecode))}`,
    `  typed arrays and ArrayBuffers: ${c.bytes.views} views, ${c.bytes.buffers} buffers: ${num(c.bytes.slots)} slots + ${num(c.bytes.chunks)} B = ${kb(heapBytes(c.bytes.slots, c.bytes.chunks))}`,
    `  other objects (instances, plain objects, arrays, maps, strings): ${num(c.objects.slots)} slots + ${num(c.objects.chunks)} B = ${kb(heapBytes(c.objects.slots, c.objects.chunks))}`,
    '  largest rows (count × what: slots, chunk bytes):',
    ...c.top.map((r) => `    ${String(r.count).padStart(4)} × ${r.label.slice(0, 70).padEnd(70)} ${num(r.slots).padStart(6)} slots ${num(r.chunks).padStart(7)} B`),
  ];
}

const startLab = () => Lab.start({ modem: { registrationDelayMs: 100 }, gateway: DEVICE_PROPOSALS });

/**
 * RAM: one run of the roomy twin with a collection before every turn (live sets, what each phase
 * allocates, the deepest stack), then a run under the manifest's creation. With `search`, the
 * smallest slot heap, chunk heap and stack that still carry the scenario (a run per probe).
 */
export async function ramLines(sdk: ModdableSdk, search: boolean): Promise<string[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-bench-ram-'));
  const creation = (JSON.parse(fs.readFileSync(ESP32_TEMPLATE, 'utf8')) as { creation: Creation }).creation;
  const lines = [
    `the ESP32 build (preloaded by xsl) on Linux, 32-bit XS (${SLOT_BYTES} B slots), against the lab: tunnel, ${STREAM.probeCount} × ${STREAM.probeSize} B echoed,`,
    `the gateway's CHILD SA rekey, an IKE SA rekey. Heap = slots × ${SLOT_BYTES} B + chunk bytes (strings, typed arrays, BigInts).`,
  ];
  try {
    const roomy = await buildLabDevice(sdk, fs.mkdtempSync(path.join(work, 'roomy-')), ROOMY);
    const lab = await startLab();
    let measured;
    try {
      measured = await runScenario(lab, roomy.binary, { gcEachTurn: true, census: true });
    } finally {
      await lab.stop();
    }
    const boot = measured.run.boot!;
    const row = (label: string, slots: number, chunks: number, note = '') =>
      lines.push(`  ${label.padEnd(56)} ${num(slots).padStart(7)} slots ${num(chunks).padStart(9)} B  = ${kb(heapBytes(slots, chunks)).padStart(9)}${note ? `  ${note}` : ''}`);
    lines.push('live (after a full collection):');
    row('prepared from flash, nothing run (boot)', boot.slots, boot.chunks);
    row('agent built and started (main module run)', measured.live.started.slots, measured.live.started.chunks);
    row("tunnel up ('child-up')", measured.live.tunnelUp.slots, measured.live.tunnelUp.chunks,
      `+${kb(heapBytes(measured.live.tunnelUp.slots - measured.live.started.slots, measured.live.tunnelUp.chunks - measured.live.started.chunks))} over started`);
    row('after the stream', measured.live.streamed.slots, measured.live.streamed.chunks);
    row('after both rekeys', measured.live.rekeyed.slots, measured.live.rekeyed.chunks);
    if (measured.census) lines.push(...censusLines("with the tunnel up ('child-up')", measured.census.tunnelUp));
    lines.push('per phase, each turn starting from a full collection: allocated during the turn (live + garbage; XS collects only', 'when a heap is full, so this bounds churn, not need), and the deepest stack:');
    for (const p of phasePeaks(measured.phases)) {
      lines.push(`  ${p.name.padEnd(56)} ${String(p.turns).padStart(4)} turns ${num(p.slots).padStart(7)} slots ${num(p.chunks).padStart(9)} B  stack ${p.stack}`);
    }
    const ok = await fits(sdk, work, creation, startLab);
    const total = heapBytes(creation.heap.initial, creation.chunk.initial);
    lines.push(`manifest creation: ${num(creation.heap.initial)} slots + ${num(creation.chunk.initial)} B chunks = ${kb(total)} (goal ${kb(RAM_GOAL)}: ${total <= RAM_GOAL ? 'met' : `${kb(total - RAM_GOAL)} over`}), stack ${creation.stack} slots (${kb(creation.stack * SLOT_BYTES)}):`
      + ` ${ok.fits ? 'the scenario runs' : `does not fit: ${ok.failure}`}`);
    if (search) {
      const c = (slots: number, chunks: number, stack: number): Partial<Creation> => ({ heap: { initial: slots, incremental: 0 }, chunk: { initial: chunks, incremental: 0 }, stack });
      const roomySlots = ROOMY.heap!.initial;
      const roomyChunks = ROOMY.chunk!.initial;
      const slots = await smallestFitting(1024, roomySlots, 32, async (n) => (await fits(sdk, work, c(n, roomyChunks, 4096), startLab)).fits);
      const chunks = await smallestFitting(4096, roomyChunks, 512, async (n) => (await fits(sdk, work, c(roomySlots, n, 4096), startLab)).fits);
      const stack = await smallestFitting(128, 4096, 16, async (n) => (await fits(sdk, work, c(roomySlots, roomyChunks, n), startLab)).fits);
      const needed = heapBytes(slots, chunks);
      const advised = creationFor({ slots, chunks, stack }, 0.25);
      lines.push(`smallest that still runs the scenario (each alone, the others roomy; slots to 32, chunks to 512 B): ${num(slots)} slots, ${num(chunks)} B chunks (${kb(needed)}; goal ${kb(RAM_GOAL)}: ${needed <= RAM_GOAL ? 'met' : `${kb(needed - RAM_GOAL)} over`}), stack ${stack};`,
        `with 25 % on each: heap ${advised.heap.initial} slots, chunk ${advised.chunk.initial} B, stack ${advised.stack} (= ${kb(heapBytes(advised.heap.initial, advised.chunk.initial))})`);
    } else lines.push('(`npm run bench:xs -- --ram-search` also finds the smallest heaps and stack that still run the scenario: about 10 s a probe, 30 probes)');
    return lines;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
