/**
 * What one key pair costs in XS: the agent's src/crypto/dh.ts (noble's table-free paths) beside
 * noble's fixed-base getPublicKey, which builds and keeps a base-point table on first use.
 * Each runs in a fresh worker so its first call really is the program's first.
 */
import { bundleForXs } from '../bundle.ts';
import { XsScript } from '../script.ts';

export interface KeyPairCost {
  label: string;
  firstCompute: number;
  laterCompute: number;
  /** Live slots after the first key minus before it (both right after gc()). */
  retainedSlots: number;
}

const SK = "Uint8Array.from({ length: 32 }, (_, i) => i + 1)";
const WAYS: [label: string, source: string][] = [
  ['x25519, agent (Montgomery ladder)', `import { CURVE25519 } from './src/crypto/algorithms/x25519.ts'; const sk = ${SK}; globalThis.key = () => CURVE25519.fromPrivate(sk).publicKey.length;`],
  ['x25519, noble getPublicKey (base table)', `import { x25519 } from '@noble/curves/ed25519.js'; const sk = ${SK}; globalThis.key = () => x25519.getPublicKey(sk).length;`],
  ['ecp256, agent (uncached generator)', `import { ECP256 } from './src/crypto/algorithms/ecp256.ts'; const sk = ${SK}; globalThis.key = () => ECP256.fromPrivate(sk).publicKey.length;`],
  ['ecp256, noble getPublicKey (base table)', `import { p256 } from '@noble/curves/nist.js'; const sk = ${SK}; globalThis.key = () => p256.getPublicKey(sk, false).length;`],
  // Issue 22: the other curves, each with a private value of the size generate() draws. MODP is not
  // here: xsnap's metering of BigInt remainders kills the worker (test/e2e/gateway-cases.ts).
  ...([['ecp384', 'ECP384', 48], ['ecp521', 'ECP521', 66]] as const).map(([file, name, bytes]): [string, string] =>
    [`${file}, agent (uncached generator)`, `import { ${name} } from './src/crypto/algorithms/${file}.ts'; const sk = Uint8Array.from({ length: ${bytes} }, (_, i) => (i === 0 ? 1 : i)); globalThis.key = () => ${name}.fromPrivate(sk).publicKey.length;`]),
];

export async function keyPairCosts(): Promise<KeyPairCost[]> {
  const costs: KeyPairCost[] = [];
  for (const [label, source] of WAYS) {
    const xs = await XsScript.load(await bundleForXs({ contents: source }));
    try {
      const before = await xs.liveSlots();
      const first = await xs.call<number>('key()');
      const retainedSlots = (await xs.liveSlots()) - before;
      const later = await xs.call<number>('key()');
      costs.push({ label, firstCompute: first.compute, laterCompute: later.compute, retainedSlots });
    } finally {
      await xs.close();
    }
  }
  return costs;
}
