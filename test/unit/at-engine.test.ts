import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AtEngine, type AtResult, type AtCommandOptions } from '../../src/modem/at-engine.ts';
import { silentLogger } from '../../src/util/log.ts';
import { concatBytes, latin1, utf8 } from '../../src/util/bytes.ts';

function harness() {
  const written: string[] = [];
  const urcs: string[] = [];
  const data: number[] = [];
  const results: { cmd: string; r: AtResult }[] = [];
  const engine = new AtEngine(
    { log: silentLogger() },
    {
      writeSerial: (b) => written.push(latin1(b)),
      onUrc: (l) => urcs.push(l),
      onData: (b) => data.push(...b),
    },
  );
  const send = (cmd: string, now = 0, opts: AtCommandOptions = {}) => engine.send(cmd, now, opts, (r) => results.push({ cmd, r }));
  return { engine, written, urcs, data, results, send };
}

/** Feeds `bytes` split at `cuts` (chunk boundaries). */
function feed(engine: AtEngine, bytes: Uint8Array, cuts: number[], now = 0): void {
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    engine.input(bytes.subarray(at, c), now);
    at = c;
  }
}

// A Quectel BG96 session with echo still on: URCs in the middle, a CME error, CONNECT and PPP data.
const BG96_CHATTER = concatBytes(
  utf8('AT+CEREG?\r\r\n+CEREG: 2,1,"1A2B","01A2B3C4",7\r\n\r\nOK\r\n'),
  utf8('AT+CSQ\r\r\n+CEREG: 1\r\n\r\n+CSQ: 18,99\r\n\r\nOK\r\n'),
  Uint8Array.from([0x00, 0xfe, 0x0d, 0x0a]),
  utf8('AT+CPIN?\r\r\n+CME ERROR: 10\r\n'),
  utf8('\r\nRING\r\n'),
  utf8('ATD*99#\r\r\nCONNECT 150000000\r\n'),
  Uint8Array.from([0x7e, 0xff, 0x7d, 0x23, 0xc0, 0x21, 0x0d, 0x0a, 0x7e]),
);

function runBg96(cuts: number[]) {
  const h = harness();
  h.send('AT+CEREG?', 0, { expect: '+CEREG:' });
  h.send('AT+CSQ', 0, { expect: '+CSQ:' });
  h.send('AT+CPIN?', 0, { expect: '+CPIN:' });
  h.send('ATD*99#', 0, { dial: true });
  feed(h.engine, BG96_CHATTER, cuts);
  return h;
}

test('BG96 transcript: answers, URCs mid-command, CME error, CONNECT then data', () => {
  const h = runBg96([]);
  assert.deepEqual(h.written, ['AT+CEREG?\r', 'AT+CSQ\r', 'AT+CPIN?\r', 'ATD*99#\r']);
  assert.deepEqual(h.results.map((x) => [x.cmd, x.r.kind, x.r.lines]), [
    ['AT+CEREG?', 'ok', ['+CEREG: 2,1,"1A2B","01A2B3C4",7']],
    ['AT+CSQ', 'ok', ['+CSQ: 18,99']],
    ['AT+CPIN?', 'cme', []],
    ['ATD*99#', 'connect', []],
  ]);
  assert.equal(h.results[2]!.r.final!.code, 10);
  assert.equal(h.results[3]!.r.final!.detail, '150000000');
  assert.deepEqual(h.urcs, ['+CEREG: 1', 'RING']);
  assert.deepEqual(h.data, [0x7e, 0xff, 0x7d, 0x23, 0xc0, 0x21, 0x0d, 0x0a, 0x7e]);
  assert.equal(h.engine.mode, 'data');
  assert.equal(h.engine.drops.count('line with non-printable bytes'), 1);
});

test('BG96 transcript gives the same outcome split at every byte boundary', () => {
  const reference = runBg96([]);
  const summary = (h: ReturnType<typeof harness>) => JSON.stringify([h.results.map((x) => [x.cmd, x.r.kind, x.r.lines]), h.urcs, h.data]);
  for (let cut = 1; cut < BG96_CHATTER.length; cut++) assert.equal(summary(runBg96([cut])), summary(reference), `cut at ${cut}`);
  const everyByte = Array.from({ length: BG96_CHATTER.length - 1 }, (_, i) => i + 1);
  assert.equal(summary(runBg96(everyByte)), summary(reference));
});

test('SIMCom style: echo off, verbose CME text, URC between answer and OK', () => {
  const h = harness();
  h.send('AT+CPIN="1234"', 0, { secret: true });
  h.send('AT+CREG?', 0, { expect: '+CREG:' });
  feed(h.engine, utf8('\r\n+CME ERROR: incorrect password\r\n\r\n+CREG: 0,5\r\n\r\n+CPIN: READY\r\n\r\nOK\r\n'), []);
  assert.equal(h.results[0]!.r.kind, 'cme');
  assert.equal(h.results[0]!.r.final!.code, 16);
  assert.deepEqual(h.results[1]!.r.lines, ['+CREG: 0,5']);
  assert.deepEqual(h.urcs, ['+CPIN: READY']);
});

