/**
 * XS side, bench only: the first `count` 'stop' commands from the Node host run xsnap's gc()
 * instead of stopping the agent, so the heap figures xsnap reports after such a turn are the live
 * set. Later 'stop' commands reach the agent as usual. Installed after installXsHost (lab-run.ts).
 */
import { ToXs } from '../protocol.ts';

declare const gc: () => void;

export function gcOnFirstStops(count: number): void {
  const g = globalThis as { handleCommand?: (m: ArrayBuffer) => ArrayBuffer };
  const agentHandler = g.handleCommand!;
  let left = count;
  g.handleCommand = (buffer) => {
    if (left > 0 && new Uint8Array(buffer)[0] === ToXs.stop) {
      left--;
      gc();
      return new ArrayBuffer(0);
    }
    return agentHandler(buffer);
  };
}
