/**
 * The main module of the equivalence program (test/unit/frame-native.test.ts), run by XS in the
 * Linux twin: every function of ikelet/frame (hosts/native/frame, C) beside its JS reference on
 * the same seeded random inputs, every byte value, ACCM variants, odd lengths and offsets, and
 * streams cut at random points. Prints "@frame <function> <cases> <mismatches> [first mismatch]"
 * per function, then "@frame done".
 */
// @ts-expect-error: a Moddable module, resolved by mcconfig (hosts/native/frame/frame.js)
import * as native from 'ikelet/frame';
import * as hdlc from '../../src/ppp/hdlc-bytes.ts';
import * as words from '../../src/ip/checksum-words.ts';
import { seededRandom } from './seeded-random.ts';

declare function trace(...values: unknown[]): void;

const reference = { ...hdlc, ...words } as Record<string, unknown>;
const twin = native as Record<string, unknown>;
const random = seededRandom(25);
const int = (n: number) => Math.floor(random.next() * n);
const u32 = () => (int(0x10000) * 0x10000 + int(0x10000)) >>> 0;
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const EVERY_BYTE = Uint8Array.from({ length: 256 }, (_, i) => i);
const ACCMS = [0, 0xffffffff, 0x000a0000, 0x80000001, 0x55555555];

/** Random bytes rich in what framing treats apart: flags, escapes and control characters. */
function framingBytes(n: number): Uint8Array {
  const special = [0x7e, 0x7d, 0x00, 0x11, 0x13, 0x1f, 0x20, 0x5e, 0x5d, 0xff];
  return Uint8Array.from({ length: n }, () => (random.next() < 0.2 ? special[int(special.length)]! : int(256)));
}

function buffers(): Uint8Array[] {
  const out: Uint8Array[] = [EVERY_BYTE, new Uint8Array(0), Uint8Array.of(0x7e), Uint8Array.of(0x7d)];
  for (let i = 0; i < 150; i++) out.push(i % 2 ? random.bytes(int(1600)) : framingBytes(1 + int(1600)));
  return out;
}

let failed = false;
function report(name: string, cases: (() => [unknown, unknown, string])[]): void {
  let mismatches = 0;
  let first = '';
  for (const run of cases) {
    let a: unknown, b: unknown, what: string;
    try {
      [a, b, what] = run();
    } catch (e) {
      [a, b, what] = ['threw', String(e), 'exception'];
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      mismatches++;
      first ||= `${what}: reference ${JSON.stringify(a)} native ${JSON.stringify(b)}`.slice(0, 300);
    }
  }
  failed ||= mismatches > 0;
  trace(`@frame ${name} ${cases.length} ${mismatches}${first ? ` ${first}` : ''}\n`);
}

const call = (side: Record<string, unknown>, name: string, ...args: unknown[]) => (side[name] as (...a: unknown[]) => unknown)(...args);

report('exports', [() => [Object.keys(reference).sort(), Object.keys(twin).sort(), 'names'], ...['SYNCED', 'ESCAPED', 'OVERFLOW'].map((k) => () => [reference[k], twin[k], k] as [unknown, unknown, string])]);

for (const name of ['fcs16', 'fcs32']) {
  const init = name === 'fcs16' ? () => (random.next() < 0.5 ? 0xffff : int(0x10000)) : () => (random.next() < 0.5 ? 0xffffffff : u32());
  const cases = buffers().flatMap((b) => {
    const start = int(b.length + 1);
    const end = start + int(b.length - start + 1);
    return [[0, b.length], [start, end], [end, start]].map(([s, e]) => {
      const fcs = init();
      return () => [call(reference, name, b, fcs, s, e), call(twin, name, b, fcs, s, e), `${b.length} B [${s}, ${e}) from ${fcs}`] as [unknown, unknown, string];
    });
  });
  report(name, cases);
}

report('addWords', buffers().flatMap((b) => {
  const offset = int(b.length + 1);
  const length = int(b.length - offset + 1); // odd and even
  const acc = random.next() < 0.3 ? 0 : int(2 ** 40);
  return [[0, b.length, 0], [offset, length, acc], [offset, 0, acc], [b.length ? b.length - 1 : 0, b.length ? 1 : 0, acc]].map(([o, l, a]) =>
    () => [words.addWords(b, o!, l!, a!), call(twin, 'addWords', b, o, l, a), `${b.length} B offset ${o} length ${l} acc ${a}`] as [unknown, unknown, string]);
}));

const accms = () => [...ACCMS, u32(), u32()];
report('escapedLength', buffers().flatMap((b) => accms().map((accm) =>
  () => [hdlc.escapedLength(b, accm), call(twin, 'escapedLength', b, accm), `${b.length} B accm ${accm}`] as [unknown, unknown, string])));

report('escapeInto', buffers().flatMap((b) => accms().map((accm) => () => {
  const room = hdlc.escapedLength(b, accm) + 3;
  const at = int(4);
  const short = int(room + 1); // a buffer too small for it drops the writes past its end, on both sides
  const run = (side: Record<string, unknown>) => {
    const out = new Uint8Array(room);
    const cut = new Uint8Array(short);
    return [call(side, 'escapeInto', b, accm, out, at), hex(out), call(side, 'escapeInto', b, accm, cut, at), hex(cut)];
  };
  return [run(reference), run(twin), `${b.length} B accm ${accm} at ${at} short ${short}`];
})));

/** A decoder's loop over a stream cut into pieces: every index returned, the state and the frame at each flag. */
function decode(side: Record<string, unknown>, pieces: Uint8Array[], frameRoom: number, state: Uint32Array): unknown[] {
  const frame = new Uint8Array(frameRoom);
  const log: unknown[] = [];
  for (const p of pieces) {
    for (let i = call(side, 'unescapeUntilFlag', p, 0, frame, state) as number; ; i = call(side, 'unescapeUntilFlag', p, i + 1, frame, state) as number) {
      log.push(i, state[0], state[2], hex(frame.subarray(0, Math.min(state[0]!, frameRoom))));
      if (i >= p.length) break;
      state[0] = 0;
      state[2] = hdlc.SYNCED;
    }
  }
  return log;
}

report('unescapeUntilFlag', Array.from({ length: 200 }, (_, n) => () => {
  const stream = framingBytes(1 + int(4000));
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < stream.length;) {
    const size = n % 3 === 0 ? 1 + int(11) : 1 + int(1500);
    pieces.push(stream.subarray(at, at + size));
    at += size;
  }
  const room = n % 4 === 0 ? int(64) : 1600;
  const start = [int(2 ** 12), random.next() < 0.5 ? ACCMS[int(ACCMS.length)]! : u32(), int(8)];
  const from = int(5);
  const first = stream.subarray(0, Math.min(stream.length, 40));
  const run = (side: Record<string, unknown>) => {
    const s = Uint32Array.from(start);
    const once = [call(side, 'unescapeUntilFlag', first, from, new Uint8Array(room), s), ...s];
    return [once, decode(side, pieces, room, Uint32Array.from(start))];
  };
  return [run(reference), run(twin), `${stream.length} B in ${pieces.length} pieces, room ${room}, state ${start.join('/')}`];
}));

trace(`@frame done ${failed ? 'mismatch' : 'equal'}\n`);
