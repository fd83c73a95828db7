/**
 * What noble's first x25519 key costs in a bare XS worker: the computrons of the first and a later
 * getPublicKey, and the live slots the first one leaves behind (its cached base-point table),
 * from xsnap's heap figures around full gc() turns.
 */
import { bundleForXs } from '../bundle.ts';
import { XsWorker } from '../worker.ts';

const SOURCE = `import { x25519 } from '@noble/curves/ed25519.js';
const sk = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
globalThis.keygen = () => void x25519.getPublicKey(sk);
`;

export interface X25519FirstUse {
  firstCompute: number;
  laterCompute: number;
  /** Live slots after the first key minus before it (both right after gc()). */
  retainedSlots: number;
}

export async function x25519FirstUse(): Promise<X25519FirstUse> {
  const worker = await XsWorker.spawn({ name: 'ikelet-xs-x25519', onCommand: () => new Uint8Array(0) });
  try {
    await worker.evaluate(await bundleForXs({ contents: SOURCE }), 'load');
    const liveSlots = async () => {
      await worker.evaluate('gc()', 'gc');
      return worker.meter.memory?.currentHeapCount ?? NaN;
    };
    const before = await liveSlots();
    const first = await worker.evaluate('keygen()');
    const after = await liveSlots();
    const later = await worker.evaluate('keygen()');
    return { firstCompute: first.compute, laterCompute: later.compute, retainedSlots: after - before };
  } finally {
    await worker.close();
  }
}
