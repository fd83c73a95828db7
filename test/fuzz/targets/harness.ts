/** Pieces the stateful targets share: driving a layer's timers, and keeping the fake network from hoarding. */
import { Logger } from '../../../src/util/log.ts';
import type { FakeNetwork } from '../../unit/fake-ecma419.ts';
import { violated } from '../target.ts';

/** Runs a layer's due turns at `now`, as a host does; a deadline that does not move on is a busy loop. */
export function runDue(layer: { deadline(): number | undefined; onTimer(now: number): void }, now: number, name: string): void {
  for (let turns = 0; ; turns++) {
    const d = layer.deadline();
    if (d === undefined || d > now) return;
    violated(turns < 100, `busy loop: the ${name}'s deadline does not move`);
    layer.onTimer(now);
  }
}

/** A logger that keeps the "internal error" lines of a client (an exception it caught inside) in `into`. */
export function internalErrorLog(component: string, into: string[]): Logger {
  return new Logger((level, _c, message) => {
    if (level === 'error' && message.startsWith('internal error')) into.push(message);
  }, component, 'error');
}

/** The fake network keeps every socket and every byte written: the harness forgets them (the client must not need them). */
export function forgetHistory(net: FakeNetwork): void {
  for (let i = net.sockets.length - 1; i >= 0; i--) {
    const socket = net.sockets[i]!;
    socket.written.length = 0;
    if (!socket.open && net.sockets.length > 1) net.sockets.splice(i, 1);
  }
}
