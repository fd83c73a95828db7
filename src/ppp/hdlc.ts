/**
 * RFC 1662 HDLC-like framing for PPP on an async serial line: flag-delimited frames,
 * 0x7d escaping, control-character map (ACCM), FCS-16, optional address/control and
 * protocol field compression.
 */
import type { DropCounter } from '../util/log.ts';
import { FCS_GOOD, FCS_INIT, fcs16, fcsTrailer } from './fcs.ts';
import { PROTO_LCP } from './protocols.ts';

const FLAG = 0x7e;
const ESCAPE = 0x7d;
const ALL_CONTROL = 0xffffffff;

/** Receives a byte stream and hands over each intact frame (FCS removed, still with address/control). */
export class HdlcDecoder {
  /** Control characters the peer may not send raw: a modem or line may insert them, so discard. */
  rxAccm = ALL_CONTROL;
  private readonly buffer: Uint8Array;
  private length = 0;
  private synced = false; // false until the first flag: skips modem/slirp text banners
  private escaped = false;
  private overflow = false;

  constructor(
    maxFrameLength: number,
    private readonly drops: DropCounter,
    private readonly onFrame: (frame: Uint8Array) => void,
  ) {
    this.buffer = new Uint8Array(maxFrameLength);
  }

  push(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (c === FLAG) {
        this.endFrame();
        continue;
      }
      if (!this.synced) continue;
      if (c < 0x20 && (this.rxAccm >>> c) & 1) continue;
      if (c === ESCAPE) {
        this.escaped = true;
        continue;
      }
      const v = this.escaped ? c ^ 0x20 : c;
      this.escaped = false;
      if (this.length < this.buffer.length) this.buffer[this.length++] = v;
      else this.overflow = true;
    }
  }

  private endFrame(): void {
    const wasSynced = this.synced;
    this.synced = true;
    const { length, overflow, escaped } = this;
    this.length = 0;
    this.overflow = false;
    this.escaped = false;
    if (!wasSynced || (length === 0 && !overflow)) return; // back-to-back flags are idle fill
    if (overflow) return this.drops.drop('hdlc frame too long');
    if (escaped) return this.drops.drop('hdlc escape before flag'); // RFC 1662: abort sequence
    if (length < 4) return this.drops.drop('hdlc frame too short');
    if (fcs16(this.buffer, FCS_INIT, 0, length) !== FCS_GOOD) return this.drops.drop('hdlc bad fcs');
    this.onFrame(this.buffer.slice(0, length - 2));
  }
}

export interface PppPacket {
  protocol: number;
  info: Uint8Array;
}

/** Splits a frame into protocol and information, accepting compressed and uncompressed headers. */
export function parseFrame(frame: Uint8Array): PppPacket | undefined {
  let i = 0;
  if (frame.length >= 2 && frame[0] === 0xff && frame[1] === 0x03) i = 2;
  if (i >= frame.length) return undefined;
  let protocol = frame[i]!;
  if (protocol & 1) i += 1; // PFC: a one-byte protocol field is odd
  else {
    if (i + 2 > frame.length) return undefined;
    protocol = (protocol << 8) | frame[i + 1]!;
    if (!(protocol & 1)) return undefined; // RFC 1661: the low byte of a protocol is odd
    i += 2;
  }
  return { protocol, info: frame.subarray(i) };
}

export interface TxFraming {
  /** Peer's receive ACCM: control characters we must escape. */
  accm: number;
  acfc: boolean;
  pfc: boolean;
}

export const DEFAULT_FRAMING: Readonly<TxFraming> = Object.freeze({ accm: ALL_CONTROL, acfc: false, pfc: false });

/** Builds one escaped frame with leading and trailing flag. LCP always goes out uncompressed and fully escaped. */
export function encodeFrame(protocol: number, info: Uint8Array, framing: TxFraming): Uint8Array {
  const lcp = protocol === PROTO_LCP;
  const accm = lcp ? ALL_CONTROL : framing.accm;
  const header: number[] = [];
  if (lcp || !framing.acfc) header.push(0xff, 0x03);
  if (lcp || !framing.pfc || protocol > 0xff) header.push(protocol >>> 8);
  header.push(protocol & 0xff);
  const head = Uint8Array.from(header);
  const fcs = fcsTrailer(fcs16(info, fcs16(head)));

  const out = new Uint8Array(2 * (head.length + info.length + 2) + 2);
  let n = 0;
  const put = (c: number): void => {
    if (c === FLAG || c === ESCAPE || (c < 0x20 && (accm >>> c) & 1)) {
      out[n++] = ESCAPE;
      out[n++] = c ^ 0x20;
    } else out[n++] = c;
  };
  out[n++] = FLAG;
  for (const c of head) put(c);
  for (let i = 0; i < info.length; i++) put(info[i]!);
  put(fcs[0]);
  put(fcs[1]);
  out[n++] = FLAG;
  return out.slice(0, n);
}
