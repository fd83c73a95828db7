/**
 * Node side of hosts/xs-device: runs the ESP32 build's Linux twin (scripts/xs-device.ts) on a
 * serial line and reads what it prints: the agent's log lines (the ESP32 main logs with trace(),
 * one line each) and the host's "@ikelet" lines with XS heap figures after each turn.
 * Agent events come from the log: the agent logs every event in words (src/agent/agent.ts describe()).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** XS memory after a turn or on request. slots: 16 B each in this 32-bit build, as on the ESP32. */
export interface XsHeap {
  slots: number;
  slotsPeak: number;
  slotsMax: number;
  /** Bytes. */
  chunks: number;
  chunksPeak: number;
  chunksMax: number;
  /** Slots of the deepest stack since the previous figure, and the stack's size. */
  stackPeak: number;
  stackMax: number;
  /** Computrons XS counted since boot (xsnap's unit; a turn's own is the difference to the previous figure). */
  meter: number;
}

export interface DeviceEvent {
  type: 'link-up' | 'ike-connecting' | 'ike-sa-init-done' | 'ike-up' | 'child-up' | 'child-rekeyed' | 'ike-rekeyed' | 'probe-result' | 'probe-error' | 'ike-error' | 'ike-down' | 'child-down' | 'link-stopped' | 'ike-suspended' | 'ike-moved';
  text: string;
  /** probe-result: echoed / sent / lost / corrupted. */
  received?: number;
  sent?: number;
  lost?: number;
  corrupted?: number;
}

export interface DeviceTurn {
  index: number;
  /** 'main', 'serial', 'timer'. */
  kind: string;
  heap: XsHeap;
  /** XS computrons the turn spent: its meter less the previous figure's (C called from it counts as the call, ~22). */
  compute: number;
  events: DeviceEvent['type'][];
  logs: string[];
}

const EVENT_TEXT: [RegExp, DeviceEvent['type']][] = [
  [/^info agent: PPP link up:/, 'link-up'],
  [/^info agent: IKE: connecting/, 'ike-connecting'],
  [/^info ike: IKE_SA_INIT done:/, 'ike-sa-init-done'],
  [/^info agent: IKE SA up with/, 'ike-up'],
  [/^info agent: tunnel up:/, 'child-up'],
  [/^info agent: tunnel rekeyed/, 'child-rekeyed'],
  [/^info agent: IKE SA rekeyed/, 'ike-rekeyed'],
  [/^info agent: probe: \d+\/\d+ datagrams echoed/, 'probe-result'],
  [/^info agent: probe: [^ ]+: /, 'probe-error'],
  [/^info agent: IKE error/, 'ike-error'],
  [/^info agent: IKE SA down/, 'ike-down'],
  [/^info agent: tunnel down/, 'child-down'],
  [/^info agent: link stopped/, 'link-stopped'],
  [/^info agent: IKE SA kept for up to/, 'ike-suspended'],
  [/^info agent: tunnel back on the new link/, 'ike-moved'],
];

/** The agent event a log line reports, if it reports one. */
export function eventFromLog(line: string): DeviceEvent | undefined {
  const hit = EVENT_TEXT.find(([r]) => r.test(line));
  if (!hit) return undefined;
  const event: DeviceEvent = { type: hit[1], text: line };
  const probe = /probe: (\d+)\/(\d+) datagrams echoed byte-exact by \S+ \((\d+) lost, (\d+) corrupted\)/.exec(line);
  if (probe) Object.assign(event, { received: Number(probe[1]), sent: Number(probe[2]), lost: Number(probe[3]), corrupted: Number(probe[4]) });
  return event;
}

export function parseHeap(fields: string): XsHeap {
  const value = (k: string) => Number(new RegExp(`\\b${k}=(\\d+)`).exec(fields)?.[1] ?? NaN);
  return {
    slots: value('slots'), slotsPeak: value('slotsPeak'), slotsMax: value('slotsMax'),
    chunks: value('chunks'), chunksPeak: value('chunksPeak'), chunksMax: value('chunksMax'),
    stackPeak: value('stackPeak'), stackMax: value('stackMax'), meter: value('meter'),
  };
}

/** One row of the host's census: instances of one kind, their slots and the chunk bytes they own. */
export interface CensusRow {
  label: string;
  count: number;
  slots: number;
  chunks: number;
}

