/** The Modem driver against the in-process ModemModel (sans-IO: bytes fed, `now` advanced). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Modem } from '../../src/modem/modem.ts';
import type { ModemEvent } from '../../src/modem/modem-events.ts';
import { modemSection, type ModemManifest } from '../../src/modem/config.ts';
import type { ModemTuning } from '../../src/modem/modem-config.ts';

type ModemConfig = ModemManifest & Partial<ModemTuning>;
import { ModemModel, type ModemModelOptions } from '../lab/modem-emulator.ts';
import { Logger } from '../../src/util/log.ts';
import { latin1, utf8 } from '../../src/util/bytes.ts';

const BASE: ModemConfig = { ...(modemSection.defaults as ModemManifest), apn: 'internet', simPin: '', registrationTimeout: 30, dialString: '*99#' };

/**
 * `redialMs`: the agent's part (src/agent/cellular-link.ts owns when to try again): after a failed
 * dial or a lost call, dial() again after this long; undefined: leave the modem offline.
 */
function rig(modelOptions: ModemModelOptions = {}, config: Partial<ModemConfig> = {}, opts: { dtr?: boolean; chunk?: number; redialMs?: number } = {}) {
  let now = 0;
  const events: { at: number; ev: ModemEvent }[] = [];
  const logLines: string[] = [];
  const writes: { at: number; text: string }[] = [];
  const toModem: Uint8Array[] = [];
  const toAgent: Uint8Array[] = [];
  const peer: number[] = [];
  const data: number[] = [];
  const dtr: boolean[] = [];
  const model = new ModemModel(modelOptions, {
    toAgent: (b) => toAgent.push(b),
    toPeer: (b) => peer.push(...b),
    onCall: () => {},
  });
  const log = new Logger((level, component, message) => logLines.push(`${level} ${component} ${message}`), 'modem', 'debug');
  let redialAt: number | undefined;
  const makeModem = () =>
    new Modem(modemSection.parse({ ...BASE, ...config }), { log }, {
      writeSerial: (b) => {
        writes.push({ at: now, text: latin1(b) });
        toModem.push(b);
      },
      onEvent: (ev) => {
        events.push({ at: now, ev });
        if ((ev.type === 'dial-failed' || ev.type === 'lost') && opts.redialMs !== undefined) redialAt = now + opts.redialMs;
      },
      onData: (b) => data.push(...b),
      ...(opts.dtr ? { setDtr: (on: boolean) => (dtr.push(on), model.setDtr(on)) } : {}),
    }, config);
  const r = {
    model, events, logLines, writes, peer, data, dtr,
    modem: makeModem(),
    get now() {
      return now;
    },
    /** Delivers queued bytes both ways (in small chunks) until quiet. */
    settle() {
      for (let guard = 0; guard < 10_000 && (toModem.length || toAgent.length); guard++) {
        const a = toModem.splice(0);
        for (const b of a) model.fromAgent(b, now);
        const b = toAgent.splice(0);
        const all = b.length ? Uint8Array.from(b.flatMap((x) => [...x])) : new Uint8Array(0);
        const size = opts.chunk ?? 7;
        for (let i = 0; i < all.length; i += size) r.modem.input(all.subarray(i, i + size), now);
      }
    },
    /** Runs timers of both sides until `now + ms`. */
    advance(ms: number) {
      const until = now + ms;
      r.settle();
      for (;;) {
        const next = [r.modem.deadline(), model.deadline(), redialAt].filter((x): x is number => x !== undefined).reduce((a, b) => Math.min(a, b), Infinity);
        if (next > until) break;
        now = Math.max(now, next);
        model.onTimer(now);
        r.modem.onTimer(now);
        if (redialAt !== undefined && now >= redialAt) {
          redialAt = undefined;
          r.modem.dial(now);
        }
        r.settle();
      }
      now = until;
    },
    restartAgent() {
      r.modem = makeModem();
    },
    types: () => events.map((e) => e.ev.type),
    commands: () => writes.map((w) => w.text),
    last: () => events[events.length - 1]?.ev,
  };
  model.powerOn(0);
  r.modem.start(0);
  return r;
}

