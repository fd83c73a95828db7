import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChapResponder, PapClient, chapMd5Response } from '../../src/ppp/auth.ts';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.ts';
import { DropCounter, silentLogger } from '../../src/util/log.ts';

// Expected values computed independently with Python: hashlib.md5(bytes([id]) + secret + challenge)
test('CHAP-MD5 response is md5(identifier || secret || challenge)', () => {
  assert.equal(toHex(chapMd5Response(7, utf8('secret'), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8))), '5bcc06f518a0d62562ac86640126379c');
  assert.equal(toHex(chapMd5Response(0x2a, utf8('pass'), fromHex('00112233445566778899aabbccddeeff'))), '1a1e2c9f49eac8945b34343f239476f3');
});

function ports() {
  const sent: Uint8Array[] = [];
  const outcome: string[] = [];
  return {
    sent,
    outcome,
    ports: { send: (p: Uint8Array) => sent.push(p), succeeded: () => outcome.push('ok'), failed: (r: string) => outcome.push(r) },
  };
}

const timing = { restartMs: 3000, maxConfigure: 3 };

test('PAP: request format, retransmission with new ids, and failure after max tries', () => {
  const p = ports();
  const pap = new PapClient('dev', 'pw', timing, silentLogger(), new DropCounter(silentLogger()), p.ports);
  pap.start(0);
  assert.deepEqual([...p.sent[0]!], [1, 1, 0, 11, 3, ...utf8('dev'), 2, ...utf8('pw')]);
  pap.onTimer(3000);
  pap.onTimer(6000);
  assert.deepEqual(p.sent.map((s) => s[1]), [1, 2, 3]);
  pap.onTimer(9000);
  assert.deepEqual(p.outcome, ['PAP: no answer from peer']);
  assert.equal(pap.deadline(), undefined);
});

test('PAP: an ack with a stale id is ignored, the right one succeeds', () => {
  const p = ports();
  const pap = new PapClient('dev', 'pw', timing, silentLogger(), new DropCounter(silentLogger()), p.ports);
  pap.start(0);
  pap.onTimer(3000);
  pap.input(Uint8Array.of(2, 1, 0, 5, 0), 3001);
  assert.deepEqual(p.outcome, []);
  pap.input(Uint8Array.of(2, 2, 0, 5, 0), 3002);
  assert.deepEqual(p.outcome, ['ok']);
});

test('CHAP: answers challenges (also rechallenges), fails on Failure, ignores malformed ones', () => {
  const p = ports();
  const drops = new DropCounter(silentLogger());
  const chap = new ChapResponder('dev', 'secret', timing, silentLogger(), drops, p.ports);
  chap.start(0);
  chap.input(Uint8Array.of(1, 7, 0, 4 + 1 + 8, 8, 1, 2, 3, 4, 5, 6, 7, 8), 1);
  assert.equal(toHex(p.sent[0]!), '0207001810' + '5bcc06f518a0d62562ac86640126379c' + toHex(utf8('dev')));
  chap.input(Uint8Array.of(3, 7, 0, 4), 2);
  assert.deepEqual(p.outcome, ['ok']);
  chap.input(Uint8Array.of(1, 8, 0, 6, 1, 9), 3);
  assert.equal(p.sent.length, 2, 'rechallenge answered');
  chap.input(Uint8Array.of(1, 9, 0, 6, 5, 9), 4); // value size overruns
  chap.input(Uint8Array.of(1, 9, 0, 5, 0), 4); // empty value
  assert.equal(drops.count('CHAP malformed challenge'), 2);
  chap.input(Uint8Array.of(4, 8, 0, 8, ...utf8('nope')), 5);
  assert.deepEqual(p.outcome, ['ok', 'CHAP authentication refused: nope']);
});

test('CHAP: no verdict within the time bound fails', () => {
  const p = ports();
  const chap = new ChapResponder('dev', 'secret', timing, silentLogger(), new DropCounter(silentLogger()), p.ports);
  chap.start(0);
  assert.equal(chap.deadline(), 9000);
  chap.onTimer(9000);
  assert.deepEqual(p.outcome, ['CHAP: no verdict from peer']);
});
