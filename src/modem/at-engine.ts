/**
 * The AT command engine (V.250, 27.007): one command at a time from a queue, each with
 * its own timeout; lines between the command and its final result are the command's
 * answer, unsolicited result codes (URCs) may arrive at any time and go to `onUrc`.
 * After CONNECT every byte is data until the modem drops back to command mode.
 */
import { DropCounter, type Logger } from '../util/log.ts';
import { printable, utf8 } from '../util/bytes.ts';
import { LineSplitter, DEFAULT_MAX_LINE } from './at-lines.ts';
import { DIAL_FINALS, parseFinal, type FinalKind, type FinalResult } from './at-results.ts';
import { CarrierWatch } from './carrier-watch.ts';

export interface AtCommandOptions {
  timeoutMs?: number;
  /** Answer prefix such as '+CPIN:': such lines belong to this command even if they look like URCs. */
  expect?: string;
  /** ATD/ATA/ATO: CONNECT, NO CARRIER, BUSY, ... end this command. */
  dial?: boolean;
  /** The command carries a secret (AT+CPIN="1234"): never log it or its answer. */
  secret?: boolean;
  /** Write the text as is, without the terminating CR (the "+++" escape). */
  raw?: boolean;
}

export interface AtResult {
  kind: FinalKind | 'timeout';
  /** Present unless the command timed out. */
  final?: FinalResult;
  /** Intermediate lines (the command's answer), echo excluded. */
  lines: string[];
}

export interface AtEnginePorts {
  writeSerial(bytes: Uint8Array, now: number): void;
  /** Unsolicited result codes, and NO CARRIER / RDY spotted in data mode. */
  onUrc(line: string, now: number): void;
  /** Bytes received in data mode (after CONNECT). */
  onData(bytes: Uint8Array, now: number): void;
}

export interface AtEngineOptions {
  defaultTimeoutMs?: number;
  maxLine?: number;
  urcPrefixes?: readonly string[];
}

export type AtDone = (result: AtResult, now: number) => void;

/** Lines that are unsolicited even while a command waits (unless it expects that prefix). */
export const DEFAULT_URC_PREFIXES: readonly string[] = Object.freeze([
  '+CREG:', '+CGREG:', '+CEREG:', '+C5GREG:', '+CPIN:', '+CFUN:', '+CGEV:', '+CMTI:', '+CUSD:',
  '+CIEV:', '+CTZV:', '+CTZE:', '+CRING:', '+QIND:', '+QUSIM:', '+QNITZ:', '+PACSP', '*PSUTTZ',
  '+CPSI:', '+APPRDY', 'RING', 'RDY', 'APP RDY', 'SMS DONE', 'PB DONE', 'CALL READY',
  'NORMAL POWER DOWN', 'POWERED DOWN', 'NO CARRIER',
]);

/** Lines kept for one command's answer: ours are a line or two; the rest is a module talking over it (dropped, counted). */
const MAX_ANSWER_LINES = 16;

interface Command {
  text: string;
  options: AtCommandOptions;
  done: AtDone;
}

interface Pending extends Command {
  deadline: number;
  lines: string[];
}

export class AtEngine {
  readonly drops: DropCounter;
  private readonly splitter: LineSplitter;
  private readonly watch = new CarrierWatch();
  private readonly queue: Command[] = [];
  private pending: Pending | undefined;
  private dataMode = false;
  /** CONNECT's line ended in CR at a chunk end: its LF may open the next chunk. */
  private swallowLf = false;
  private readonly defaultTimeoutMs: number;
  private readonly urcPrefixes: readonly string[];

  constructor(
    private readonly deps: { log: Logger; drops?: DropCounter },
    private readonly ports: AtEnginePorts,
    options: AtEngineOptions = {},
  ) {
    this.drops = deps.drops ?? new DropCounter(deps.log);
    this.splitter = new LineSplitter(this.drops, options.maxLine ?? DEFAULT_MAX_LINE);
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 5000;
    this.urcPrefixes = (options.urcPrefixes ?? DEFAULT_URC_PREFIXES).map((p) => p.toUpperCase());
  }

  get mode(): 'command' | 'data' {
    return this.dataMode ? 'data' : 'command';
  }

  /** Commands waiting, including the one on the wire. */
  get busy(): number {
    return this.queue.length + (this.pending ? 1 : 0);
  }

