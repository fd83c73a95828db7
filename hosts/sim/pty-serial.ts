/**
 * The modem UART on a desktop: a pseudo-terminal (from the modem emulator or socat)
 * opened in raw mode, offered to the agent as the platform's Serial.
 */
import fs from 'node:fs';
import tty from 'node:tty';
import type { Serial } from '../../src/platform.ts';

export class PtySerial implements Serial {
  private readonly fd: number;
  private readonly stream: tty.ReadStream;
  private handler: (bytes: Uint8Array) => void = () => {};
  private closed = false;
  /** Optional tap on both directions (pcap, traces). */
  tap?: (direction: 'tx' | 'rx', bytes: Uint8Array) => void;

  constructor(readonly path: string) {
    this.fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
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
    let offset = 0;
    while (offset < bytes.length) {
      try {
        offset += fs.writeSync(this.fd, bytes, offset, bytes.length - offset);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        this.close();
        return;
      }
    }
  }

  onReceive(handler: (bytes: Uint8Array) => void): void {
    this.handler = handler;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.destroy();
  }
}
