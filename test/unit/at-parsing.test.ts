import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFinal, parseFinal } from '../../src/modem/at-results.ts';
import { csqToDbm, parseCsq, parseRegistration } from '../../src/modem/registration.ts';
import { CarrierWatch } from '../../src/modem/carrier-watch.ts';
import { utf8 } from '../../src/util/bytes.ts';

test('+CEREG/+CREG: solicited and unsolicited forms', () => {
  assert.deepEqual(parseRegistration('+CEREG: 2,1,"1A2B","01A2B3C4",7'), { which: 'CEREG', stat: 1, area: '1A2B', cell: '01A2B3C4', act: 7 });
  assert.deepEqual(parseRegistration('+CEREG: 5,"1A2B","01A2B3C4",7'), { which: 'CEREG', stat: 5, area: '1A2B', cell: '01A2B3C4', act: 7 });
  assert.equal(parseRegistration('+CREG: 0,3')!.stat, 3);
  assert.equal(parseRegistration('+CREG: 2')!.stat, 2);
  assert.equal(parseRegistration('+CGREG: 1,,,')!.stat, 1);
  assert.equal(parseRegistration('+CEREG: x'), undefined);
  assert.equal(parseRegistration('+CSQ: 1,2'), undefined);
});

test('+CSQ to dBm', () => {
  assert.equal(csqToDbm(0), -113);
  assert.equal(csqToDbm(1), -111);
  assert.equal(csqToDbm(20), -73);
  assert.equal(csqToDbm(31), -51);
  assert.equal(csqToDbm(99), undefined);
  assert.deepEqual(parseCsq('+CSQ: 99,99'), { rssi: 99, ber: 99, dbm: undefined });
});

test('CME errors read the same in numeric and verbose form', () => {
  assert.equal(describeFinal(parseFinal('+CME ERROR: 16')!), '+CME ERROR: 16 (incorrect password)');
  assert.equal(describeFinal(parseFinal('+CME ERROR: incorrect password')!), '+CME ERROR: 16 (incorrect password)');
  assert.equal(describeFinal(parseFinal('+CME ERROR: 999')!), '+CME ERROR: 999');
  assert.equal(parseFinal('CONNECT 150000000')!.detail, '150000000');
  assert.equal(parseFinal('+CEREG: 1'), undefined);
});


test('CarrierWatch: only outside frames, across chunks', () => {
  const w = new CarrierWatch();
  assert.equal(w.scan(utf8('~\x21\r\nNO CARRIER\r\n')), undefined, 'inside a frame');
  assert.equal(w.scan(utf8('~\r\nNO')), undefined);
  assert.deepEqual(w.scan(utf8(' CARRIER\r\n')), { event: 'NO CARRIER', end: 9, start: 0 });
  assert.deepEqual(new CarrierWatch().scan(utf8('\r\n\r\nRDY\r\n')), { event: 'RDY', end: 8, start: 2 });
});

test('CarrierWatch: NO CARRIER after a URC line between frames (SIM deactivated: "+CEREG: 3" first), but not inside a frame', () => {
  const w = new CarrierWatch();
  assert.equal(w.scan(utf8('~\r\n+CEREG: 3\r\n')), undefined);
  assert.deepEqual(w.scan(utf8('\r\nNO CARRIER\r\n')), { event: 'NO CARRIER', end: 13, start: 0 });
  assert.equal(new CarrierWatch().scan(utf8('~\x21\r\n+CEREG: 3\r\n\r\nNO CARRIER\r\n')), undefined, 'inside a frame');
  assert.equal(new CarrierWatch().scan(utf8(`~\r\n${'x'.repeat(200)}\r\nNO CARRIER\r\n`)), undefined, 'an overlong "line" is frame content');
});
