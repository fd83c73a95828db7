import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Automaton, DEFAULT_TIMING, type OptionsHandler, type State, type Verdict } from '../../src/ppp/automaton.ts';
import { type ConfigOption, encodeOptions, option } from '../../src/ppp/options.ts';
import { DropCounter, silentLogger } from '../../src/util/log.ts';

/** Option 1 is acceptable, option 2 gets a nak, option 3 a reject. */
class TestOptions implements OptionsHandler {
  resets = 0;
  echoReply?: (id: number, data: Uint8Array) => void;
  reset(): void { this.resets++; }
  request(): ConfigOption[] { return [option(1, [7])]; }
  judge(o: ConfigOption): Verdict {
    if (o.type === 1) return { kind: 'ack' };
    if (o.type === 2) return { kind: 'nak', data: Uint8Array.of(9) };
    return { kind: 'reject' };
  }
  peerAcked(): void {}
  acked(): void {}
  naked(): void {}
  rejected(): void {}
}

const SEND_NAMES: Record<number, string> = { 1: 'scr', 2: 'sca', 3: 'scn', 4: 'scn', 5: 'str', 6: 'sta', 7: 'scj', 10: 'ser' };

function harness(timing = DEFAULT_TIMING) {
  const actions: string[] = [];
  const sent: Uint8Array[] = [];
  const handler = new TestOptions();
  handler.echoReply = (id: number) => actions.push(`ser:${id}`);
  let now = 0;
  const a = new Automaton('TEST', handler, {
    send: (p) => {
      sent.push(p);
      actions.push(SEND_NAMES[p[0]!] ?? `code${p[0]}`);
    },
    thisLayerUp: () => actions.push('tlu'),
    thisLayerDown: () => actions.push('tld'),
    thisLayerStarted: () => actions.push('tls'),
    thisLayerFinished: () => actions.push('tlf'),
  }, timing, silentLogger(), new DropCounter(silentLogger()));
  const lastRequest = () => [...sent].reverse().find((p) => p[0] === 1);
  const pkt = (code: number, id: number, data: number[] | Uint8Array = []) => Uint8Array.of(code, id, 0, 4 + data.length, ...data);
  const fire = (event: string): void => {
    const req = lastRequest();
    const reqId = req ? req[1]! : 0;
    const reqData = req ? req.subarray(4) : new Uint8Array(0);
    switch (event) {
      case 'Up': return a.up(now);
      case 'Down': return a.down(now);
      case 'Open': return a.open(now);
      case 'Close': return a.close(now, 'test');
      case 'TO': {
        const d = a.deadline();
        assert.ok(d !== undefined, `timer running in ${a.state}`);
        now = d;
        return a.onTimer(now);
      }
      case 'RCR+': return a.input(pkt(1, 50, encodeOptions([option(1, [1])])), now);
      case 'RCR-': return a.input(pkt(1, 51, encodeOptions([option(2, [1])])), now);
      case 'RCA': return a.input(pkt(2, reqId, reqData), now);
      case 'RCN': return a.input(pkt(3, reqId, encodeOptions([option(1, [8])])), now);
      case 'RTR': return a.input(pkt(5, 60), now);
      case 'RTA': return a.input(pkt(6, 61), now);
      case 'RUC': return a.input(pkt(42, 62), now);
      case 'RXJ+': return a.input(pkt(7, 63, [42, 1, 0, 4]), now);
      case 'RXJ-': return a.input(pkt(7, 64, [1, 1, 0, 4]), now);
      case 'RXR': return a.echoRequest(65, Uint8Array.of(0, 0, 0, 0), now);
      default: throw new Error(event);
    }
  };
  return { a, actions, sent, handler, fire, clear: () => actions.splice(0) };
}

const REACH: Record<State, string[]> = {
  'Initial': [],
  'Starting': ['Open'],
  'Closed': ['Up'],
  'Stopped': ['Up', 'Open', 'RXJ-'],
  'Closing': ['Up', 'Open', 'Close'],
  'Stopping': ['Up', 'Open', 'RCA', 'RCR+', 'RTR'],
  'Req-Sent': ['Up', 'Open'],
  'Ack-Rcvd': ['Up', 'Open', 'RCA'],
  'Ack-Sent': ['Up', 'Open', 'RCR+'],
  'Opened': ['Up', 'Open', 'RCA', 'RCR+'],
};

