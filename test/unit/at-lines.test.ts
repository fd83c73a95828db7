import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from '../../src/modem/at-lines.ts';
import { DropCounter, silentLogger } from '../../src/util/log.ts';
import { utf8 } from '../../src/util/bytes.ts';

function split(chunks: Uint8Array[], maxLine?: number): { lines: string[]; drops: DropCounter } {
  const drops = new DropCounter(silentLogger());
  const s = new LineSplitter(drops, maxLine);
  const lines: string[] = [];
  for (const c of chunks) s.push(c, 0, (l) => (lines.push(l), false));
  return { lines, drops };
}

test('CR, LF and CRLF end lines; blank lines are skipped', () => {
  const { lines } = split([utf8('AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n\n\n')]);
  assert.deepEqual(lines, ['AT+CSQ', '+CSQ: 20,99', 'OK']);
});

test('lines with NULs or non-ASCII bytes are dropped and counted', () => {
  const { lines, drops } = split([Uint8Array.from([0, 0xff, 0x0d, 0x0a, 0x4f, 0x9b, 0x4b, 0x0d, 0x0a]), utf8('\r\nRDY\r\n')]);
  assert.deepEqual(lines, ['RDY']);
  assert.equal(drops.count('line with non-printable bytes'), 2);
});

test('overlong lines are dropped whole, the next line survives', () => {
  const { lines, drops } = split([utf8(`${'x'.repeat(100)}\r\nOK\r\n`)], 32);
  assert.deepEqual(lines, ['OK']);
  assert.equal(drops.count('overlong line'), 1);
});

test('stops after the line the callback claims and reports the next index', () => {
  const s = new LineSplitter(new DropCounter(silentLogger()));
  const bytes = utf8('\r\nCONNECT 150000000\r\n~\x7d');
  const at = s.push(bytes, 0, (l) => l.startsWith('CONNECT'));
  assert.equal(bytes[at], 0x0a); // the LF of CRLF is left for the engine to swallow
});
