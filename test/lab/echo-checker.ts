/**
 * Numbered datagrams echoed through the tunnel, as an app on the device would send them: one
 * every `intervalMs`, each carrying its number and send time, to the lab's UDP echo service.
 * Counts what came back once, twice (duplicated), or never (lost), and when traffic flowed, so
 * a fault test can say how long the tunnel was gone and whether it came back by itself.
 */

/** How the checker reaches the tunnel: a UDP socket of the app on the device. */
export interface DatagramPort {
  send(payload: Uint8Array): void;
  onReceive(handler: (payload: Uint8Array) => void): void;
  close(): void;
}

const MAGIC = 0x45434b31; // "ECK1"
const HEADER = 16; // magic, number, send time (float64)

export interface EchoReport {
  sent: number;
  /** Distinct numbers echoed. */
  received: number;
  lost: number[];
  /** Numbers echoed more than once (and how many extra copies in all). */
  duplicated: number[];
  extraCopies: number;
  /** Echoes that were not one of ours, or damaged. */
  foreign: number;
  /** The longest time no echo arrived while datagrams were being sent, in ms. */
  longestSilenceMs: number;
}

export class EchoChecker {
  private next = 0;
  private readonly sentAt: number[] = [];
  private readonly copies = new Map<number, number>();
  private readonly echoedAt: number[] = []; // arrival times, in order
  private readonly firstEcho = new Map<number, number>(); // number → its first echo's arrival
  private timer: NodeJS.Timeout | undefined;
  private foreign = 0;
  private readonly size: number;

  constructor(
    private readonly port: DatagramPort,
    private readonly options: { intervalMs?: number; payloadSize?: number; clock?: () => number } = {},
  ) {
    this.size = Math.max(HEADER, options.payloadSize ?? 48);
    port.onReceive((p) => this.received(p));
  }

  private now(): number {
    return (this.options.clock ?? (() => performance.now()))();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sendOne(), this.options.intervalMs ?? 200);
    this.sendOne();
  }

  /** Stops sending; echoes still in flight keep being counted. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops sending and waits `drainMs` for the last echoes. */
  async finish(drainMs = 3000): Promise<EchoReport> {
    this.stop();
    await new Promise((r) => setTimeout(r, drainMs));
    return this.report();
  }

  get sent(): number {
    return this.next;
  }

  /** When datagram `n` was sent (checker clock). */
  sentTime(n: number): number {
    return this.sentAt[n] ?? NaN;
  }

  /** Time (checker clock) of the first echo of a datagram sent at or after `since`; undefined if none yet. */
  firstEchoSentAfter(since: number): number | undefined {
    let first: number | undefined;
    for (const [n, at] of this.firstEcho) if (this.sentAt[n]! >= since && (first === undefined || at < first)) first = at;
    return first;
  }

  /** Numbers sent at or after `since` and never echoed (so far). */
  lostSince(since: number): number[] {
    const out: number[] = [];
    for (let n = 0; n < this.next; n++) if (this.sentAt[n]! >= since && !this.copies.has(n)) out.push(n);
    return out;
  }

  report(): EchoReport {
    const lost: number[] = [];
    const duplicated: number[] = [];
    let extra = 0;
    for (let n = 0; n < this.next; n++) {
      const c = this.copies.get(n) ?? 0;
      if (c === 0) lost.push(n);
      if (c > 1) {
        duplicated.push(n);
        extra += c - 1;
      }
    }
    let longest = 0;
    const times = [this.sentAt[0] ?? 0, ...this.echoedAt];
    for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
    return { sent: this.next, received: this.copies.size, lost, duplicated, extraCopies: extra, foreign: this.foreign, longestSilenceMs: longest };
  }

  close(): void {
    this.stop();
    this.port.close();
  }

  private sendOne(): void {
    const n = this.next++;
    const at = this.now();
    this.sentAt[n] = at;
    const p = new Uint8Array(this.size);
    const v = new DataView(p.buffer);
    v.setUint32(0, MAGIC);
    v.setUint32(4, n);
    v.setFloat64(8, at);
    for (let i = HEADER; i < p.length; i++) p[i] = (n + i) & 0xff;
    this.port.send(p);
  }

  private received(p: Uint8Array): void {
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    if (p.length !== this.size || v.getUint32(0) !== MAGIC) return void this.foreign++;
    const n = v.getUint32(4);
    if (n >= this.next || v.getFloat64(8) !== this.sentAt[n]) return void this.foreign++;
    for (let i = HEADER; i < p.length; i++) if (p[i] !== ((n + i) & 0xff)) return void this.foreign++;
    const at = this.now();
    this.copies.set(n, (this.copies.get(n) ?? 0) + 1);
    if (!this.firstEcho.has(n)) this.firstEcho.set(n, at);
    this.echoedAt.push(at);
  }
}

/** One line for an assertion message or a test log. */
export function describeReport(r: EchoReport): string {
  const runs = (ns: number[]) => {
    const parts: string[] = [];
    for (let i = 0; i < ns.length; ) {
      let j = i;
      while (j + 1 < ns.length && ns[j + 1] === ns[j]! + 1) j++;
      parts.push(i === j ? `${ns[i]}` : `${ns[i]}–${ns[j]}`);
      i = j + 1;
    }
    return parts.length > 12 ? `${parts.slice(0, 12).join(', ')}, … ${parts.length - 12} more runs` : parts.join(', ');
  };
  return `${r.sent} sent, ${r.received} echoed, ${r.lost.length} lost${r.lost.length ? ` (#${runs(r.lost)})` : ''}, ${r.duplicated.length} duplicated${r.extraCopies ? ` (${r.extraCopies} extra copies)` : ''}, longest silence ${Math.round(r.longestSilenceMs)} ms${r.foreign ? `, ${r.foreign} foreign` : ''}`;
}
