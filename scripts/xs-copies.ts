/**
 * Byte copies that XS makes in place.
 *
 * noble copies its inputs with `Uint8Array.from(abytes(bytes))` (copyBytes in each package's
 * utils.js; Poly1305 copies every message it authenticates). XS's `TypedArray.from` goes through
 * the iterator: it first collects every element into a list of 16-byte slots, so authenticating a
 * 1400-byte ESP packet held 1,433 slots (23 KB) at once, the largest part of the agent's smallest
 * heap. `new Uint8Array(u8)` copies the bytes directly (a memcpy in XS) and returns the same thing
 * for the Uint8Array that abytes() has just checked. The plugin rewrites that one statement in the
 * device bundle and fails the build when a noble version no longer has it, so the saving cannot
 * silently go away.
 */
import type { Plugin } from 'esbuild';
import fs from 'node:fs';

const COPY_FROM = 'return Uint8Array.from(abytes(bytes));';
const COPY_NEW = 'return new Uint8Array(abytes(bytes)); // ikelet (scripts/xs-copies.ts): a direct copy in XS';
const NOBLE_UTILS = /[\\/]node_modules[\\/]@noble[\\/](ciphers|curves|hashes)[\\/]utils\.js$/;

/** noble's utils.js with copyBytes made a direct copy; throws when the statement is not there. */
export function directCopies(source: string, file: string): string {
  if (!source.includes(COPY_FROM)) throw new Error(`${file}: copyBytes no longer reads "${COPY_FROM}"; update scripts/xs-copies.ts`);
  return source.replace(COPY_FROM, COPY_NEW);
}

/** esbuild plugin for every device bundle. */
export const xsDirectCopies: Plugin = {
  name: 'ikelet-xs-direct-copies',
  setup(b) {
    b.onLoad({ filter: NOBLE_UTILS }, (args) => ({ contents: directCopies(fs.readFileSync(args.path, 'utf8'), args.path), loader: 'js' }));
  },
};
