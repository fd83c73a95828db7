/** The agent's one retry policy: quick tries, growing waits, a cap, jitter, never giving up. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../src/util/backoff.ts';

const fixed = (byte: number) => ({ bytes: (n: number) => new Uint8Array(n).fill(byte) });
const settings = { quickAttempts: 4, quickMs: 2000, intervalMs: 60_000, maxIntervalMs: 1_800_000 };
/** The jitter factor for random bytes 0x80 0x80: 0.8 + 0.4 × 0x8080/0xffff. */
const MID = 0.8 + (0.4 * 0x8080) / 0xffff;
const seconds = (ms: number): number => Math.round(ms / MID / 1000);

test('quick tries doubling from 2 s, then 60 s doubling to the 30 min cap, and the cap for ever', () => {
  const b = new Backoff(settings, fixed(0x80));
  const waits = Array.from({ length: 12 }, () => seconds(b.fail()));
  assert.deepEqual(waits, [2, 4, 8, 60, 120, 240, 480, 960, 1800, 1800, 1800, 1800]);
  b.reset();
  assert.equal(seconds(b.fail()), 2, 'a success starts afresh');
});

test('jitter stays within ±20 % so a fleet does not come back in lockstep', () => {
  assert.equal(new Backoff(settings, fixed(0)).fail(), 1600);
  assert.equal(new Backoff(settings, fixed(0xff)).fail(), 2400);
});

test('a permanent refusal waits the longest interval once the quick tries are used up', () => {
  const b = new Backoff(settings, fixed(0x80));
  const waits = Array.from({ length: 6 }, () => seconds(b.fail(true)));
  assert.deepEqual(waits, [2, 4, 8, 1800, 1800, 1800]);
  assert.equal(b.slow, true);
});
