/** device.network.ikelet (src/agent/status.ts): the tunnel's state and the cellular side for apps, following the agent's events. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_STATUS_LISTENERS, TunnelStatus, type TunnelStatusView } from '../../src/agent/status.ts';
import type { AgentEvent } from '../../src/agent/agent.ts';
import type { TunnelTraffic } from '../../src/agent/tunnel.ts';

const traffic: TunnelTraffic = { ikeBytesOut: 0, ikeBytesIn: 0, espBytesOut: 0, espBytesIn: 0, ikePacketsOut: 0, ikePacketsIn: 0, espPacketsOut: 0, espPacketsIn: 0, keepalivesIn: 0 };
const childUp = { type: 'child-up', virtualIp: '192.0.2.7', dns: ['198.51.100.53'], ts: { local: ['192.0.2.7/32'], remote: ['198.51.100.0/24'] } } as unknown as AgentEvent;

test('the status follows link, IKE and tunnel events, and tells each listener of every change', () => {
  const status = new TunnelStatus(traffic);
  const seen: string[] = [];
  status.onChanged((s: TunnelStatusView) => seen.push(`${s.state} ${s.virtualIp ?? '-'} ${s.lastError ?? '-'}`));
  status.apply({ type: 'link-up', localAddress: '10.0.2.15', peerAddress: '10.64.64.64', dns: [] } as AgentEvent, 10);
  status.apply({ type: 'ike-connecting', attempt: 1 } as AgentEvent, 20);
  status.apply(childUp, 30);
  assert.equal(status.since, 30);
  assert.deepEqual(status.dns, ['198.51.100.53']);
  status.apply({ type: 'child-rekeyed' } as unknown as AgentEvent, 40); // no change: no call
  status.apply({ type: 'link-down', reason: 'carrier lost' } as AgentEvent, 50);
  assert.deepEqual(seen, ['link-up - -', 'connecting - -', 'up 192.0.2.7 -', 'offline - PPP link down: carrier lost']);
  assert.equal(status.traffic, traffic, 'the traffic counters are the tunnel\'s own, live');
});

test('listeners are bounded, and one that throws does not reach the agent', () => {
  const status = new TunnelStatus(traffic);
  let calls = 0;
  for (let i = 0; i < MAX_STATUS_LISTENERS; i++) assert.equal(status.onChanged(() => { calls++; throw new Error('app bug'); }), true);
  assert.equal(status.onChanged(() => {}), false, 'one listener too many is refused');
  assert.doesNotThrow(() => status.apply(childUp, 1));
  assert.equal(calls, MAX_STATUS_LISTENERS);
});

test('status: the signal and roaming of the last registration, and the recovery ladder\'s last rung with its reason; listeners hear each change', () => {
  const status = new TunnelStatus(traffic);
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
