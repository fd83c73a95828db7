/**
 * The probe self-check against an in-process echo: every datagram comes back counted, and no
 * turn sends more than one datagram (a window of 1400-byte datagrams encrypted in one turn
 * held XS for 11 M computrons; bench:xs shows the per-turn figures).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Probe, type ProbeEvent } from '../../src/app/probe.ts';
import type { NetworkSockets } from '../../src/net/sockets/index.ts';
import type { UdpDatagramBuffer, UdpOptions } from '../../src/net/sockets/udp.ts';

const ECHO = '198.51.100.10';

/** An echo service behind a fake UDP class that answers when told to; `sentThisTurn` counts sends since the last reset. */
function echoTunnel(corruptN = -1) {
  let socket: UDP | undefined;
  const pending: Uint8Array[] = [];
  const state = { sentThisTurn: 0, maxPerTurn: 0 };
  class UDP {
    readonly inbox: UdpDatagramBuffer[] = [];
    constructor(readonly options: UdpOptions = {}) {
      socket = this;
    }
    read() {
      return this.inbox.shift();
    }
    write(payload: Uint8Array, addr: string, port: number) {
      assert.equal(`${addr}:${port}`, `${ECHO}:7`);
      state.sentThisTurn++;
      state.maxPerTurn = Math.max(state.maxPerTurn, state.sentThisTurn);
      const copy = payload.slice();
      if (copy[7] === corruptN) copy[copy.length - 1]! ^= 1;
      pending.push(copy);
    }
    close() {}
  }
  const sockets = { UDP, Resolver: class { resolve() { assert.fail('no DNS for an address target'); } } } as unknown as Pick<NetworkSockets, 'UDP' | 'Resolver'>;
  return {
    state,
    pending,
    sockets,
    /** Delivers the oldest pending echo as one turn. */
    echoOne(now: number) {
      state.sentThisTurn = 0;
      const d = pending.shift()!.buffer as UdpDatagramBuffer;
      d.address = ECHO;
      d.port = 7;
      socket!.inbox.push(d);
      socket!.options.onReadable!.call(socket as never, 1, now);
    },
  };
}

/** Runs the probe the way the runner does: a turn per timer deadline or per echo. */
function run(count: number, corruptN = -1) {
  const rig = echoTunnel(corruptN);
  const events: ProbeEvent[] = [];
  const probe = new Probe({ probeTarget: `${ECHO}:7`, probeCount: count, probeSize: 1400 }, rig.sockets, (e) => events.push(e));
  let now = 1000;
  probe.start(now);
  for (let turns = 0; turns < 10_000 && !events.some((e) => e.type === 'probe-result'); turns++) {
    const due = probe.deadline();
    if (due !== undefined && due <= now) {
      rig.state.sentThisTurn = 0;
      probe.onTimer(now);
    } else if (rig.pending.length) rig.echoOne(++now);
    else now = due ?? now + 1;
  }
  return { events, maxPerTurn: rig.state.maxPerTurn };
}

test('probe: 20 × 1400 B all echoed byte-exact, one datagram per turn at most', () => {
  const { events, maxPerTurn } = run(20);
  const result = events.find((e) => e.type === 'probe-result');
  assert.ok(result && result.type === 'probe-result');
  assert.deepEqual({ sent: result.sent, received: result.received, lost: result.lost, corrupted: result.corrupted }, { sent: 20, received: 20, lost: 0, corrupted: 0 });
  assert.equal(maxPerTurn, 1);
});

test('probe: a corrupted echo is counted as corrupted, not received', () => {
  const { events } = run(10, 3);
  const result = events.find((e) => e.type === 'probe-result');
  assert.ok(result && result.type === 'probe-result');
  assert.deepEqual({ received: result.received, corrupted: result.corrupted, lost: result.lost }, { received: 9, corrupted: 1, lost: 0 });
});
