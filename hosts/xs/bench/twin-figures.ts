/**
 * The issue-25 figures, on the ESP32 build's Linux twin (hosts/xs-device, XS metered as xsnap)
 * against the lab, for the noble and the native crypto backend side by side: bring-up computrons
 * (start to 'child-up'), the longest turn (bring-up, stream, both rekeys), the computrons of one
 * 1400 B datagram echoed through the tunnel (the stream's turns over its datagrams: out and back,
 * every turn), the device bundle's bytes, and with `search` the smallest heap (slots × 16 B + chunk
 * bytes, each found with the other roomy) for ChaCha20-Poly1305 and for AES-GCM; and x86
 * instructions retired by the twin (valgrind's callgrind: XS, the C libraries, the host) for
 * bring-up and per echoed 1400 B datagram, a CPU figure that counts the C work too.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ModdableSdk } from '../../../scripts/moddable-sdk.ts';
import { Lab } from '../../../test/lab/lab.ts';
import { buildLabDevice, fits, heapBytes, ROOMY, runScenario, smallestFitting, STREAM } from '../../xs-device/budget.ts';
import { eventFromLog, type DeviceEvent } from '../../xs-device/device.ts';

export type Backend = 'noble' | 'native';
const GCM = { ikeProposals: ['aes128gcm16-prfsha256-x25519'], espProposals: ['aes128gcm16'] };
const CHACHA = { ikeProposals: ['chacha20poly1305-prfsha256-x25519'], espProposals: ['chacha20poly1305'] };

export interface BackendFigures {
  bringUpComputrons: number;
  longestTurnComputrons: number;
  roundTrip1400Computrons: number;
  deviceBundleBytes: number;
  /** valgrind (callgrind) counts; undefined without valgrind. */
  x86InstructionsBringUp?: number;
  x86InstructionsPerRoundTrip1400?: number;
  /** Per ESP cipher; undefined without the search. */
  smallestHeapBytes?: { chacha20poly1305: number; aes128gcm16: number };
}

async function measure(sdk: ModdableSdk, work: string, backend: Backend): Promise<BackendFigures> {
  const build = await buildLabDevice(sdk, fs.mkdtempSync(path.join(work, `${backend}-`)), ROOMY, { crypto: backend, ...CHACHA });
  const lab = await Lab.start({ modem: { registrationDelayMs: 100 }, gateway: CHACHA });
  try {
    const r = await runScenario(lab, build.binary);
    const turns = r.run.turns;
    const up = turns.findIndex((t) => t.events.includes('child-up'));
    const stream = r.phases.find((p) => p.name.startsWith('ESP stream'))!.turns;
    const sum = (ts: readonly { compute: number }[]) => ts.reduce((a, t) => a + t.compute, 0);
    return {
      bringUpComputrons: sum(turns.slice(0, up + 1)),
      // The main turn prepares the agent once (module bodies, config parse): a boot, not a turn the UART waits for.
      longestTurnComputrons: Math.max(...turns.slice(1).map((t) => t.compute)),
      roundTrip1400Computrons: Math.round(sum(stream) / STREAM.probeCount),
      deviceBundleBytes: build.bundle.code.length,
      ...(await instructions(build.binary)),
    };
  } finally {
    await lab.stop();
  }
}

/** Instructions the twin retires under callgrind from its start until `until` (then it exits); undefined without valgrind. */
async function instructionsUntil(binary: string, serialPath: string, until: DeviceEvent['type']): Promise<number | undefined> {
  const child = spawn('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', binary, '--serial', serialPath], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let buffer = '';
  child.stderr.setEncoding('latin1').on('data', (d: string) => (stderr += d));
  child.stdout.setEncoding('latin1').on('data', (d: string) => {
    buffer += d;
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    if (lines.some((l) => eventFromLog(l)?.type === until)) child.stdin.end('exit\n');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve).on('error', () => resolve(null)));
  clearTimeout(timer);
  const collected = /Collected : (\d+)/.exec(stderr);
  return code === 0 && collected ? Number(collected[1]) : undefined;
}

