/**
 * A test app on the device: drives the ECMA-419 classes like firmware would and reports what
 * happened as 'app' events. The same module runs in the Node agent and, bundled with the agent,
 * inside XS (test/e2e/net-device.ts), so the end-to-end cases are identical for both.
 *
 * Commands (each with an `id` that its events carry):
 *   echo     {address, port, bytes}  send the pattern, read it back, check every byte
 *   upload   {address, port, bytes}  send the pattern to the sink, end(), read its record
 *   download {address, port, bytes}  ask the source for bytes, check every byte until it closes
 *   connect  {address, port}         open and report 'open' or the error code
 *   listen   {port}                  echo server on a Listener: every connection's bytes go back
 *   stats                            the network's counters
 *   mqtt-*, firmware*                the app clients (client-app.ts)
 * Device code: no Node API (it is bundled for XS).
 */
import type { NetCounters } from '../../src/net/network.ts';
import type { NetworkSockets } from '../../src/net/sockets/index.ts';
import type { TcpSocket } from '../../src/net/sockets/tcp.ts';
import type { NetError } from '../../src/net/errors.ts';
import type { ClientIo } from '../../src/io/ecma419.ts';
import { ClientApp, isClientCommand, type ClientCommand, type ClientEvent } from './client-app.ts';

export type AppCommand =
  | { op: 'echo' | 'upload' | 'download'; id: string; address: string; port: number; bytes: number }
  | { op: 'connect'; id: string; address: string; port: number }
  | { op: 'listen'; id: string; port: number }
  | { op: 'stats'; id: string }
  | ClientCommand;

export interface AppEvent {
  type: 'app';
  id: string;
  event: 'open' | 'done' | 'error' | 'accepted' | 'stats';
  ok?: boolean;
  sent?: number;
  received?: number;
  /** First offset where the received bytes differed from the pattern (-1: none). */
  mismatchAt?: number;
  ms?: number;
  code?: string;
  message?: string;
  record?: string;
  counters?: NetCounters;
  peakConnectionBuffers?: { send: number; receive: number };
}

/** Byte i of every test stream: the same function as services/tcp-services.mjs. */
export const patternByte = (i: number): number => (i * 7 + (i >> 8)) & 0xff;

export function fillPattern(offset: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = patternByte(offset + i);
  return b;
}

const WRITE_CHUNK = 4096;

export class NetApp {
  private readonly clients: ClientApp;

  constructor(
    private readonly sockets: NetworkSockets,
    clients: ClientIo,
    private readonly report: (event: AppEvent | ClientEvent) => void,
    private readonly counters: () => NetCounters,
  ) {
    this.clients = new ClientApp(clients, report);
  }

  command(c: AppCommand): void {
    if (isClientCommand(c)) return this.clients.command(c);
    try {
      if (c.op === 'stats') return this.report({ type: 'app', id: c.id, event: 'stats', counters: this.counters() });
      if (c.op === 'listen') return this.listen(c.id, c.port);
      if (c.op === 'connect') return this.connect(c.id, c.address, c.port);
      this.stream(c.op, c.id, c.address, c.port, c.bytes);
    } catch (e) {
      this.report({ type: 'app', id: c.id, event: 'error', code: (e as NetError).code ?? 'throw', message: String((e as Error).message ?? e) });
    }
  }

  private connect(id: string, address: string, port: number): void {
    const report = this.report;
    new this.sockets.TCP({
      address,
      port,
      onWritable() {
        report({ type: 'app', id, event: 'open' });
        this.close();
      },
      onError: (e) => report({ type: 'app', id, event: 'error', code: e.code, message: e.message }),
    });
  }

