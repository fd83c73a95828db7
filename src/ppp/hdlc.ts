/**
 * RFC 1662 HDLC-like framing for PPP on an async serial line: flag-delimited frames,
 * 0x7d escaping, control-character map (ACCM), FCS-16, optional address/control and
 * protocol field compression.
 */
import type { DropCounter } from '../util/log.ts';
import { FCS_GOOD, FCS_INIT, fcs16, fcsTrailer } from './fcs.ts';
import { ESCAPED, OVERFLOW, SYNCED, escapeInto, escapedLength, unescapeUntilFlag, type UnescapeState } from './hdlc-bytes.ts';
import { PROTO_LCP } from './protocols.ts';

const FLAG = 0x7e;
const ALL_CONTROL = 0xffffffff;

/** Receives a byte stream and hands over each intact frame (FCS removed, still with address/control). */
export class HdlcDecoder {
  private readonly buffer: Uint8Array;
  /** Length, receive ACCM and flags, read and written by unescapeUntilFlag (hdlc-bytes.ts). */
  private readonly state: UnescapeState = Uint32Array.of(0, ALL_CONTROL, 0);

  constructor(
    maxFrameLength: number,
    private readonly drops: DropCounter,
    private readonly onFrame: (frame: Uint8Array) => void,
  ) {
    this.buffer = new Uint8Array(maxFrameLength);
  }

  /** Control characters the peer may not send raw: a modem or line may insert them, so discard. */
  get rxAccm(): number {
    return this.state[1]!;
  }

  set rxAccm(accm: number) {
    this.state[1] = accm;
  }

  push(bytes: Uint8Array): void {
    for (let i = unescapeUntilFlag(bytes, 0, this.buffer, this.state); i < bytes.length; i = unescapeUntilFlag(bytes, i + 1, this.buffer, this.state)) this.endFrame();
  }

  private endFrame(): void {
    const { state } = this;
    const length = state[0]!;
    const flags = state[2]!;
    state[0] = 0;
    state[2] = SYNCED;
    const overflow = (flags & OVERFLOW) !== 0;
    const wasSynced = (flags & SYNCED) !== 0;
    const escaped = (flags & ESCAPED) !== 0;
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

/**
 * Builds one escaped frame with leading and trailing flag. LCP always goes out uncompressed and fully escaped.
 * The frame is counted before it is written, so the one buffer made is the frame itself (RAM: no
 * worst-case double-size buffer and copy per packet).
 */
export function encodeFrame(protocol: number, info: Uint8Array, framing: TxFraming): Uint8Array {
  const lcp = protocol === PROTO_LCP;
  const accm = lcp ? ALL_CONTROL : framing.accm;
  const address = lcp || !framing.acfc;
  const longProtocol = lcp || !framing.pfc || protocol > 0xff;
  const head = new Uint8Array((address ? 2 : 0) + (longProtocol ? 2 : 1));
  let h = 0;
  if (address) {
    head[h++] = 0xff;
    head[h++] = 0x03;
  }
  if (longProtocol) head[h++] = protocol >>> 8;
  head[h] = protocol & 0xff;
  const tail = new Uint8Array(fcsTrailer(fcs16(info, fcs16(head))));

  const out = new Uint8Array(2 + escapedLength(head, accm) + escapedLength(info, accm) + escapedLength(tail, accm));
  out[0] = FLAG;
  escapeInto(tail, accm, out, escapeInto(info, accm, out, escapeInto(head, accm, out, 1)));
  out[out.length - 1] = FLAG;
  return out;
}