// [state, event, visible actions, next state] straight from the RFC 1661 section 4.1 table
// (irc/zrc only touch counters and are not visible here).
const CASES: [State, string, string[], State][] = [
  ['Initial', 'Up', [], 'Closed'],
  ['Initial', 'Open', ['tls'], 'Starting'],
  ['Initial', 'Close', [], 'Initial'],
  ['Starting', 'Up', ['scr'], 'Req-Sent'],
  ['Starting', 'Close', ['tlf'], 'Initial'],
  ['Closed', 'Open', ['scr'], 'Req-Sent'],
  ['Closed', 'Down', [], 'Initial'],
  ['Closed', 'RCR+', ['sta'], 'Closed'],
  ['Closed', 'RCA', ['sta'], 'Closed'],
  ['Closed', 'RTR', ['sta'], 'Closed'],
  ['Closed', 'RUC', ['scj'], 'Closed'],
  ['Closed', 'RXJ-', ['tlf'], 'Closed'],
  ['Stopped', 'Down', ['tls'], 'Starting'],
  ['Stopped', 'Open', [], 'Stopped'],
  ['Stopped', 'Close', [], 'Closed'],
  ['Stopped', 'RCR+', ['scr', 'sca'], 'Ack-Sent'],
  ['Stopped', 'RCR-', ['scr', 'scn'], 'Req-Sent'],
  ['Stopped', 'RCN', ['sta'], 'Stopped'],
  ['Stopped', 'RTA', [], 'Stopped'],
  ['Closing', 'TO', ['str'], 'Closing'],
  ['Closing', 'RTA', ['tlf'], 'Closed'],
  ['Closing', 'RTR', ['sta'], 'Closing'],
  ['Closing', 'RCR+', [], 'Closing'],
  ['Closing', 'Open', [], 'Stopping'],
  ['Closing', 'Down', [], 'Initial'],
  ['Stopping', 'TO', ['tlf'], 'Stopped'], // zrc: the first timeout is already TO-
  ['Stopping', 'RTA', ['tlf'], 'Stopped'],
  ['Stopping', 'Close', [], 'Closing'],
  ['Stopping', 'Down', [], 'Starting'],
  ['Req-Sent', 'TO', ['scr'], 'Req-Sent'],
  ['Req-Sent', 'RCR+', ['sca'], 'Ack-Sent'],
  ['Req-Sent', 'RCR-', ['scn'], 'Req-Sent'],
  ['Req-Sent', 'RCA', [], 'Ack-Rcvd'],
  ['Req-Sent', 'RCN', ['scr'], 'Req-Sent'],
  ['Req-Sent', 'RTR', ['sta'], 'Req-Sent'],
  ['Req-Sent', 'RTA', [], 'Req-Sent'],
  ['Req-Sent', 'Close', ['str'], 'Closing'],
  ['Req-Sent', 'Down', [], 'Starting'],
  ['Req-Sent', 'RXJ+', [], 'Req-Sent'],
  ['Req-Sent', 'RXJ-', ['tlf'], 'Stopped'],
  ['Req-Sent', 'RXR', [], 'Req-Sent'],
  ['Ack-Rcvd', 'TO', ['scr'], 'Req-Sent'],
  ['Ack-Rcvd', 'RCR+', ['sca', 'tlu'], 'Opened'],
  ['Ack-Rcvd', 'RCR-', ['scn'], 'Ack-Rcvd'],
  ['Ack-Rcvd', 'RTR', ['sta'], 'Req-Sent'],
  ['Ack-Rcvd', 'RTA', [], 'Req-Sent'],
  ['Ack-Sent', 'TO', ['scr'], 'Ack-Sent'],
  ['Ack-Sent', 'RCR+', ['sca'], 'Ack-Sent'],
  ['Ack-Sent', 'RCR-', ['scn'], 'Req-Sent'],
  ['Ack-Sent', 'RCA', ['tlu'], 'Opened'],
  ['Ack-Sent', 'RCN', ['scr'], 'Ack-Sent'],
  ['Ack-Sent', 'RTR', ['sta'], 'Req-Sent'],
  ['Opened', 'RCR+', ['tld', 'scr', 'sca'], 'Ack-Sent'],
  ['Opened', 'RCR-', ['tld', 'scr', 'scn'], 'Req-Sent'],
  ['Opened', 'RTR', ['tld', 'sta'], 'Stopping'],
  ['Opened', 'RTA', ['tld', 'scr'], 'Req-Sent'],
  ['Opened', 'Close', ['tld', 'str'], 'Closing'],
  ['Opened', 'Down', ['tld'], 'Starting'],
  ['Opened', 'Open', [], 'Opened'],
  ['Opened', 'RUC', ['scj'], 'Opened'],
  ['Opened', 'RXJ+', [], 'Opened'],
  ['Opened', 'RXJ-', ['tld', 'str'], 'Stopping'],
  ['Opened', 'RXR', ['ser:65'], 'Opened'],
];

