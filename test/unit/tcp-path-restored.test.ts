/** When the tunnel comes back, data in flight goes again at once instead of waiting out the outage's backoff. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeviceRig, pattern } from './tcp-rig.ts';

test('path restored: data in flight is retransmitted at once and the RTO backoff of the outage is forgotten', () => {
  const rig = new DeviceRig({ tcpMaxRetries: 12 });
  const { conn } = rig.established();
  rig.refuse = true; // the tunnel is down: every send fails
  conn.write(pattern(100), rig.now);
  // Five expiries while down: the timer has grown to 32 s.
  for (let i = 0; i < 5; i++) rig.advance(rig.layer.deadline()! - rig.now);
  assert.equal(rig.layer.deadline()! - rig.now, 32_000, 'backed off during the outage');
  rig.take();
  rig.refuse = false;
  rig.advance(500);
  rig.layer.pathRestored(rig.now);
  const again = rig.take();
  assert.equal(again.length, 1, 'retransmitted at once');
  assert.deepEqual(again[0]!.payload, pattern(100));
  assert.equal(rig.layer.deadline()! - rig.now, 1000, 'the next retransmission after the base RTO, not 64 s');
});
