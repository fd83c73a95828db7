/** Anti-replay window (RFC 4303 3.4.3). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplayWindow } from '../../src/esp/index.ts';

function accept(w: ReplayWindow, seq: number): boolean {
  if (w.check(seq) !== 'ok') return false;
  w.update(seq);
  return true;
}

test('in-order packets pass, duplicates and zero do not', () => {
  const w = new ReplayWindow();
  for (let s = 1; s <= 300; s++) assert.equal(accept(w, s), true);
  assert.equal(w.check(300), 'duplicate');
  assert.equal(w.check(250), 'duplicate');
  assert.equal(w.check(0), 'zero');
  assert.equal(w.highest, 300);
});

test('out of order within the window is accepted once', () => {
  const w = new ReplayWindow(128);
  assert.equal(accept(w, 200), true);
  for (const s of [199, 150, 73, 100, 198]) assert.equal(accept(w, s), true, `seq ${s}`);
  for (const s of [199, 150, 73, 100, 198, 200]) assert.equal(w.check(s), 'duplicate', `seq ${s}`);
  assert.equal(w.check(72), 'too-old'); // 200 - 72 = 128: just outside
  assert.equal(w.check(201), 'ok');
});

test('big jumps slide the window and forget what fell out', () => {
  const w = new ReplayWindow(128);
  for (let s = 1; s <= 10; s++) accept(w, s);
  assert.equal(accept(w, 1_000_000), true);
  assert.equal(w.check(10), 'too-old');
  assert.equal(w.check(999_900), 'ok'); // inside the window, never seen
  assert.equal(accept(w, 999_900), true);
  assert.equal(w.check(999_900), 'duplicate');
  // A jump smaller than the window keeps the overlap.
  assert.equal(accept(w, 1_000_050), true);
  assert.equal(w.check(999_950), 'ok');
  assert.equal(w.check(1_000_000), 'duplicate');
  assert.equal(w.check(999_900), 'too-old'); // 150 behind the new top
  // Bits reused after wrapping around the circular bitmap start clean.
  assert.equal(w.check(1_000_049), 'ok');
  // Up to the last 32-bit sequence number.
  assert.equal(accept(w, 0xffffffff), true);
  assert.equal(w.check(0xffffffff), 'duplicate');
  assert.equal(w.check(0xffffffff - 127), 'ok');
  assert.equal(w.check(0xffffffff - 128), 'too-old');
});

test('every seq in a shuffled block is accepted exactly once (window 64 and 256)', () => {
  for (const size of [64, 256]) {
    const w = new ReplayWindow(size);
    let x = 12345;
    const seqs = Array.from({ length: size }, (_, i) => 1000 + i);
    for (let i = seqs.length - 1; i > 0; i--) {
      x = (x * 1103515245 + 12345) >>> 0;
      const j = x % (i + 1);
      [seqs[i], seqs[j]] = [seqs[j]!, seqs[i]!];
    }
    for (const s of seqs) assert.equal(accept(w, s), true);
    for (const s of seqs) assert.equal(accept(w, s), false);
  }
  assert.throws(() => new ReplayWindow(32));
  assert.throws(() => new ReplayWindow(100));
});