/** Bring-up, then bring-up and the stream, each on a fresh lab: the difference over the datagrams is one round trip. */
async function instructions(binary: string): Promise<Pick<BackendFigures, 'x86InstructionsBringUp' | 'x86InstructionsPerRoundTrip1400'>> {
  const once = async (until: DeviceEvent['type']) => {
    const lab = await Lab.start({ modem: { registrationDelayMs: 100 }, gateway: CHACHA });
    try {
      return await instructionsUntil(binary, lab.serialPath, until);
    } finally {
      await lab.stop();
    }
  };
  const bringUp = await once('child-up');
  const streamed = bringUp === undefined ? undefined : await once('probe-result');
  if (bringUp === undefined || streamed === undefined) return {};
  return { x86InstructionsBringUp: bringUp, x86InstructionsPerRoundTrip1400: Math.round((streamed - bringUp) / STREAM.probeCount) };
}

async function smallestHeap(sdk: ModdableSdk, work: string, backend: Backend, proposals: typeof GCM): Promise<number> {
  const startLab = () => Lab.start({ modem: { registrationDelayMs: 100 }, gateway: proposals });
  const config = { crypto: backend, ...proposals };
  const c = (slots: number, chunks: number) => ({ heap: { initial: slots, incremental: 0 }, chunk: { initial: chunks, incremental: 0 }, stack: 4096 });
  const roomySlots = ROOMY.heap!.initial;
  const roomyChunks = ROOMY.chunk!.initial;
  const slots = await smallestFitting(1024, roomySlots, 64, async (n) => (await fits(sdk, work, c(n, roomyChunks), startLab, config)).fits);
  const chunks = await smallestFitting(2048, roomyChunks, 1024, async (n) => (await fits(sdk, work, c(roomySlots, n), startLab, config)).fits);
  return heapBytes(slots, chunks);
}

export async function twinFigures(sdk: ModdableSdk, search: boolean): Promise<Record<Backend, BackendFigures>> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-bench-twin-'));
  try {
    const out = {} as Record<Backend, BackendFigures>;
    for (const backend of ['noble', 'native'] as const) {
      out[backend] = await measure(sdk, work, backend);
      if (search) out[backend].smallestHeapBytes = { chacha20poly1305: await smallestHeap(sdk, work, backend, CHACHA), aes128gcm16: await smallestHeap(sdk, work, backend, GCM) };
    }
    return out;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const num = (n: number | undefined): string => (n === undefined ? '-' : Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ','));

/** The figures as table rows: noble, native, native ÷ noble. */
export function twinLines(f: Record<Backend, BackendFigures>): string[] {
  const rows: [string, (b: BackendFigures) => number | undefined][] = [
    ['bring-up, start to child-up (computrons)', (b) => b.bringUpComputrons],
    ['longest turn, main turn excluded (computrons)', (b) => b.longestTurnComputrons],
    [`one ${STREAM.probeSize} B datagram echoed, all turns (computrons)`, (b) => b.roundTrip1400Computrons],
    ['device bundle (bytes)', (b) => b.deviceBundleBytes],
    ['x86 instructions, bring-up (callgrind)', (b) => b.x86InstructionsBringUp],
    [`x86 instructions, one ${STREAM.probeSize} B datagram echoed`, (b) => b.x86InstructionsPerRoundTrip1400],
    ['smallest heap, ChaCha20-Poly1305 (bytes, --ram-search)', (b) => b.smallestHeapBytes?.chacha20poly1305],
    ['smallest heap, AES-128-GCM (bytes, --ram-search)', (b) => b.smallestHeapBytes?.aes128gcm16],
  ];
  return [
    `${''.padEnd(58)} ${'noble'.padStart(14)} ${'native'.padStart(14)} ${'native÷noble'.padStart(13)}`,
    ...rows.map(([label, get]) => {
      const [a, b] = [get(f.noble), get(f.native)];
      return `${label.padEnd(58)} ${num(a).padStart(14)} ${num(b).padStart(14)} ${(a && b ? (b / a).toFixed(3) : '-').padStart(13)}`;
    }),
  ];
}

/** `npm run bench:twin [-- --ram-search]`: only these figures (bench:xs prints them too). */
if (import.meta.url === `file://${process.argv[1]}`) {
  const { findModdableSdk } = await import('../../../scripts/moddable-sdk.ts');
  const sdk = findModdableSdk();
  if (!sdk.ok) throw new Error(sdk.reason);
  const figures = await twinFigures(sdk.sdk, process.argv.includes('--ram-search'));
  console.log(twinLines(figures).join('\n'));
  console.log(JSON.stringify({ figures }));
}