  send(text: string, now: number, options: AtCommandOptions, done: AtDone): void {
    this.queue.push({ text, options, done });
    this.pump(now);
  }

  input(bytes: Uint8Array, now: number): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.dataMode) at = this.inputData(bytes, at, now);
      else at = this.splitter.push(bytes, at, (line) => this.onLine(line, now));
    }
  }

  /** Back to line parsing after the driver escaped with "+++" or dropped DTR. */
  leaveDataMode(now: number): void {
    if (!this.dataMode) return;
    this.dataMode = false;
    this.splitter.clear();
    this.pump(now);
  }

  /** Forgets every queued and pending command without calling back (modem reboot, driver restart). */
  reset(): void {
    this.queue.length = 0;
    this.pending = undefined;
    this.dataMode = false;
    this.swallowLf = false;
    this.splitter.clear();
  }

  deadline(): number | undefined {
    return this.pending?.deadline;
  }

  onTimer(now: number): void {
    const p = this.pending;
    if (p && now >= p.deadline) {
      this.deps.log.debug(`${this.shown(p)}: timeout`);
      this.complete({ kind: 'timeout', lines: p.lines }, now);
    }
  }

  private pump(now: number): void {
    if (this.pending || this.dataMode) return;
    const next = this.queue.shift();
    if (!next) return;
    this.pending = { ...next, deadline: now + (next.options.timeoutMs ?? this.defaultTimeoutMs), lines: [] };
    this.deps.log.debug(`> ${this.shown(next)}`);
    this.ports.writeSerial(utf8(next.options.raw ? next.text : `${next.text}\r`), now);
  }

  private complete(result: AtResult, now: number): void {
    const p = this.pending;
    this.pending = undefined;
    p?.done(result, now);
    this.pump(now);
  }

  /** Returns true when the line switched the engine to data mode (stop splitting). */
  private onLine(line: string, now: number): boolean {
    const p = this.pending;
    if (!p) {
      this.unsolicited(line, now);
      return false;
    }
    if (!p.options.raw && line.toUpperCase() === p.text.toUpperCase()) return false; // echo (ATE1)
    const final = parseFinal(line);
    if (final && (!DIAL_FINALS.has(final.kind) || p.options.dial)) {
      if (!p.options.secret) this.deps.log.debug(`< ${line}`);
      const connect = final.kind === 'connect';
      if (connect) this.enterDataMode();
      this.complete({ kind: final.kind, final, lines: p.lines }, now);
      return connect;
    }
    const upper = line.toUpperCase();
    const expected = p.options.expect !== undefined && upper.startsWith(p.options.expect.toUpperCase());
    if (!expected && this.urcPrefixes.some((u) => upper.startsWith(u))) this.unsolicited(line, now);
    else if (p.lines.length < MAX_ANSWER_LINES) p.lines.push(line);
    else this.drops.drop('answer lines over the limit', this.shown(p));
    return false;
  }

  private unsolicited(line: string, now: number): void {
    const final = parseFinal(line);
    if (final && (final.kind === 'ok' || final.kind === 'error' || final.kind === 'cme' || final.kind === 'cms')) {
      // A late answer to a command that already timed out.
      this.drops.drop('final result without a command', line);
      return;
    }
    this.deps.log.debug(`urc ${line}`);
    this.ports.onUrc(line, now);
  }

  private enterDataMode(): void {
    this.dataMode = true;
    this.swallowLf = true;
    this.watch.reset();
    this.splitter.clear();
  }

  private inputData(bytes: Uint8Array, at: number, now: number): number {
    if (this.swallowLf) {
      this.swallowLf = false;
      if (bytes[at] === 0x0a) at++;
      if (at >= bytes.length) return at;
    }
    const chunk = at === 0 ? bytes : bytes.subarray(at);
    const hit = this.watch.scan(chunk);
    if (!hit) {
      this.ports.onData(chunk, now);
      return bytes.length;
    }
    if (hit.start > 0) this.ports.onData(chunk.subarray(0, hit.start), now);
    this.deps.log.debug(`data mode ended by ${hit.event} (${printable(chunk.subarray(hit.start, hit.end))})`);
    this.dataMode = false;
    this.splitter.clear();
    this.ports.onUrc(hit.event, now);
    this.pump(now);
    return at + hit.end;
  }

  private shown(c: Command): string {
    return c.options.secret ? c.text.replace(/=.*$/, '=<hidden>') : c.text;
  }
}