test('full bring-up without PIN: probe, setup, registration, signal, dial, data both ways', () => {
  const r = rig();
  r.advance(5000);
  assert.deepEqual(r.types(), ['registering', 'registered', 'dialing', 'online']);
  assert.deepEqual(r.events[1]!.ev, { type: 'registered', roaming: false, rssiDbm: -73 });
  assert.deepEqual(r.events[3]!.ev, { type: 'online', rate: '150000000' });
  // The first AT may meet the booting modem; its RDY restarts the probe.
  const cmds = r.commands().slice(r.commands().lastIndexOf('AT\r'));
  assert.deepEqual(cmds.slice(0, 7), ['AT\r', 'ATE0\r', 'AT+CMEE=1\r', 'AT+CPIN?\r', 'AT+CGDCONT=1,"IP","internet"\r', 'AT+CREG=2\r', 'AT+CEREG=2\r']);
  assert.deepEqual(cmds.slice(-2), ['AT+CSQ\r', 'ATD*99#\r']);
  assert.equal(r.modem.state, 'online');
  r.model.fromPeer(Uint8Array.of(0x7e, 0xff, 0x03, 0xc0, 0x21, 0x7e));
  r.modem.writeData(Uint8Array.of(0x7e, 0x01, 0x7e), r.now);
  r.settle();
  assert.deepEqual(r.data, [0x7e, 0xff, 0x03, 0xc0, 0x21, 0x7e]);
  assert.deepEqual(r.peer, [0x7e, 0x01, 0x7e]);
});

test('registration is polled until home or roaming; URCs also count', () => {
  const r = rig({ registrationDelayMs: 7000, registration: 'roaming', csq: [99, 99] });
  r.advance(6000);
  assert.deepEqual(r.types(), ['registering']);
  r.advance(3000);
  assert.deepEqual(r.events[1]!.ev, { type: 'registered', roaming: true, rssiDbm: undefined });
  assert.ok(r.events[1]!.at >= 7000 && r.events[1]!.at < 7100, 'the +CEREG URC ends the wait before the next poll');
});

test('SIM PIN: entered from config, never logged', () => {
  const r = rig({ pin: '4711' }, { simPin: '4711' });
  r.advance(5000);
  assert.equal(r.last()?.type, 'online');
  assert.ok(r.commands().includes('AT+CPIN="4711"\r'));
  assert.equal(r.commands().filter((c) => c.startsWith('AT+CPIN=')).length, 1);
  assert.ok(r.logLines.length > 10);
  assert.ok(!r.logLines.some((l) => l.includes('4711')), 'PIN must not reach the log');
});

test('SIM PIN required but none configured: error event, no PIN attempt', () => {
  const r = rig({ pin: '4711' });
  r.advance(5000);
  assert.deepEqual(r.last(), { type: 'error', cause: 'SIM PIN required but config.simPin is empty' });
  assert.ok(!r.commands().some((c) => c.startsWith('AT+CPIN=')));
  assert.equal(r.modem.state, 'failed');
  assert.equal(r.modem.deadline(), undefined);
});

test('wrong SIM PIN: one attempt only, readable cause', () => {
  const r = rig({ pin: '4711' }, { simPin: '1234' });
  r.advance(60_000);
  assert.deepEqual(r.last(), { type: 'error', cause: 'SIM PIN rejected: +CME ERROR: 16 (incorrect password)' });
  assert.equal(r.commands().filter((c) => c.startsWith('AT+CPIN=')).length, 1);
  assert.ok(!r.logLines.some((l) => l.includes('1234')));
});

test('registration denied is an error', () => {
  const r = rig({ registration: 'denied', registrationDelayMs: 1000 });
  r.advance(10_000);
  assert.deepEqual(r.last(), { type: 'error', cause: 'network registration denied (+CEREG: 3)' });
});

test('registration timeout after config.registrationTimeout', () => {
  const r = rig({ registration: 'never' }, { registrationTimeout: 20 });
  r.advance(60_000);
  const err = r.events.find((e) => e.ev.type === 'error')!;
  assert.match((err.ev as { cause: string }).cause, /^not registered within 20 s \(last stat: CEREG 2, CREG 2\)$/);
  const started = r.events.find((e) => e.ev.type === 'registering')!.at;
  assert.ok(err.at - started >= 20_000 && err.at - started <= 21_000, `gave up after ${err.at - started} ms`);
});

