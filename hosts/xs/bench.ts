/**
 * `npm run bench:xs`: computrons of the crypto primitives in XS (xsnap), bundled with the
 * device target. Computrons count XS work identically on every machine, so they compare
 * runs and builds; they are printed, never asserted. First calls include lazy table setup.
 */
import { bundleForXs } from './bundle.ts';
import { XsScript } from './script.ts';

const CASES: [string, string][] = [
  ['x25519 keygen + shared secret (first call)', 'bench.x25519KeygenAndShared()'],
  ['x25519 keygen + shared secret', 'bench.x25519KeygenAndShared()'],
  ['AES-128-GCM encrypt 1400 B (fresh key)', 'bench.aes128gcm1400()'],
  ['ChaCha20-Poly1305 encrypt 1400 B', 'bench.chacha20poly1305_1400()'],
  ['HMAC-SHA256 of 64 B', 'bench.hmacSha256_64()'],
  ['HMAC-SHA256 of 1400 B', 'bench.hmacSha256_1400()'],
];

const xs = await XsScript.load(await bundleForXs({ entry: 'hosts/xs/fixtures/crypto-smoke.ts' }));
console.log('computrons per call (XS via @agoric/xsnap, target es2020)');
for (const [label, expr] of CASES) {
  const { compute } = await xs.call<number>(expr);
  console.log(`${label.padEnd(46)} ${compute.toLocaleString('en-US').padStart(12)}`);
}
await xs.close();
