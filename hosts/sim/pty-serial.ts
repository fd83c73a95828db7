/**
 * The modem UART on a desktop: a pseudo-terminal (from the modem emulator or socat)
 * opened in raw mode, offered to the agent as the platform's Serial.
 */
import fs from 'node:fs';
import tty from 'node:tty';
import type { Serial } from '../../src/platform.ts';

export class PtySerial implements Serial {
  private readonly fd: number;
  /** Writes go through their own fd, asynchronously and in order: the read side is non-blocking
   *  (libuv), and a blocking or synchronous write there loses bytes or stalls the event loop. */
  private readonly writeFd: number;
  private readonly queue: Uint8Array[] = [];
  private writing = false;
  private readonly stream: tty.ReadStream;
  private handler: (bytes: Uint8Array) => void = () => {};
  private closed = false;
  /** Optional tap on both directions (pcap, traces). */
  tap?: (direction: 'tx' | 'rx', bytes: Uint8Array) => void;

  constructor(readonly path: string) {
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
    if (this.closed) return;
    this.tap?.('tx', bytes);
    this.queue.push(bytes.slice());
    this.pump();
  }

  private pump(): void {
    if (this.writing || this.closed) return;
    const next = this.queue[0];
    if (!next) return;
    this.writing = true;
    fs.write(this.writeFd, next, 0, next.length, null, (err, written) => {
      this.writing = false;
      if (err) {
        if (err.code !== 'EAGAIN') return this.close();
        setTimeout(() => this.pump(), 2); // the pty buffer is full: let the reader drain it
        return;
      } else if (written < next.length) {
        this.queue[0] = next.subarray(written);
      } else {
        this.queue.shift();
      }
      this.pump();
    });
  }

  /** Bytes accepted by write() but not yet handed to the pty. */
  get pending(): number {
    let n = 0;
    for (const q of this.queue) n += q.length;
    return n;
  }

  onReceive(handler: (bytes: Uint8Array) => void): void {
    this.handler = handler;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.destroy();
    try {
      fs.closeSync(this.writeFd);
    } catch {
      /* already closed */
    }
  }
}