test('+CME ERROR on AT+CGDCONT is an error with the code explained', () => {
  const r = rig({ cmeErrors: { 'AT+CGDCONT': 3 } });
  r.advance(5000);
  assert.deepEqual(r.last(), { type: 'error', cause: 'AT+CGDCONT failed: +CME ERROR: 3 (operation not allowed)' });
});

test('URCs in the middle of commands do not disturb the sequence', () => {
  const r = rig({ urcsDuring: { 'AT+CSQ': ['+CEREG: 1,"1A2B","01A2B3C4",7', 'RING'], 'AT+CPIN?': ['+QIND: SMS DONE'] } });
  r.advance(5000);
  assert.equal(r.last()?.type, 'online');
});

test('booting modem: probes repeat until it answers', () => {
  const r = rig({ bootDelayMs: 4500 });
  r.advance(10_000);
  assert.equal(r.last()?.type, 'online');
  const probes = r.commands().filter((c) => c === 'AT\r').length;
  assert.ok(probes >= 2, `${probes} probes`);
});

test('modem that never answers: bounded probing, then error', () => {
  const r = rig({ silentCommands: ['AT'], bootBanner: false }, { probeAttempts: 5 });
  r.advance(120_000);
  assert.deepEqual(r.last(), { type: 'error', cause: 'modem does not answer AT (5 probes)', silent: true });
  assert.equal(r.modem.deadline(), undefined);
});

// --- dialing, backoff, hang-up, loss ---------------------------------------------------

test('a failed dial is reported and the modem waits in command mode: when to dial again is the agent\'s call', () => {
  const r = rig({ dialResults: Array(10).fill('NO CARRIER') });
  r.advance(120_000);
  assert.deepEqual(r.types().slice(-2), ['dialing', 'dial-failed']);
  assert.deepEqual(r.last(), { type: 'dial-failed', reason: 'NO CARRIER' });
  assert.equal(r.modem.state, 'offline');
  assert.equal(r.types().filter((t) => t === 'dialing').length, 1, 'no redial of its own');
  r.modem.dial(r.now);
  r.advance(5000);
  const dials = r.events.filter((e) => e.ev.type === 'dialing');
  assert.deepEqual(dials.map((e) => (e.ev as { attempt: number }).attempt), [1, 2], 'attempts counted until a CONNECT');
});

test('BUSY, ERROR and a silent ATD are retried, then CONNECT', () => {
  const r = rig({ dialResults: ['BUSY', 'ERROR', 'silent'] }, { dialTimeoutMs: 10_000 }, { redialMs: 2000 });
  r.advance(60_000);
  assert.equal(r.last()?.type, 'online');
  assert.equal(r.events.filter((e) => e.ev.type === 'dialing').length, 4);
  assert.ok(r.logLines.some((l) => l.includes('dial failed: +CME ERROR: 30 (no network service)')));
  assert.ok(r.logLines.some((l) => l.includes('dial failed: no CONNECT within 10 s')));
});

test('hang-up: guard time, "+++", guard, OK, ATH, offline', () => {
  const r = rig();
  r.advance(5000);
  r.modem.writeData(Uint8Array.of(0x7e, 0xc0, 0x21, 0x05, 0x7e), r.now); // LCP Terminate-Request
  r.advance(300);
  const hangUpAt = r.now;
  r.modem.hangUp(r.now);
  r.modem.writeData(Uint8Array.of(0x7e), r.now);
  assert.equal(r.modem.drops.count('data write while not online'), 1);
  r.advance(10_000);
  const plus = r.writes.find((w) => w.text === '+++')!;
  const ath = r.writes.find((w) => w.text === 'ATH\r')!;
  // Counted from hangUp(), not from the last writeData(): the agent may also write to the serial directly.
  assert.equal(plus.at, hangUpAt + 1100, '"+++" waits the guard time');
  assert.equal(ath.at, plus.at + 1000, 'ATH only after the modem confirmed the escape (its own guard time)');
  assert.equal(r.last()?.type, 'offline');
  assert.equal(r.modem.state, 'offline');
  assert.equal(r.model.state, 'command');
  // Still registered and set up: dial() goes straight to registration and CONNECT.
  r.modem.dial(r.now);
  r.advance(5000);
  assert.deepEqual(r.types().slice(-4), ['registering', 'registered', 'dialing', 'online']);
});