  /** echo / upload / download: one connection, the pattern both ways as the service needs it. */
  private stream(op: 'echo' | 'upload' | 'download', id: string, address: string, port: number, bytes: number): void {
    const app = this;
    let sent = 0;
    let received = 0;
    let mismatchAt = -1;
    let record = '';
    let started = -1;
    let finished = false;
    const toSend = op === 'download' ? 0 : bytes;
    const expect = op === 'upload' ? 0 : bytes;
    const finish = (socket: TcpSocket, now: number, error?: NetError) => {
      if (finished) return;
      finished = true;
      socket.close();
      const ok = !error && sent === toSend && received === expect && mismatchAt < 0;
      app.report({
        type: 'app', id, event: error ? 'error' : 'done', ok, sent, received, mismatchAt, ms: now - started, record: record.trim() || undefined,
        ...(error ? { code: error.code, message: error.message } : {}),
      });
    };
    const pump = (socket: TcpSocket, room: number) => {
      while (sent < toSend && room > 0) {
        const n = Math.min(room, WRITE_CHUNK, toSend - sent);
        room = socket.write(fillPattern(sent, n));
        sent += n;
      }
      if (sent === toSend && op === 'upload') socket.end();
    };
    new this.sockets.TCP({
      address,
      port,
      onWritable(count, now) {
        if (started < 0) {
          started = now;
          app.report({ type: 'app', id, event: 'open' });
          if (op === 'download') this.write(asciiBytes(`${bytes}\n`));
        }
        pump(this, op === 'download' ? 0 : count);
      },
      onReadable(count, now) {
        const data = new Uint8Array(this.read(count) as ArrayBuffer);
        if (op === 'upload') {
          for (const b of data) record += String.fromCharCode(b);
        } else {
          for (let i = 0; i < data.length && mismatchAt < 0; i++) if (data[i] !== patternByte(received + i)) mismatchAt = received + i;
          received += data.length;
        }
        if (op === 'echo' && received >= expect && sent === toSend) finish(this, now);
      },
      onError(error, now) {
        // The service closing after everything arrived is the normal end of upload and download.
        finish(this, now, error.code === 'closed' && op !== 'echo' ? undefined : error);
      },
    });
  }

  /** An echo server on the device: what a peer sends comes back; its FIN ends our side too. */
  private listen(id: string, port: number): void {
    const app = this;
    const sockets = this.sockets;
    new sockets.Listener({
      port,
      onReadable(count) {
        for (let i = 0; i < count; i++) {
          const from = this.read();
          if (!from) return;
          let backlog: Uint8Array[] = [];
          let echoed = 0;
          let peerDone = false;
          const flush = (socket: TcpSocket, room: number) => {
            while (backlog.length && room > 0) {
              const head = backlog[0]!;
              const n = Math.min(room, head.length);
              room = socket.write(head.subarray(0, n));
              echoed += n;
              if (n === head.length) backlog.shift();
              else backlog[0] = head.subarray(n);
            }
            if (peerDone && backlog.length === 0) {
              socket.end();
              app.report({ type: 'app', id, event: 'done', ok: true, sent: echoed, received: echoed });
            }
          };
          const socket = new sockets.TCP({
            from,
            onReadable(n) {
              backlog.push(new Uint8Array(this.read(n) as ArrayBuffer));
              flush(this, writableOf(this));
            },
            onWritable(room) {
              flush(this, room);
            },
            onError(error) {
              if (error.code !== 'closed') {
                backlog = [];
                return app.report({ type: 'app', id, event: 'error', code: error.code, message: error.message });
              }
              peerDone = true;
              flush(this, writableOf(this));
            },
          });
          app.report({ type: 'app', id, event: 'accepted', message: `${socket.remoteAddress}:${socket.remotePort}` });
        }
      },
    });
    this.report({ type: 'app', id, event: 'open' });
  }
}

/** What write() takes now: a zero-length write answers it without sending anything. */
function writableOf(socket: TcpSocket): number {
  return socket.write(new Uint8Array(0));
}

function asciiBytes(text: string): Uint8Array {
  const b = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i);
  return b;
}