/** What the live heap is made of, in the groups that decide what to change (see host.c census()). */
export interface CensusSummary {
  /** Functions made at run time (closures, arrow functions, per-instance methods) and their scopes. */
  functions: { count: number; slots: number; scopes: number; scopeSlots: number; bytecode: number };
  /** Uint8Arrays and their ArrayBuffers (with the bytes). */
  bytes: { views: number; slots: number; buffers: number; chunks: number };
  /** Everything else: class instances, plain objects, arrays, maps; strings and BigInts in chunks. */
  objects: { count: number; slots: number; chunks: number };
  /** The largest rows by slots + chunk bytes / 16, for the lead's eye. */
  top: CensusRow[];
}

export function parseCensusRow(fields: string): CensusRow | undefined {
  const m = /^(\d+) (\d+) (\d+) (.*)$/.exec(fields);
  return m ? { count: Number(m[1]), slots: Number(m[2]), chunks: Number(m[3]), label: m[4]! } : undefined;
}

export function summarizeCensus(rows: readonly CensusRow[], top = 12): CensusSummary {
  const sum = (of: readonly CensusRow[], f: (r: CensusRow) => number) => of.reduce((a, r) => a + f(r), 0);
  const fns = rows.filter((r) => r.label.startsWith('function '));
  const scopes = rows.filter((r) => r.label.startsWith('null-proto {#'));
  const code = rows.filter((r) => r.label.startsWith('(code of '));
  const views = rows.filter((r) => /^exotic kind \d+ \((Uint8|Uint16|Uint32|Int32)Array\)$/.test(r.label));
  const buffers = rows.filter((r) => r.label === 'exotic kind 17 (ArrayBuffer)');
  const grouped = new Set([...fns, ...scopes, ...code, ...views, ...buffers]);
  const rest = rows.filter((r) => !grouped.has(r));
  return {
    functions: { count: sum(fns, (r) => r.count), slots: sum(fns, (r) => r.slots), scopes: sum(scopes, (r) => r.count), scopeSlots: sum(scopes, (r) => r.slots), bytecode: sum(code, (r) => r.chunks) },
    bytes: { views: sum(views, (r) => r.count), slots: sum(views, (r) => r.slots) + sum(buffers, (r) => r.slots), buffers: sum(buffers, (r) => r.count), chunks: sum(buffers, (r) => r.chunks) },
    objects: { count: sum(rest, (r) => r.count), slots: sum(rest, (r) => r.slots), chunks: sum(rest, (r) => r.chunks) },
    top: [...rows].sort((a, b) => b.slots * 16 + b.chunks - (a.slots * 16 + a.chunks)).slice(0, top),
  };
}

export function describeHeap(h: XsHeap): string {
  return `slots ${h.slots}/${h.slotsMax}, chunks ${h.chunks}/${h.chunksMax} B, stack ${h.stackPeak}/${h.stackMax}`;
}

export interface XsDeviceRunOptions {
  binary: string;
  serialPath: string;
  /** Collect garbage before every turn: a turn's peak then bounds what it needs. */
  gcEachTurn?: boolean;
  /** Called with every line the program prints (logs, host lines). */
  onLine?: (line: string) => void;
}

