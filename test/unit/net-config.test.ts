/** The network's config section: defaults, checks in manifest units, parse to milliseconds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Check } from '../../src/config/section.ts';
import { NET_DEFAULTS, netSection, netSettingsFrom } from '../../src/net/config.ts';

test('defaults suit an ESP32 and parse to what the layer takes (ms, bytes)', () => {
  const s = netSection.parse(NET_DEFAULTS);
  assert.deepEqual(s, {
    sendBuffer: 8192, receiveBuffer: 8192, maxSockets: 8, maxPending: 2, maxRetries: 8, synRetries: 5, minRtoMs: 1000,
    outOfOrderRanges: 8, timeWaitMs: 30_000, tunnelWaitMs: 60_000, serialQueue: 3072, serialQueueMax: 16384,
  });
});

test('every key has a check that names the expected form', () => {
  for (const [key, check] of Object.entries(netSection.checks)) {
    assert.equal((check as (v: unknown) => unknown)((NET_DEFAULTS as unknown as Record<string, unknown>)[key]), undefined, `${key} default passes`);
    assert.match(String((check as (v: unknown) => unknown)('x')), /\d/, `${key} names a range`);
  }
  assert.equal((netSection.checks.tcpReceiveBuffer as Check)(70000), 'an integer 1024..65535 bytes', 'no window scaling: at most 65535');
  assert.equal((netSection.checks.tcpRtoMin as Check)(0.2), undefined);
});

test('netSettingsFrom: keys from a config object, bad values reported and replaced by their defaults', () => {
  const warnings: string[] = [];
  const s = netSettingsFrom({ apn: 'x', tcpSendBuffer: 4096, tcpMaxSockets: 0, tcpRtoMin: 0.2 }, (m) => warnings.push(m));
  assert.equal(s.sendBuffer, 4096);
  assert.equal(s.maxSockets, 8);
  assert.equal(s.minRtoMs, 200);
  assert.deepEqual(warnings, ['config.tcpMaxSockets: expected an integer 1..64 connections; using 8']);
  const cross: string[] = [];
  netSettingsFrom({ serialQueue: 8192, serialQueueMax: 4096 }, (m) => cross.push(m));
  assert.match(cross.join(' '), /serialQueueMax: expected at least serialQueue/);
});