for (const [state, event, actions, next] of CASES) {
  test(`automaton: ${state} + ${event} -> ${actions.join(',') || '(none)'} / ${next}`, () => {
    const h = harness();
    for (const e of REACH[state]) h.fire(e);
    assert.equal(h.a.state, state, 'reached the starting state');
    h.clear();
    h.fire(event);
    assert.deepEqual(h.actions, actions);
    assert.equal(h.a.state, next);
  });
}

test('automaton: events RFC 1661 marks impossible are ignored', () => {
  const h = harness();
  h.fire('RCR+');
  h.fire('RTA');
  assert.equal(h.a.state, 'Initial');
  assert.deepEqual(h.actions, []);
});

test('automaton: unanswered Configure-Requests give up after max-configure and land in Stopped', () => {
  const h = harness({ ...DEFAULT_TIMING, maxConfigure: 4 });
  h.fire('Up');
  h.fire('Open');
  for (let i = 0; i < 4; i++) h.fire('TO');
  assert.deepEqual(h.actions, ['scr', 'scr', 'scr', 'scr', 'tlf']);
  assert.equal(h.a.state, 'Stopped');
  assert.equal(h.a.deadline(), undefined, 'timer stopped');
});

test('automaton: default timing sends 10 Configure-Requests 3 s apart, then Stopped at 30 s', () => {
  const h = harness();
  h.fire('Up');
  h.fire('Open');
  let t = 0;
  while (h.a.deadline() !== undefined) {
    t = h.a.deadline()!;
    h.fire('TO');
  }
  assert.equal(h.actions.filter((x) => x === 'scr').length, 10);
  assert.equal(t, 30_000);
  assert.equal(h.a.state, 'Stopped');
});

test('automaton: Closing sends max-terminate Terminate-Requests then finishes in Closed', () => {
  const h = harness();
  for (const e of REACH['Opened']) h.fire(e);
  h.clear();
  h.fire('Close');
  h.fire('TO');
  h.fire('TO');
  assert.deepEqual(h.actions, ['tld', 'str', 'str', 'tlf']);
  assert.equal(h.a.state, 'Closed');
});

test('automaton: after max-failure naks the offending options are rejected instead', () => {
  const h = harness({ ...DEFAULT_TIMING, maxFailure: 2 });
  h.fire('Up');
  h.fire('Open');
  h.clear();
  for (let i = 0; i < 3; i++) h.fire('RCR-');
  const codes = h.sent.slice(-3).map((p) => p[0]);
  assert.deepEqual(codes, [3, 3, 4], 'nak, nak, then reject');
  assert.deepEqual([...h.sent.at(-1)!.subarray(4)], [2, 3, 1], 'the reject carries the peer option as sent');
});

test('automaton: stale or mismatching Configure-Acks are discarded; replies reuse the request id', () => {
  const h = harness();
  h.fire('Up');
  h.fire('Open');
  const req = h.sent[0]!;
  h.a.input(Uint8Array.of(2, (req[1]! + 1) & 0xff, 0, 7, 1, 3, 7), 0);
  h.a.input(Uint8Array.of(2, req[1]!, 0, 7, 1, 3, 8), 0);
  assert.equal(h.a.state, 'Req-Sent');
  h.fire('RCR+');
  assert.equal(h.sent.at(-1)![1], 50, 'Configure-Ack echoes the request identifier');
  h.fire('RCA');
  assert.equal(h.a.state, 'Opened');
});

test('automaton: malformed packets and options are dropped without changing state', () => {
  const h = harness();
  for (const e of REACH['Opened']) h.fire(e);
  h.clear();
  for (const bad of [[], [1], [1, 1, 0], [1, 1, 0, 3], [1, 1, 0, 200], [1, 1, 0, 6, 1, 0], [1, 1, 0, 6, 1, 1], [1, 1, 0, 6, 1, 9]]) {
    h.a.input(Uint8Array.from(bad), 0);
  }
  assert.equal(h.a.state, 'Opened');
  assert.deepEqual(h.actions, []);
});
