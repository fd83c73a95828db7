/** The network's config section: defaults, checks in manifest units, parse to milliseconds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Check } from '../../src/config/section.ts';
import { checkConfig } from '../../src/config/validate.ts';
import { NET_DEFAULTS, netSection } from '../../src/net/config.ts';

test('defaults suit an ESP32 and parse to what the layer takes (ms, bytes)', () => {
  const s = netSection.parse(NET_DEFAULTS);
  assert.deepEqual(s, {
    sendBuffer: 8192, receiveBuffer: 8192, maxSockets: 8, maxPending: 2, maxRetries: 8, synRetries: 5, minRtoMs: 1000,
    outOfOrderRanges: 8, timeWaitMs: 30_000, tunnelWaitMs: 60_000, serialQueue: 3072, serialQueueMax: 16384,
    udpQueue: { length: 32, bytes: 8192, dropOldest: true },
  });
});

test('every key has a check that names the expected form', () => {
  for (const [key, check] of Object.entries(netSection.checks)) {
    assert.equal((check as (v: unknown) => unknown)((NET_DEFAULTS as unknown as Record<string, unknown>)[key]), undefined, `${key} default passes`);
    assert.match(String((check as (v: unknown) => unknown)('x')), /\d|one of/, `${key} names a range or the choices`);
  }
  assert.equal((netSection.checks.tcpReceiveBuffer as Check)(70000), 'an integer 1024..65535 bytes', 'no window scaling: at most 65535');
  assert.equal((netSection.checks.tcpRtoMin as Check)(0.2), undefined);
});

test('through the one validator: net keys parsed with the rest of the config, bad values refused by name', () => {
  const device = { apn: 'x', gateway: '203.0.113.10', localId: 'device1.example.com', remoteId: 'gateway.example.net', psk: 'a-device-psk-of-32-characters-00' };
  const ok = checkConfig({ ...device, tcpSendBuffer: 4096, tcpRtoMin: 0.2 });
  assert.ok(ok.ok);
  assert.equal(ok.settings.net.sendBuffer, 4096);
  assert.equal(ok.settings.net.maxSockets, 8);
  assert.equal(ok.settings.net.minRtoMs, 200);
  const bad = checkConfig({ ...device, tcpMaxSockets: 0 });
  assert.ok(!bad.ok && bad.errors.includes('config.tcpMaxSockets: expected an integer 1..64 connections (got 0)'), JSON.stringify(bad));
  const cross = checkConfig({ ...device, serialQueue: 8192, serialQueueMax: 4096 });
  assert.ok(!cross.ok && /serialQueueMax: expected at least serialQueue/.test(cross.errors.join(' ')));
});
