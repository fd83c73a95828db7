/**
 * Spots the modem leaving data mode by itself ("\r\nNO CARRIER\r\n" after a carrier
 * loss, "\r\nRDY\r\n" after a reboot) in the data-mode byte stream. It only looks
 * outside PPP frames: right after a 0x7e flag or at the start of data mode, where a
 * real frame never starts with CR. Other text lines there (a URC such as "+CEREG: 3" that
 * the modem sends just before NO CARRIER) are skipped, bounded. A modem that cuts a frame in
 * half is still caught by PPP's LCP echo failures.
 */
const PATTERNS = Object.freeze(['\r\nNO CARRIER\r', '\r\nRDY\r'] as const);
export type CarrierEvent = 'NO CARRIER' | 'RDY';
/** Longer "lines" between frames are frame content after all. */
const MAX_LINE = 128;

export interface CarrierMatch {
  event: CarrierEvent;
  /** Index just past the match in the scanned chunk; line parsing resumes there. */
  end: number;
  /** Index of the first pattern byte in this chunk (0 when the match began in an earlier chunk). */
  start: number;
}

export class CarrierWatch {
  private betweenFrames = true;
  private candidate = '';
  /** Characters of another text line between frames being skipped (0: none). */
  private inLine = 0;

  reset(): void {
    this.betweenFrames = true;
    this.candidate = '';
    this.inLine = 0;
  }

  scan(bytes: Uint8Array): CarrierMatch | undefined {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === 0x7e) {
        this.betweenFrames = true;
        this.candidate = '';
        continue;
      }
      if (!this.betweenFrames) continue;
      if (this.inLine > 0) {
        if (b === 0x0d) {
          this.inLine = 0;
          this.candidate = '\r';
        } else if (b >= 0x20 && b < 0x7f && this.inLine < MAX_LINE) this.inLine++;
        else this.endText();
        continue;
      }
      const next = this.candidate + String.fromCharCode(b);
      const hit = PATTERNS.find((p) => p === next);
      if (hit) {
        this.reset();
        return { event: hit.slice(2, -1) as CarrierEvent, end: i + 1, start: Math.max(0, i + 1 - hit.length) };
      }
      if (PATTERNS.some((p) => p.startsWith(next))) this.candidate = next;
      else if (b === 0x0d && this.candidate.length > 0) this.candidate = '\r'; // "\r\n\r\nNO CARRIER"
      else if (this.candidate.startsWith('\r\n') && b >= 0x20 && b < 0x7f) {
        this.inLine = next.length - 2; // another line (a URC): skip it, then look again
        this.candidate = '';
      } else this.endText();
    }
    return undefined;
  }

  /** Anything else after a flag is frame content: ignore until the next flag. */
  private endText(): void {
    this.betweenFrames = false;
    this.candidate = '';
    this.inLine = 0;
  }
}