test('hang-up with a DTR line: DTR drop, ATH, offline; AT&D2 was set up', () => {
  const r = rig({}, {}, { dtr: true });
  r.advance(5000);
  assert.ok(r.commands().includes('AT&D2\r'));
  r.modem.hangUp(r.now);
  r.advance(5000);
  assert.deepEqual(r.dtr, [false, true]);
  assert.ok(!r.commands().includes('+++'));
  assert.equal(r.last()?.type, 'offline');
});

test('carrier loss in data mode: lost event, then redial', () => {
  const r = rig({}, {}, { redialMs: 2000 });
  r.advance(5000);
  r.model.fromPeer(Uint8Array.of(0x7e, 0x21, 0x45, 0x7e));
  r.model.dropCarrier();
  r.advance(10_000);
  const types = r.types();
  assert.deepEqual(types.slice(4), ['lost', 'registering', 'registered', 'dialing', 'online']);
  assert.deepEqual(r.events[4]!.ev, { type: 'lost', reason: 'NO CARRIER' });
});

test('RDY reboot in data mode: lost, full setup again (PIN too), online', () => {
  const r = rig({ pin: '0000' }, { simPin: '0000' });
  r.advance(5000);
  assert.equal(r.last()?.type, 'online');
  r.model.fromPeer(Uint8Array.of(0x7e, 0x21, 0x45, 0x7e));
  r.model.reboot(r.now);
  r.advance(10_000);
  assert.deepEqual(r.events[4]!.ev, { type: 'lost', reason: 'modem rebooted (RDY)' });
  assert.equal(r.last()?.type, 'online');
  assert.equal(r.commands().filter((c) => c.startsWith('AT+CPIN=')).length, 2);
});

test('RDY reboot mid-dial restarts from the probe', () => {
  const r = rig({ dialResults: ['silent'] });
  r.advance(3000);
  assert.equal(r.modem.state, 'dialing');
  r.model.reboot(r.now);
  r.advance(10_000);
  assert.deepEqual(r.types(), ['registering', 'registered', 'dialing', 'lost', 'registering', 'registered', 'dialing', 'online']);
});

test('agent restart while the modem is still in data mode: escape with "+++", ATH, then online', () => {
  const r = rig();
  r.advance(5000);
  assert.equal(r.model.state, 'data');
  r.restartAgent();
  r.modem.start(r.now);
  r.advance(30_000);
  assert.equal(r.last()?.type, 'online');
  assert.ok(r.commands().includes('+++'));
});

test('hangUp while registering just stops; dial() resumes', () => {
  const r = rig({ registrationDelayMs: 20_000 });
  r.advance(3000);
  r.modem.hangUp(r.now);
  assert.equal(r.last()?.type, 'offline');
  r.advance(30_000);
  assert.equal(r.last()?.type, 'offline');
  r.modem.dial(r.now);
  r.advance(5000);
  assert.equal(r.last()?.type, 'online');
});

test('random serial bytes in every phase never throw', () => {
  let seed = 99;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const lines = ['OK', 'ERROR', 'RDY', 'NO CARRIER', 'CONNECT', '+CEREG: 3', '+CEREG: 1', '+CPIN: SIM PIN', '+CME ERROR: 16', '+CSQ: 99,99', '\x00\xff'];
  for (let round = 0; round < 40; round++) {
    const r = rig({ pin: round % 2 ? '1111' : '' }, { simPin: '1111' });
    for (let k = 0; k < 60; k++) {
      const noise = rnd() < 0.5
        ? Uint8Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256))
        : utf8(`\r\n${lines[Math.floor(rnd() * lines.length)]}\r\n`);
      r.modem.input(noise, r.now);
      if (rnd() < 0.05) r.modem.hangUp(r.now);
      if (rnd() < 0.05) r.modem.dial(r.now);
      r.advance(Math.floor(rnd() * 3000));
    }
  }
});
