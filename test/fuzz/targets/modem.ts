/**
 * The modem side: AT line splitting and result parsing on modem chatter (finals, +CME/+CMS errors,
 * registration and signal lines, URCs, echo, binary noise, overlong lines), and the Modem driver
 * (with its AtEngine) answered by a scripted module that is right most of the time and wrong in
 * every way otherwise, in every phase from probing to data mode and hang-up. The driver must never
 * throw nor spin, keep bounded state, and get online again once the module behaves.
 */
import { LineSplitter } from '../../../src/modem/at-lines.ts';
import { describeFinal, parseFinal } from '../../../src/modem/at-results.ts';
import { cmeCodeFromText } from '../../../src/modem/cme-errors.ts';
import { modemSection, type ModemManifest } from '../../../src/modem/config.ts';
import { Modem, type ModemPhase } from '../../../src/modem/modem.ts';
import { parseCsq, parseRegistration } from '../../../src/modem/registration.ts';
import { concatBytes, latin1 } from '../../../src/util/bytes.ts';
import { DropCounter, silentLogger } from '../../../src/util/log.ts';
import { ascii, hex, mutate, noise, pieces } from '../mutate.ts';
import type { Rand } from '../rand.ts';
import { fuzzTarget, violated } from '../target.ts';
import { runDue } from './harness.ts';

const URCS = [
  'RDY', '+CFUN: 1', '+CPIN: READY', 'SMS DONE', 'RING', 'NO CARRIER', '+CEREG: 1', '+CEREG: 5,"1A2B","01A2B3C4",7', '+CEREG: 2',
  '+CREG: 0', '+CGEV: ME PDN DEACT 1', '+QIND: "csq",18,99', 'CONNECT', 'OK', 'ERROR', '+CME ERROR: 10', 'POWERED DOWN',
];

/** A line a module might send, right or wrong. */
function line(rand: Rand): string {
  return rand.pick<() => string>([
    () => rand.pick(['OK', 'ERROR', 'NO CARRIER', 'BUSY', 'NO DIALTONE', 'NO DIAL TONE', 'NO ANSWER', 'ok', 'CONNECT', `CONNECT ${rand.u32()}`]),
    () => `+CME ERROR: ${rand.pick([String(rand.int(1000)), 'SIM not inserted', 'incorrect password', 'SIM busy', '', '99999999999999999999', 'x'.repeat(rand.int(80))])}`,
    () => `+CMS ERROR: ${rand.int(600)}`,
    () => `+${rand.pick(['CREG', 'CGREG', 'CEREG', 'C5GREG'])}: ${Array.from({ length: rand.int(6) }, () => rand.pick([String(rand.int(12)), `"${hex(rand.bytes(2))}"`, '', '""', '-1', '1e9'])).join(',')}`,
    () => `+CSQ: ${rand.pick([String(rand.int(100)), '', '31', '99', '-5'])},${rand.pick(['99', '0', '', 'x'])}`,
    () => `+CPIN: ${rand.pick(['READY', 'SIM PIN', 'SIM PUK', 'PH-NET PIN', '', 'SIM PIN2'])}`,
    () => rand.pick(URCS),
    () => `AT${rand.pick(['', '+CSQ', '+CEREG?', 'D*99#', 'E0'])}`,
    () => latin1(rand.bytes(rand.int(40))),
    () => 'A'.repeat(rand.pick([100, 511, 512, 513, 700])),
  ])();
}

function chatter(rand: Rand): Uint8Array {
  const eol = (): string => rand.pick(['\r\n', '\r', '\n', '\r\r\n', '\n\r']);
  let text = '';
  for (let i = 1 + rand.int(6); i > 0; i--) text += `${rand.chance(0.7) ? eol() : ''}${line(rand)}${eol()}`;
  const b = ascii(text);
  return rand.chance(0.2) ? mutate(rand, b, { maxEdits: 3 }) : b;
}

interface LinesState {
  splitter: LineSplitter;
  lines: string[];
}

interface LinesInput {
  chunks: Uint8Array[];
}

