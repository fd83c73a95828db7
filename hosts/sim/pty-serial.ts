/**
 * The modem UART on a desktop: a pseudo-terminal (from the modem emulator or socat)
 * opened in raw mode, offered to the agent as the platform's Serial.
 *
 * With a baud rate it behaves like a real UART: bytes leave at baud/10 per second, the rest
 * waits in the transmit queue that queued() reports, and onWritable fires as it drains (every
 * SIGNAL_STEP bytes and when empty), so the agent can keep what it queues bounded.
 */
import fs from 'node:fs';
import tty from 'node:tty';
import type { Serial } from '../../src/platform.ts';

export interface PtySerialOptions {
  /** Pace writes at this rate (8N1: baud/10 bytes per second); unpaced when omitted. */
  baud?: number;
}

const TICK_MS = 4;
/** A late timer may catch up on this much line time: a UART keeps sending while the process is busy. */
const CATCH_UP_MS = 25;
/** onWritable fires after this many bytes left the queue (and when it empties). */
const SIGNAL_STEP = 512;

export class PtySerial implements Serial {
  private readonly fd: number;
  /** Writes go through their own fd, asynchronously and in order: the read side is non-blocking
   *  (libuv), and a blocking or synchronous write there loses bytes or stalls the event loop. */
  private readonly writeFd: number;
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private writing = false;
  private readonly stream: tty.ReadStream;
  private handler: (bytes: Uint8Array) => void = () => {};
  private writableHandler: (() => void) | undefined;
  private drainedSinceSignal = 0;
  private readonly bytesPerMs: number | undefined;
  private credit = 0;
  private lastPace = 0;
  private paceTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Optional tap on both directions (pcap, traces). */
  tap?: (direction: 'tx' | 'rx', bytes: Uint8Array) => void;

  constructor(readonly path: string, options: PtySerialOptions = {}) {
    this.bytesPerMs = options.baud ? options.baud / 10 / 1000 : undefined;
    this.fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
    this.writeFd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_NOCTTY);
    this.stream = new tty.ReadStream(this.fd);
    this.stream.setRawMode(true);
    this.stream.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
      this.tap?.('rx', bytes);
      this.handler(bytes);
    });
    // EIO when the other side of the pty goes away: the modem "vanished", not a crash.
    this.stream.on('error', () => this.close());
  }

  write(bytes: Uint8Array): void {
    if (this.closed || bytes.length === 0) return;
    this.tap?.('tx', bytes);
    this.queue.push(bytes.slice());
    this.queuedBytes += bytes.length;
    this.pump();
  }

  /** Bytes accepted by write() but not yet handed to the pty. */
  queued(): number {
    return this.queuedBytes;
  }

  onWritable(handler: () => void): void {
    this.writableHandler = handler;
  }

  onReceive(handler: (bytes: Uint8Array) => void): void {
    this.handler = handler;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.paceTimer);
    this.stream.destroy();
    try {
      fs.closeSync(this.writeFd);
    } catch {
      /* already closed */
    }
  }

  /** How many bytes the line may take now (all of the head chunk when unpaced). */
  private allowance(): number {
    if (this.bytesPerMs === undefined) return Infinity;
    const now = performance.now();
    if (this.lastPace === 0) this.lastPace = now - TICK_MS;
    // A late timer catches up (the UART kept sending), but never beyond CATCH_UP_MS of line time.
    this.credit = Math.min(this.credit + (now - this.lastPace) * this.bytesPerMs, Math.max(1, CATCH_UP_MS * this.bytesPerMs));
    this.lastPace = now;
    return Math.floor(this.credit);
  }

  private pump(): void {
    if (this.writing || this.closed || this.paceTimer) return;
    const head = this.queue[0];
    if (!head) return;
    const allowed = this.allowance();
    if (allowed < 1) {
      this.paceTimer = setTimeout(() => {
        this.paceTimer = undefined;
        this.pump();
      }, TICK_MS);
      return;
    }
    const chunk = head.length <= allowed ? head : head.subarray(0, allowed);
    this.writing = true;
    fs.write(this.writeFd, chunk, 0, chunk.length, null, (err, written) => {
      this.writing = false;
      if (err) {
        if (err.code !== 'EAGAIN') return this.close();
        this.paceTimer = setTimeout(() => {
          this.paceTimer = undefined;
          this.pump();
        }, 2); // the pty buffer is full: let the reader drain it
        return;
      }
      if (this.bytesPerMs !== undefined) this.credit -= written;
      if (written < head.length) this.queue[0] = head.subarray(written);
      else this.queue.shift();
      this.queuedBytes -= written;
      this.drainedSinceSignal += written;
      if (this.writableHandler && (this.drainedSinceSignal >= SIGNAL_STEP || this.queuedBytes === 0)) {
        this.drainedSinceSignal = 0;
        this.writableHandler();
      }
      this.pump();
    });
  }
}
