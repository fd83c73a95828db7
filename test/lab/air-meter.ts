/**
 * What crosses the air in data mode, measured where the modem emulator sits between the
 * initiator (ikelet, or strongSwan through its PPP bridge) and the carrier: every HDLC frame
 * both ways, with its bytes on the line (flags and escapes included) and its cause, read from
 * the cleartext parts only (PPP protocol, LCP code, IP/UDP ports, the IKE header and the SK
 * payload's first-payload field). Both initiators are metered by this same code at the same
 * point, so their figures compare.
 */
import { FCS_GOOD, FCS_INIT, fcs16 } from '../../src/ppp/fcs.ts';
import { parseFrame } from '../../src/ppp/hdlc.ts';
import { CODE, PROTO_IPCP, PROTO_IPV4, PROTO_LCP } from '../../src/ppp/protocols.ts';

export type Direction = 'up' | 'down';

export type FrameCause =
  | 'lcp' | 'lcp-echo' | 'ipcp' | 'ppp-other'
  | 'ike-sa-init' | 'ike-auth' | 'create-child-sa' | 'dpd' | 'informational' | 'ike-other'
  | 'nat-keepalive' | 'esp' | 'ip-other' | 'bad-fcs';

export interface MeteredFrame {
  at: number;
  dir: Direction;
  cause: FrameCause;
  /** Bytes on the line: the frame with its escapes and flag(s). */
  wireBytes: number;
  /** IP packets: total length; IKE: the IKE message length (header + payloads, no non-ESP marker). */
  ipBytes?: number;
  ikeBytes?: number;
  /** IKE: the response flag; LCP echo: an Echo-Reply. */
  response?: boolean;
  /** ESP: the SPI. */
  espSpi?: number;
}

const FLAG = 0x7e;
const ESCAPE = 0x7d;
const EXCHANGES: Record<number, FrameCause> = { 34: 'ike-sa-init', 35: 'ike-auth', 36: 'create-child-sa', 37: 'informational' };
const SK = 46;

/** Splits one direction's byte stream into frames; text before the first flag (a banner) is not a frame. */
class FrameSplitter {
  private synced = false;
  private raw = 0;
  private content: number[] = [];
  private escaped = false;

  constructor(private readonly emit: (content: Uint8Array, wireBytes: number) => void) {}

  push(bytes: Uint8Array): void {
    for (const c of bytes) {
      if (c === FLAG) {
        if (!this.synced) {
          this.synced = true;
          this.raw = 1;
          continue;
        }
        this.raw++;
        if (this.content.length === 0) continue; // idle fill: this flag opens the next frame
        const content = Uint8Array.from(this.content);
        const wire = this.raw;
        this.content = [];
        this.raw = 0;
        this.escaped = false;
        this.emit(content, wire);
        continue;
      }
      if (!this.synced) continue;
      this.raw++;
      if (c === ESCAPE) {
        this.escaped = true;
        continue;
      }
      this.content.push(this.escaped ? c ^ 0x20 : c);
      this.escaped = false;
    }
  }

  /** A new data call: the next bytes may start with a banner again. */
  reset(): void {
    this.synced = false;
    this.raw = 0;
    this.content = [];
    this.escaped = false;
  }
}

/** Classifies one unescaped frame (FCS included). */
export function classifyFrame(content: Uint8Array): Omit<MeteredFrame, 'at' | 'dir' | 'wireBytes'> {
  if (content.length < 4 || fcs16(content, FCS_INIT) !== FCS_GOOD) return { cause: 'bad-fcs' };
  const packet = parseFrame(content.subarray(0, content.length - 2));
  if (!packet) return { cause: 'bad-fcs' };
  const { protocol, info } = packet;
  if (protocol === PROTO_LCP) {
    if (info[0] === CODE.echoRequest || info[0] === CODE.echoReply) return { cause: 'lcp-echo', response: info[0] === CODE.echoReply };
    return { cause: 'lcp' };
  }
  if (protocol === PROTO_IPCP) return { cause: 'ipcp' };
  if (protocol !== PROTO_IPV4) return { cause: 'ppp-other' };
  return classifyIpv4(info);
}