test('every final result code is recognised', () => {
  for (const [line, kind] of [
    ['OK', 'ok'], ['ERROR', 'error'], ['+CME ERROR: 3', 'cme'], ['+CMS ERROR: 500', 'cms'], ['NO CARRIER', 'no-carrier'],
    ['BUSY', 'busy'], ['NO DIALTONE', 'no-dialtone'], ['NO ANSWER', 'no-answer'], ['CONNECT', 'connect'],
  ] as const) {
    const h = harness();
    h.send('ATD*99#', 0, { dial: true });
    h.engine.input(utf8(`\r\n${line}\r\n`), 0);
    assert.equal(h.results[0]?.r.kind, kind, line);
  }
});

test('NO CARRIER is a URC when no dial is pending; a stray OK is dropped', () => {
  const h = harness();
  h.engine.input(utf8('\r\nNO CARRIER\r\n\r\nOK\r\n'), 0);
  h.send('AT+CSQ', 0);
  h.engine.input(utf8('\r\nNO CARRIER\r\n\r\n+CSQ: 5,0\r\n\r\nOK\r\n'), 0);
  assert.deepEqual(h.urcs, ['NO CARRIER', 'NO CARRIER']);
  assert.deepEqual(h.results[0]!.r.lines, ['+CSQ: 5,0']);
  assert.equal(h.engine.drops.count('final result without a command'), 1);
});

test('per-command timeout, then the queue moves on', () => {
  const h = harness();
  h.send('AT', 0, { timeoutMs: 1000 });
  h.send('ATI', 0, { timeoutMs: 300 });
  assert.equal(h.engine.deadline(), 1000);
  h.engine.onTimer(999);
  assert.equal(h.results.length, 0);
  h.engine.onTimer(1000);
  assert.equal(h.results[0]!.r.kind, 'timeout');
  assert.deepEqual(h.written, ['AT\r', 'ATI\r']);
  assert.equal(h.engine.deadline(), 1300);
  h.engine.input(utf8('\r\nQuectel\r\nBG96\r\n\r\nOK\r\n'), 1100);
  assert.deepEqual(h.results[1]!.r.lines, ['Quectel', 'BG96']);
  assert.equal(h.engine.deadline(), undefined);
});

test('data mode: NO CARRIER after a PPP flag returns to command mode, mid-frame text does not', () => {
  const h = harness();
  h.send('ATD*99#', 0, { dial: true });
  h.engine.input(utf8('\r\nCONNECT\r'), 0);
  assert.equal(h.engine.mode, 'data');
  // LF of CONNECT's CRLF in the next chunk is swallowed; a frame carrying the text is data.
  h.engine.input(concatBytes(utf8('\n~\x21'), utf8('\r\nNO CARRIER\r\n'), utf8('~')), 0);
  assert.equal(h.engine.mode, 'data');
  assert.deepEqual(h.urcs, []);
  h.engine.input(utf8('\r\nNO CAR'), 0);
  h.engine.input(utf8('RIER\r\n\r\n+CEREG: 0\r\n'), 0);
  assert.equal(h.engine.mode, 'command');
  assert.deepEqual(h.urcs, ['NO CARRIER', '+CEREG: 0']);
  assert.equal(h.data[0], 0x7e);
  assert.ok(!latin1(Uint8Array.from(h.data)).includes('NO CAR'.repeat(2)));
});

test('data mode: RDY after a flag (modem reboot) is reported', () => {
  const h = harness();
  h.send('ATD*99#', 0, { dial: true });
  h.engine.input(utf8('\r\nCONNECT 150000000\r\n~\xff\x03~\r\nRDY\r\n'), 0);
  assert.deepEqual(h.urcs, ['RDY']);
  assert.equal(h.engine.mode, 'command');
});

test('commands queued during data mode wait; leaveDataMode sends them', () => {
  const h = harness();
  h.send('ATD*99#', 0, { dial: true });
  h.engine.input(utf8('\r\nCONNECT\r\n'), 0);
  h.send('+++', 0, { raw: true });
  assert.deepEqual(h.written, ['ATD*99#\r']);
  h.engine.leaveDataMode(1000);
  assert.deepEqual(h.written, ['ATD*99#\r', '+++']);
  h.engine.input(utf8('\r\nOK\r\n'), 1000);
  assert.equal(h.results[1]!.r.kind, 'ok');
});

test('a module that keeps talking while a command waits cannot grow its answer without bound', () => {
  // Found by the fuzzer (modem): every line before the final result was kept, for as long as ATD may wait (60 s).
  const h = harness();
  h.send('ATD*99#', 0, { dial: true, timeoutMs: 60_000 });
  for (let i = 0; i < 1000; i++) h.engine.input(utf8(`\r\n+QNWINFO: "FDD LTE","26201","LTE BAND 3",${i}\r\n`), i);
  h.engine.input(utf8('\r\nCONNECT 150000000\r\n'), 1000);
  assert.equal(h.results[0]!.r.kind, 'connect');
  assert.ok(h.results[0]!.r.lines.length <= 16, `${h.results[0]!.r.lines.length} lines kept`);
  assert.ok(h.engine.drops.count('answer lines over the limit') > 0);
});