export const atParse = fuzzTarget<LinesState, LinesInput>({
  name: 'at-parse',
  about: 'LineSplitter, parseFinal, describeFinal, parseRegistration, parseCsq, cmeCodeFromText on modem chatter and noise; lines printable, bounded, trimmed',
  episode: 10_000,
  retainedLimit: 8 * 1024,
  setup() {
    const s: LinesState = { splitter: undefined as unknown as LineSplitter, lines: [] };
    s.splitter = new LineSplitter(new DropCounter(silentLogger()));
    return s;
  },
  make: (rand) => ({ chunks: pieces(rand, rand.chance(0.1) ? noise(rand, 600, [0x0d, 0x0a, 0x2b, 0x3a, 0x2c, 0x22]) : chatter(rand), 5) }),
  feed(s, input) {
    s.lines = [];
    for (const c of input.chunks) s.splitter.push(c, 0, (l) => (s.lines.push(l), false));
    for (const l of s.lines) {
      const final = parseFinal(l);
      if (final) describeFinal(final);
      const reg = parseRegistration(l);
      if (reg) violated(Number.isInteger(reg.stat), `registration stat ${reg.stat}`);
      const csq = parseCsq(l);
      if (csq?.dbm !== undefined) violated(csq.dbm >= -113 && csq.dbm <= -51, `signal ${csq.dbm} dBm`);
      const m = /^\+CME ERROR:\s*(.*)$/i.exec(l);
      if (m) cmeCodeFromText(m[1]!);
    }
  },
  check(s) {
    for (const l of s.lines) violated(l.length > 0 && l.length <= 512 && l === l.trim() && /^[\x20-\x7e\t]*$/.test(l), `line ${JSON.stringify(l)}`);
  },
  retained: (s) => s.splitter,
  label: (s) => (s.lines.length ? 'lines' : 'none'),
  show: (i) => i.chunks.map((c) => hex(c, 512)).join(' | '),
});

// ---- the driver ----

interface ModemState {
  modem: Modem;
  now: number;
  /** Commands the driver wrote that the module has not answered yet. */
  awaiting: string[];
  pin: string;
  pinEntered: boolean;
  rand: Rand;
}

interface ModemInput {
  advance: number;
  chunks: Uint8Array[];
  action?: 'dial' | 'hangUp' | 'start' | 'radioCycle' | 'resetModem' | 'powerCycle';
  from: string;
}

/** The right answer of a well-behaved module to `command`. */
function answer(command: string, s: ModemState, rand: Rand): string {
  const c = command.toUpperCase();
  if (c.startsWith('AT+CPIN="')) {
    s.pinEntered = true;
    return '\r\nOK\r\n';
  }
  if (c === 'AT+CPIN?') return `\r\n+CPIN: ${s.pin && !s.pinEntered ? 'SIM PIN' : 'READY'}\r\n\r\nOK\r\n`;
  if (c === 'AT+CEREG?') return `\r\n+CEREG: 2,${rand.pick([1, 1, 1, 5, 2])},"1A2B","01A2B3C4",7\r\n\r\nOK\r\n`;
  if (c === 'AT+CREG?') return '\r\n+CREG: 2,1,"1A2B","01A2B3C4"\r\n\r\nOK\r\n';
  if (c === 'AT+CSQ') return `\r\n+CSQ: ${rand.int(32)},99\r\n\r\nOK\r\n`;
  if (c.startsWith('ATD')) return '\r\nCONNECT 150000000\r\n';
  return '\r\nOK\r\n';
}

/** A wrong answer: an error, a stray or half line, an unsolicited code, or nothing. */
function wrongAnswer(rand: Rand, command: string): string {
  return rand.pick<() => string>([
    () => '\r\nERROR\r\n',
    () => `\r\n+CME ERROR: ${rand.pick([3, 4, 10, 11, 12, 13, 14, 16, 30, 100])}\r\n`,
    () => `\r\n+CME ERROR: ${rand.pick(['SIM busy', 'SIM not inserted', 'no network service', 'bogus'])}\r\n`,
    () => `${command}\r\r\n${rand.chance(0.5) ? 'OK' : 'ERROR'}\r\n`,
    () => `\r\n${rand.pick(['NO CARRIER', 'BUSY', 'NO ANSWER', 'NO DIALTONE'])}\r\n`,
    () => `\r\n${line(rand)}\r\n`,
    () => `\r\n${line(rand)}`,
    () => '',
  ])();
}

