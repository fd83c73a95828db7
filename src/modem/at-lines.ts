/**
 * Splits the modem's byte stream into text lines. V.250 lines end in CR (S3) and
 * responses are framed as CR LF <text> CR LF, so CR and LF both end a line and
 * empty lines are skipped. Lines with non-printable bytes or overlong lines are
 * dropped whole: a corrupted "OK" must not be mistaken for something else.
 */
import type { DropCounter } from '../util/log.ts';

export const DEFAULT_MAX_LINE = 512;

const CR = 0x0d;
const LF = 0x0a;

export class LineSplitter {
  private line = '';
  private garbage = false;
  private overlong = false;

  constructor(
    private readonly drops: DropCounter,
    private readonly maxLine = DEFAULT_MAX_LINE,
  ) {}

  /**
   * Feeds bytes from `start`; calls `onLine` per complete non-empty line. When `onLine`
   * returns true (CONNECT: the rest is data) the split stops and the index of the first
   * unconsumed byte is returned; otherwise `bytes.length`.
   */
  push(bytes: Uint8Array, start: number, onLine: (line: string) => boolean): number {
    for (let i = start; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === CR || b === LF) {
        if (this.finishLine(onLine)) return i + 1;
        continue;
      }
      if (this.overlong) continue;
      if (this.line.length >= this.maxLine) {
        this.overlong = true;
        continue;
      }
      if ((b < 0x20 && b !== 0x09) || b >= 0x7f) this.garbage = true;
      else this.line += String.fromCharCode(b);
    }
    return bytes.length;
  }

  /** Forgets a partial line (entering data mode, or after a modem reboot). */
  clear(): void {
    this.line = '';
    this.garbage = false;
    this.overlong = false;
  }

  private finishLine(onLine: (line: string) => boolean): boolean {
    const line = this.line.trim();
    const { garbage, overlong } = this;
    this.clear();
    if (overlong) this.drops.drop('overlong line');
    else if (garbage) this.drops.drop('line with non-printable bytes');
    else if (line.length > 0) return onLine(line);
    return false;
  }
}
