/** TimerSet: many re-armable timers on the platform's one (the agent's and every app client's). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimerSet } from '../../src/io/timers.ts';
import type { Timer } from '../../src/platform.ts';

function rig() {
  let now = 0;
  let armed: { at: number; fire: () => void } | undefined;
  const arms: (number | undefined)[] = [];
  const base: Timer = { schedule: (at, fire) => { arms.push(at); armed = at === undefined ? undefined : { at, fire }; } };
  const errors: unknown[] = [];
  const set = new TimerSet(base, { now: () => now }, (e) => errors.push(e));
  return {
    set, errors, arms,
    armedAt: () => armed?.at,
    /** Runs the platform timer until `until`. */
    run(until: number) {
      while (armed && armed.at <= until) {
        now = Math.max(now, armed.at);
        const fire = armed.fire;
        armed = undefined;
        fire();
      }
      now = until;
    },
  };
}

test('the platform timer is armed for the earliest; each timer fires at its own time, once', () => {
  const r = rig();
  const fired: string[] = [];
  const a = r.set.timer();
  const b = r.set.timer();
  a.schedule(300, () => fired.push('a'));
  b.schedule(100, () => fired.push('b'));
  assert.equal(r.armedAt(), 100);
  r.run(200);
  assert.deepEqual(fired, ['b']);
  assert.equal(r.armedAt(), 300);
  r.run(1000);
  assert.deepEqual(fired, ['b', 'a']);
  assert.equal(r.armedAt(), undefined, 'nothing armed: the platform timer disarmed');
});

test('re-arming replaces, undefined disarms, a fire may re-arm itself or others (one platform arming per fire)', () => {
  const r = rig();
  const fired: number[] = [];
  const a = r.set.timer();
  const b = r.set.timer();
  a.schedule(100, () => fired.push(-1));
  a.schedule(150, () => fired.push(150));
  b.schedule(120, () => fired.push(0));
  b.schedule(undefined, () => {});
  const tick = (at: number): void => a.schedule(at, () => {
    fired.push(at);
    if (at < 400) tick(at + 100);
    b.schedule(at + 50, () => fired.push(-at));
  });
  a.schedule(150, () => {
    fired.push(150);
    tick(250);
  });
  const before = r.arms.length;
  r.run(150);
  assert.ok(r.arms.length - before <= 1, 'at most one arming after the fire, not one per schedule() inside it');
  r.run(1000);
  assert.deepEqual(fired, [150, 250, -250, 350, -350, 450, -450], "a and b alternate, each at its own time");
});

test('a fire that throws is reported; the others still fire', () => {
  const r = rig();
  const fired: string[] = [];
  r.set.timer().schedule(10, () => { throw new Error('app bug'); });
  r.set.timer().schedule(10, () => fired.push('other'));
  r.run(10);
  assert.deepEqual(fired, ['other']);
  assert.equal(String(r.errors[0]), 'Error: app bug');
});

test('re-arming a timer without changing the earliest time leaves the platform timer alone (its queued expiry stays valid)', () => {
  const r = rig();
  const agent = r.set.timer();
  const app = r.set.timer();
  agent.schedule(1000, () => {});
  const before = r.arms.length;
  for (let i = 0; i < 50; i++) {
    agent.schedule(1000, () => {}); // every turn re-arms the same deadline
    app.schedule(2000 + i, () => {});
  }
  assert.equal(r.arms.length, before, 'no re-arming while 1000 stays the earliest');
  agent.schedule(900, () => {});
  assert.equal(r.armedAt(), 900);
  let fired = false;
  agent.schedule(900, () => (fired = true));
  r.run(900);
  assert.ok(fired, 'the latest callback fires');
});