export class XsDeviceRun {
  readonly events: DeviceEvent[] = [];
  readonly turns: DeviceTurn[] = [];
  readonly lines: string[] = [];
  boot: XsHeap | undefined;
  /** XS's reason when it gave up (e.g. 'not enough memory'), with the heap at that moment. */
  abort: { reason: string; heap: XsHeap } | undefined;
  /** Exceptions that escaped a turn (bugs). */
  readonly exceptions: string[] = [];
  /** What the heap held when XS gave up (the host's census before it exits). */
  readonly abortCensus: CensusRow[] = [];
  private censusRows: CensusRow[] = [];
  private censusWaiters: { resolve: (rows: CensusRow[]) => void; reject: (e: Error) => void }[] = [];
  private pendingEvents: DeviceEvent['type'][] = [];
  private pendingLogs: string[] = [];
  private waiters: (() => void)[] = [];
  private replies: { resolve: (heap: XsHeap) => void; reject: (e: Error) => void }[] = [];
  private exited: Promise<number | null>;
  private buffer = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams, private readonly onLine?: (line: string) => void) {
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (d: string) => this.data(d));
    this.exited = new Promise((resolve) => child.on('exit', (code) => {
      const ended = () => new Error(`the device program ended${this.abort ? ` (XS abort: ${this.abort.reason}, ${describeHeap(this.abort.heap)})` : ''}`);
      for (const r of this.replies.splice(0)) r.reject(ended());
      for (const r of this.censusWaiters.splice(0)) r.reject(ended());
      this.notify();
      resolve(code);
    }));
  }

  static start(options: XsDeviceRunOptions): XsDeviceRun {
    const args = ['--serial', options.serialPath, '--turns', ...(options.gcEachTurn ? ['--gc-each-turn'] : [])];
    return new XsDeviceRun(spawn(options.binary, args, { stdio: ['pipe', 'pipe', 'pipe'] }), options.onLine);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first event matching, or rejects after `timeoutMs` or when the program ends. */
  async waitFor(match: (e: DeviceEvent) => boolean, timeoutMs: number, what: string): Promise<DeviceEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find(match);
      if (hit) return hit;
      if (!this.running) throw new Error(`the device program ended before ${what}${this.abort ? `: XS abort: ${this.abort.reason} (${describeHeap(this.abort.heap)}) after '${this.events.at(-1)?.type ?? 'start'}'` : ''}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; last lines:\n${this.lines.slice(-15).join('\n')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Asks the host for its heap figures now ('stats'), or after a full collection ('gc'). */
  heap(command: 'stats' | 'gc'): Promise<XsHeap> {
    return new Promise((resolve, reject) => {
      if (!this.running) return reject(new Error('the device program is not running'));
      this.replies.push({ resolve, reject });
      this.child.stdin.write(`${command}\n`);
    });
  }

  /** Collects, then asks the host what the live heap is made of (host.c census()). */
  census(): Promise<CensusRow[]> {
    return new Promise((resolve, reject) => {
      if (!this.running) return reject(new Error('the device program is not running'));
      this.censusWaiters.push({ resolve, reject });
      this.child.stdin.write('census\n');
    });
  }

  async stop(): Promise<void> {
    if (this.running) {
      this.child.stdin.end('exit\n');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await this.exited;
      clearTimeout(t);
    }
  }

  private data(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      this.line(line);
    }
  }

  private line(line: string): void {
    this.lines.push(line);
    if (this.lines.length > 2000) this.lines.splice(0, 1000);
    this.onLine?.(line);
    const host = /^@ikelet (\w+)(?: (\w+))? (.*)$/.exec(line);
    if (!host) {
      const event = eventFromLog(line);
      if (event) {
        this.events.push(event);
        this.pendingEvents.push(event.type);
      }
      if (line.trim()) this.pendingLogs.push(line);
      this.notify();
      return;
    }
    const [, what, kind, rest] = host;
    if (what === 'turn') {
      const heap = parseHeap(rest!);
      this.turns.push({ index: this.turns.length, kind: kind!, heap, compute: heap.meter - (this.turns.at(-1)?.heap.meter ?? this.boot?.meter ?? 0), events: this.pendingEvents, logs: this.pendingLogs });
      this.pendingEvents = [];
      this.pendingLogs = [];
    } else if (what === 'boot') this.boot = parseHeap(`${kind ?? ''} ${rest}`);
    else if (what === 'stats' || what === 'gc') this.replies.shift()?.resolve(parseHeap(`${kind ?? ''} ${rest}`));
    else if (what === 'exception') this.exceptions.push(`${kind ?? ''} ${rest}`.trim());
    else if (what === 'census') {
      const row = parseCensusRow(rest ?? '');
      if (row) (kind === 'abort' ? this.abortCensus : this.censusRows).push(row);
    } else if (what === 'censusend' && (kind ?? rest) === 'live') {
      const rows = this.censusRows;
      this.censusRows = [];
      this.censusWaiters.shift()?.resolve(rows);
    }
    else if (what === 'abort') {
      const [reason, heap] = line.slice('@ikelet abort '.length).split(' @ikelet at abort ');
      this.abort = { reason: reason!.trim(), heap: parseHeap(heap ?? '') };
    }
    this.notify();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