function modemInput(rand: Rand, s: ModemState, hostile: boolean): ModemInput {
  const phase = s.modem.state;
  const advance = hostile
    ? rand.weighted([[4, 0], [5, rand.int(2500)], [1, rand.int(70_000)]] as const)
    : rand.weighted([[3, 0], [5, 500 + rand.int(1500)], [1, 6000]] as const);
  let text = '';
  let data: Uint8Array | undefined;
  if (s.modem.engine.mode === 'data') {
    data = rand.weighted<() => Uint8Array>([
      [6, () => concatBytes(Uint8Array.of(0x7e), rand.bytes(rand.int(60)), Uint8Array.of(0x7e))],
      [hostile ? 1 : 0, () => ascii(rand.pick(['\r\nNO CARRIER\r\n', '\r\nRDY\r\n', '~\r\nNO CARRIER\r\n', 'NO CARRIER', '\r\nNO CARR']))],
      [hostile ? 1 : 0, () => noise(rand, 100, [0x0d, 0x0a, 0x7e])],
    ])();
  } else if (hostile && rand.chance(phase === 'dialing' ? 0.3 : 0.02)) {
    // A module that keeps talking instead of answering: lines nobody asked for, at the UART's pace.
    text = Array.from({ length: 20 + rand.int(40) }, () => `\r\n${rand.pick(['+QNWINFO: "FDD LTE","26201","LTE BAND 3",', '+QENG: "servingcell","NOCONN",', '^SYSINFO: 2,3,0,9,'])}${rand.int(2000)}\r\n`).join('');
  } else {
    const command = s.awaiting[0];
    if (command !== undefined && (!hostile || rand.chance(0.85))) {
      s.awaiting.shift();
      text = !hostile || rand.chance(0.8) ? answer(command, s, rand) : wrongAnswer(rand, command);
    }
    if (hostile && rand.chance(0.15)) text = rand.chance(0.5) ? `${text}\r\n${rand.pick(URCS)}\r\n` : `\r\n${rand.pick(URCS)}\r\n${text}`;
  }
  let bytes = data ?? ascii(text);
  if (hostile && rand.chance(0.1)) bytes = mutate(rand, bytes, { maxEdits: 3 });
  if (hostile && rand.chance(0.05)) bytes = concatBytes(bytes, chatter(rand));
  const action = hostile
    ? rand.weighted([[90, undefined], [phase === 'offline' || phase === 'failed' || phase === 'idle' ? 30 : 0.5, 'dial'], [1, 'hangUp'], [0.3, 'start'], [0.2, 'radioCycle'], [0.2, 'resetModem'], [0.2, 'powerCycle']] as const)
    : phase === 'offline' || phase === 'failed' || phase === 'idle' ? 'dial' : undefined;
  return { advance, chunks: pieces(rand, bytes, 3), action, from: data ? 'data mode' : text ? 'answer' : 'silence' };
}

function feedModem(s: ModemState, input: ModemInput): void {
  s.now += input.advance;
  runDue(s.modem, s.now, 'modem');
  if (input.action === 'dial') s.modem.dial(s.now);
  if (input.action === 'hangUp') s.modem.hangUp(s.now);
  if (input.action === 'start') s.modem.start(s.now);
  if (input.action === 'radioCycle' || input.action === 'resetModem' || input.action === 'powerCycle') s.modem[input.action](s.now);
  for (const c of input.chunks) s.modem.input(c, s.now);
}

export const modemDriver = fuzzTarget<ModemState, ModemInput>({
  name: 'modem',
  about: 'Modem + AtEngine answered by a module that errs in every phase (probe, SIM PIN, registration, dial, data mode, +++ and hang-up, the recovery rungs): no throw, no spin, bounded state, online again once it behaves',
  episode: 2_000,
  retainedLimit: 32 * 1024,
  setup(rand) {
    const pin = rand.chance(0.3) ? '1234' : '';
    const s: ModemState = { modem: undefined as unknown as Modem, now: 0, awaiting: [], pin, pinEntered: false, rand };
    const dtr = rand.chance(0.5);
    s.modem = new Modem(
      modemSection.parse({ ...(modemSection.defaults as ModemManifest), apn: 'internet', simPin: pin, registrationTimeout: rand.pick([10, 120]), dialString: '*99#', modemPowerPin: rand.chance(0.5) ? 4 : -1 }),
      { log: silentLogger() },
      {
        writeSerial: (b) => {
          for (const c of latin1(b).split('\r')) if (c) s.awaiting.push(c);
          if (s.awaiting.length > 8) s.awaiting.splice(0, s.awaiting.length - 8);
        },
        onEvent: (e) => {
          if (e.type === 'lost' && e.reason.includes('RDY')) s.pinEntered = false;
        },
        onData: () => {},
        ...(dtr ? { setDtr: () => {} } : {}),
        setPin: () => {},
      },
    );
    s.modem.start(0);
    return s;
  },
  make: (rand, s) => modemInput(rand, s, true),
  feed: feedModem,
  check(s) {
    if (s.modem.state === 'online') violated(s.modem.engine.mode === 'data', 'online but the engine is in command mode');
  },
  end(s) {
    // The module behaves from now on: the driver must get online again (the host dials as the cellular link would).
    s.pinEntered = false;
    s.awaiting = [];
    for (let i = 0; i < 2000 && s.modem.state !== 'online'; i++) feedModem(s, modemInput(s.rand, s, false));
    violated(s.modem.state === 'online', `the driver did not get online again once the module behaved (phase ${s.modem.state})`);
  },
  retained: (s) => s.modem,
  label: (s) => s.modem.state satisfies ModemPhase,
  show: (i) => `+${i.advance} ms${i.action ? `, ${i.action}()` : ''}, ${i.from}: ${i.chunks.map((c) => JSON.stringify(latin1(c))).join(' | ')}`,
});
