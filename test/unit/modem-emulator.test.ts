/**
 * The Modem driver through the real ModemEmulator on a pty (socat). No network: the data
 * mode bridge is `cat`, which echoes PPP bytes back.
 * Opening the pty from Node: read through tty.ReadStream on an O_RDWR|O_NOCTTY fd in raw
 * mode; write through a second, blocking O_WRONLY fd with async fs.write (runs in the
 * thread pool). tty.WriteStream and fs.writeSync block the event loop or write short.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tty from 'node:tty';
import { ModemEmulator, type ModemEmulatorOptions } from '../lab/modem-emulator.ts';
import { Modem } from '../../src/modem/modem.ts';
import type { ModemEvent } from '../../src/modem/modem-events.ts';
import { modemSection, type ModemManifest } from '../../src/modem/config.ts';
import { silentLogger } from '../../src/util/log.ts';

let links = 0;
const linkPath = () => path.join(os.tmpdir(), `ikelet-modem-${process.pid}-${++links}`);

class PtyPort {
  private readonly reader: tty.ReadStream;
  private readonly writeFd: number;
  private writing: Promise<void> = Promise.resolve();

  constructor(file: string) {
    const readFd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
    this.reader = new tty.ReadStream(readFd);
    this.reader.setRawMode(true);
    this.writeFd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NOCTTY);
  }

  onData(handler: (b: Uint8Array) => void): void {
    this.reader.on('data', (d: Buffer) => handler(new Uint8Array(d)));
  }

  write(bytes: Uint8Array): void {
    const copy = Buffer.from(bytes);
    this.writing = this.writing.then(() => new Promise<void>((resolve) => fs.write(this.writeFd, copy, () => resolve())));
  }

  async close(): Promise<void> {
    await this.writing;
    this.reader.destroy();
    fs.closeSync(this.writeFd);
  }
}

const now = () => performance.now();

/** A minimal host: serial from the pty, timers from deadline(), events into a list. */
function host(port: PtyPort, config: Partial<ModemManifest>) {
  const events: ModemEvent[] = [];
  const data: number[] = [];
  const waiters: { type: string; resolve: (e: ModemEvent) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const modem = new Modem(
    modemSection.parse({ ...(modemSection.defaults as ModemManifest), apn: 'internet', simPin: '', registrationTimeout: 10, dialString: '*99#', ...config } as ModemManifest),
    { log: silentLogger() },
    {
      writeSerial: (b) => port.write(b),
      onEvent: (ev) => {
        events.push(ev);
        for (const w of waiters.filter((x) => x.type === ev.type || ev.type === 'error')) w.resolve(ev);
      },
      onData: (b) => data.push(...b),
    },
  );
  const rearm = () => {
    clearTimeout(timer);
    const d = modem.deadline();
    if (d !== undefined) timer = setTimeout(() => (modem.onTimer(now()), rearm()), Math.max(0, d - now()));
  };
  port.onData((b) => (modem.input(b, now()), rearm()));
  return {
    modem, events, data, rearm,
    until: (type: ModemEvent['type'], ms = 10_000) =>
      new Promise<ModemEvent>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no '${type}' within ${ms} ms; events: ${JSON.stringify(events)}`)), ms);
        waiters.push({ type, resolve: (e) => (clearTimeout(t), resolve(e)) });
      }),
    stop: () => clearTimeout(timer),
  };
}

async function withEmulator(options: Omit<ModemEmulatorOptions, 'link'>, body: (emu: ModemEmulator, port: PtyPort) => Promise<void>): Promise<void> {
  const emu = await ModemEmulator.start({ link: linkPath(), ...options });
  const port = new PtyPort(emu.link);
  try {
    await body(emu, port);
  } finally {
    await port.close();
    await emu.stop();
  }
  assert.equal(fs.existsSync(emu.link), false, 'stop() removes the link');
}

test('driver goes online through the pty with a SIM PIN; all 256 byte values round-trip; hang-up', { timeout: 30_000 }, async () => {
  await withEmulator({ pin: '2468', registrationDelayMs: 300, bridge: ['cat'] }, async (emu, port) => {
    const h = host(port, { simPin: '2468' });
    h.modem.start(now());
    h.rearm();
    await h.until('online');
    assert.deepEqual(h.events.map((e) => e.type), ['registering', 'registered', 'dialing', 'online']);
    assert.ok(emu.model.commands.includes('AT+CPIN=<hidden>'));
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    h.modem.writeData(all, now());
    const deadline = Date.now() + 5000;
    while (h.data.length < 256 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(h.data, [...all]);
    h.modem.hangUp(now());
    h.rearm();
    await h.until('offline');
    assert.equal(emu.state, 'command');
    assert.equal(emu.stats().calls, 1);
    h.stop();
  });
});

test('wrong SIM PIN through the emulator: error with the CME cause', { timeout: 20_000 }, async () => {
  await withEmulator({ pin: '2468' }, async (_emu, port) => {
    const h = host(port, { simPin: '1111' });
    h.modem.start(now());
    h.rearm();
    const ev = await h.until('error');
    assert.deepEqual(ev, { type: 'error', cause: 'SIM PIN rejected: +CME ERROR: 16 (incorrect password)' });
    h.stop();
  });
});

test('9600 baud: bytes arrive at about one per millisecond, and the driver still gets online', { timeout: 30_000 }, async () => {
  await withEmulator({ baud: 9600, bootBanner: false, registrationDelayMs: 100, bridge: ['cat'] }, async (emu, port) => {
    const arrivals: number[] = [];
    port.onData((b) => arrivals.push(...Array.from(b, () => now())));
    await new Promise((r) => setTimeout(r, 100));
    const line = 'X'.repeat(150);
    for (let i = 0; i < 4; i++) emu.injectUrc(line); // 4 × 154 bytes
    const expected = (4 * 154 * 10 * 1000) / 9600; // ≈ 642 ms
    const until = Date.now() + 5000;
    while (arrivals.length < 4 * 154 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    assert.equal(arrivals.length, 4 * 154);
    const took = arrivals[arrivals.length - 1]! - arrivals[0]!;
    assert.ok(took > expected * 0.85 && took < expected * 1.4, `took ${took.toFixed(0)} ms, expected about ${expected.toFixed(0)} ms`);

    const h = host(port, {});
    h.modem.start(now());
    h.rearm();
    await h.until('online', 20_000);
    h.stop();
  });
});

test('the uplink is a paced UART too: the sim serial at the baud rate never overruns the modem; an unpaced burst does, counted', { timeout: 30_000 }, async () => {
  const { PtySerial } = await import('../../hosts/sim/pty-serial.ts');
  await withEmulator({ baud: 38400, uplinkBuffer: 256, bootBanner: false, echo: false }, async (emu) => {
    const serial = new PtySerial(emu.link, { baud: 38400 });
    let signals = 0;
    serial.onWritable(() => void signals++);
    const started = now();
    serial.write(new Uint8Array(4000).fill(0x41));
    assert.ok(serial.queued() > 3000, 'the host queues what the line has not sent yet');
    const until = Date.now() + 10_000;
    while ((serial.queued() > 0 || emu.stats().bytesFromAgent < 4000) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    const took = now() - started;
    assert.equal(emu.stats().bytesFromAgent, 4000);
    assert.equal(emu.stats().uplinkOverrun, 0, 'paced: never more than the modem takes');
    assert.ok(took > (4000 / 3840) * 1000 * 0.8, `took ${took.toFixed(0)} ms for ~1042 ms of line time`);
    assert.ok(signals >= 7, `onWritable as the queue drained (${signals})`);
    serial.close();

    const port = new PtyPort(emu.link);
    port.write(new Uint8Array(4000).fill(0x42));
    await port.close();
    const until2 = Date.now() + 5000;
    while (emu.stats().bytesFromAgent < 8000 && Date.now() < until2) await new Promise((r) => setTimeout(r, 10));
    assert.ok(emu.stats().uplinkOverrun > 3000, `an unpaced writer overran the 256-byte buffer: ${emu.stats().uplinkOverrun}`);
  });
});
