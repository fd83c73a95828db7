/** The recovery ladder (src/modem/recovery-ladder.ts) as the cellular link climbs it, in process (link-rig.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecoveryLadder } from '../../src/modem/recovery-ladder.ts';
import { NETWORK, linkRig as rig, up } from './link-rig.ts';

test('ladder: redial, radio, reset, power, back to redial; power only when the board wires it; a floor skips lower rungs', () => {
  const withPower = new RecoveryLadder(true);
  assert.deepEqual([1, 2, 3, 4, 5].map(() => withPower.climb()), ['redial', 'radio', 'reset', 'power', 'redial']);
  const noPower = new RecoveryLadder(false);
  assert.deepEqual([1, 2, 3, 4].map(() => noPower.climb()), ['redial', 'radio', 'reset', 'redial']);
  assert.equal(noPower.climb('reset'), 'reset', 'a silent modem goes straight to the reset');
  assert.equal(noPower.climb('reset'), 'reset', 'and wraps to the floor, not below it');
  noPower.settle();
  assert.equal(noPower.climb(), 'redial');
  assert.deepEqual(withPower.counts(), { redial: 2, radio: 1, reset: 1, power: 1 });
});

test('carrier LCP Terminate-Request: the redial rung heals it, named in one event and one log line', () => {
  const r = rig();
  up(r);
  assert.ok(r.traffic(20_000) >= 3, 'echoes come back');
  r.net!.ppp.close(r.now, 'network maintenance'); // the carrier ends the call
  r.advance(60_000);
  assert.deepEqual(r.rungs(), ['redial']);
  assert.equal(r.ups(), 2);
  assert.equal(r.logLines.filter((l) => /recovery: redial in \d+ s \(/.test(l)).length, 1);
  assert.equal(r.link.recoveryCounts().redial, 1);
});

test('silent stall (LCP echo answered, IP lost): detected after dataStallTimeout, healed by a redial; NAT keepalives alone never count as a stall', () => {
  const r = rig({ dataStallTimeout: 60 });
  up(r);
  // Idle with only NAT-T keepalives (1 byte 0xFF to UDP 4500), which never get an answer.
  const ka = r.link.ip.bindUdp(4500, () => {});
  for (let t = 0; t < 300_000; t += 20_000) {
    ka.sendTo(NETWORK, 4500, Uint8Array.of(0xff), r.now);
    r.advance(20_000);
  }
  assert.equal(r.rungs().length, 0, 'keepalives are not a stall');
  r.faults.blackholeIp = true;
  r.traffic(80_000);
  assert.ok(r.events.some((e) => e.type === 'link-down' && /data path stalled/.test(e.reason)), 'the stall is named');
  r.advance(60_000);
  assert.deepEqual(r.rungs(), ['redial']);
  assert.equal(r.ups(), 2);
  assert.ok(r.traffic(20_000) >= 3, 'IP flows again');
});

test('a gateway that never answers looks like a stall: a redial every dataStallTimeout, never a climb to the modem\'s reset or power', () => {
  const r = rig({ dataStallTimeout: 60, modemPowerPin: 4 });
  up(r);
  r.faults.blackholeIp = r.faults.deadGateway = true;
  r.traffic(30 * 60_000, 10_000);
  const rungs = r.rungs();
  assert.ok(rungs.length >= 10 && rungs.length <= 30, `about one redial per stall (${rungs.length})`);
  assert.deepEqual([...new Set(rungs)], ['redial']);
  assert.deepEqual(r.pins, [], 'the modem is never power-cycled for it');
});

test('SIM deactivated (+CEREG: 3, the call drops) then reactivated: redial is denied, the radio rung re-registers', () => {
  const r = rig();
  up(r);
  r.model.setRegistration(3);
  r.model.dropCarrier();
  r.advance(5_000); // the redial finds registration denied
  r.advance(120_000);
  assert.deepEqual(r.rungs().slice(0, 2), ['redial', 'radio']);
  assert.ok(r.model.commands.includes('AT+CFUN=0') && r.model.commands.includes('AT+CFUN=1'));
  assert.equal(r.ups(), 2);
  assert.equal(r.link.recoveryCounts().radio, 1);
});

test('wedged modem (no AT, no data): redial, reset, then the PWRKEY power cycle from the config brings it back', () => {
  const r = rig({ modemPowerPin: 4, modemPowerOffPulse: 3000, modemPowerOffWait: 8000, modemPowerOnPulse: 1000 });
  up(r);
  r.model.wedge();
  r.advance(15 * 60_000);
  const rungs = r.rungs();
  assert.equal(rungs[rungs.length - 1], 'power', `the power rung healed it (${rungs.join(', ')})`);
  assert.ok(!rungs.includes('radio'), 'a modem that does not answer AT skips the radio rung');
  assert.equal(r.ups(), 2);
  // Off pulse, the wait, on pulse: the levels and times the config gives.
  const start = Number(/@(\d+)/.exec(r.pins[0]!)![1]);
  assert.deepEqual(r.pins.map((p) => p.replace(/@(\d+)/, (_, t) => `+${Number(t) - start}`)), ['power on +0', 'power off +3000', 'power on +11000', 'power off +12000']);
  assert.equal(r.link.recoveryCounts().power, 1);
});

test('wedged modem without power pins: the ladder keeps trying, bounded waits, never a tight loop', () => {
  const r = rig();
  up(r);
  r.model.wedge();
  r.advance(3 * 3600_000);
  const rungs = r.rungs();
  assert.ok(rungs.length >= 6 && rungs.length < 200, `bounded tries (${rungs.length})`);
  assert.ok(!rungs.includes('power'));
  assert.ok(r.model.commands.length < 20_000, 'AT is not hammered');
});

test('the RESET pin, when wired, is the power rung: one pulse of modemResetPulse', () => {
  const r = rig({ modemResetPin: 5, modemResetPulse: 300 });
  up(r);
  r.model.wedge();
  r.advance(15 * 60_000);
  assert.equal(r.rungs().at(-1), 'power');
  assert.equal(r.ups(), 2);
  assert.deepEqual(r.pins.map((p) => p.replace(/ @\d+/, '')), ['reset on', 'reset off']);
});
