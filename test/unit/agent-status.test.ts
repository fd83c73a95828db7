/** device.network.ikelet (src/agent/status.ts): what an app learns of the cellular side. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TunnelStatus } from '../../src/agent/status.ts';

test('status: the signal and roaming of the last registration, and the recovery ladder\'s last rung with its reason; listeners hear each change', () => {
  const status = new TunnelStatus();
  const heard: string[] = [];
  status.onChanged((s) => heard.push(`${s.signalDbm} ${s.roaming} ${s.lastRecovery}`));
  assert.equal(status.signalDbm, undefined);
  status.apply({ type: 'modem', event: { type: 'registered', roaming: false, rssiDbm: -73 } }, 1);
  status.apply({ type: 'link-retry', rung: 'radio', reason: 'modem error: network registration denied (+CEREG: 3)', inMs: 4000, attempt: 2 }, 2);
  status.apply({ type: 'modem', event: { type: 'registered', roaming: true, rssiDbm: -95 } }, 3);
  assert.equal(status.signalDbm, -95);
  assert.equal(status.roaming, true);
  assert.equal(status.lastRecovery, 'radio: modem error: network registration denied (+CEREG: 3)');
  assert.deepEqual(heard, [
    '-73 false undefined',
    '-73 false radio: modem error: network registration denied (+CEREG: 3)',
    '-95 true radio: modem error: network registration denied (+CEREG: 3)',
  ]);
});