function classifyIpv4(ip: Uint8Array): Omit<MeteredFrame, 'at' | 'dir' | 'wireBytes'> {
  if (ip.length < 20 || ip[0]! >> 4 !== 4) return { cause: 'ip-other' };
  const ipBytes = (ip[2]! << 8) | ip[3]!;
  const headerLength = (ip[0]! & 0x0f) * 4;
  const fragmentOffset = ((ip[6]! & 0x1f) << 8) | ip[7]!;
  const proto = ip[9]!;
  if (proto === 50) return { cause: 'esp', ipBytes, espSpi: u32(ip, headerLength) };
  if (proto !== 17 || fragmentOffset !== 0) return { cause: 'ip-other', ipBytes };
  const udp = ip.subarray(headerLength);
  if (udp.length < 8) return { cause: 'ip-other', ipBytes };
  const sport = (udp[0]! << 8) | udp[1]!;
  const dport = (udp[2]! << 8) | udp[3]!;
  const payload = udp.subarray(8);
  const ports = [sport, dport];
  if (ports.includes(4500)) {
    if (payload.length === 1 && payload[0] === 0xff) return { cause: 'nat-keepalive', ipBytes };
    if (payload.length >= 4 && u32(payload, 0) === 0) return ike(payload.subarray(4), ipBytes);
    return { cause: 'esp', ipBytes, espSpi: u32(payload, 0) };
  }
  if (ports.includes(500)) return ike(payload, ipBytes);
  return { cause: 'ip-other', ipBytes };
}

function ike(message: Uint8Array, ipBytes: number): Omit<MeteredFrame, 'at' | 'dir' | 'wireBytes'> {
  if (message.length < 28) return { cause: 'ike-other', ipBytes };
  const ikeBytes = u32(message, 24);
  const response = (message[19]! & 0x20) !== 0;
  let cause = EXCHANGES[message[18]!] ?? 'ike-other';
  // An INFORMATIONAL whose SK payload carries no payload at all is a liveness check (RFC 7296 1.4).
  if (cause === 'informational' && message[16] === SK && message.length >= 32 && message[28] === 0) cause = 'dpd';
  return { cause, ipBytes, ikeBytes, response };
}

function u32(b: Uint8Array, at: number): number {
  return at + 4 <= b.length ? ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0 : -1;
}

/** Totals of a stretch of the log: bytes on the line per direction and per cause. */
export interface AirTotals {
  up: number;
  down: number;
  frames: number;
  byCause: Partial<Record<FrameCause, { up: number; down: number; frames: number }>>;
}

export class AirMeter {
  /** The latest frames (bounded: the oldest go first); `since()` takes absolute marks. */
  private readonly frames: MeteredFrame[] = [];
  private forgotten = 0;
  private readonly splitters: Record<Direction, FrameSplitter>;

  constructor(
    private readonly clock: () => number = () => performance.now(),
    private readonly maxFrames: number = 200_000,
  ) {
    this.splitters = {
      up: new FrameSplitter((c, w) => this.record('up', c, w)),
      down: new FrameSplitter((c, w) => this.record('down', c, w)),
    };
  }

  /** Data-mode bytes from the initiator toward the network ('up') or back ('down'). */
  push(dir: Direction, bytes: Uint8Array): void {
    this.splitters[dir].push(bytes);
  }

  /** A new call starts: a fresh PPP peer may print a banner before its first frame. */
  newCall(): void {
    this.resync('up');
    this.resync('down');
  }

  /** One direction's stream was cut (a peer replaced): start again at its next flag. */
  resync(dir: Direction): void {
    this.splitters[dir].reset();
  }

  /** Index to pass to `since()`: everything metered from now on. */
  mark(): number {
    return this.forgotten + this.frames.length;
  }

  since(mark: number, until = this.mark()): MeteredFrame[] {
    return this.frames.slice(Math.max(0, mark - this.forgotten), Math.max(0, until - this.forgotten));
  }

  private record(dir: Direction, content: Uint8Array, wireBytes: number): void {
    this.frames.push({ at: this.clock(), dir, wireBytes, ...classifyFrame(content) });
    if (this.frames.length > this.maxFrames) {
      const excess = this.frames.length - this.maxFrames;
      this.frames.splice(0, excess);
      this.forgotten += excess;
    }
  }
}

export function totals(frames: readonly MeteredFrame[]): AirTotals {
  const t: AirTotals = { up: 0, down: 0, frames: 0, byCause: {} };
  for (const f of frames) {
    t[f.dir] += f.wireBytes;
    t.frames++;
    const c = (t.byCause[f.cause] ??= { up: 0, down: 0, frames: 0 });
    c[f.dir] += f.wireBytes;
    c.frames++;
  }
  return t;
}
