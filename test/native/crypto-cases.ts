/**
 * Cases for the crypto backends (src/crypto/backend-api.ts), run the same way by Node on noble and
 * by the Linux twin on the native module (test/native/crypto-main.ts): each case names a primitive
 * and its inputs in hex, and its result is the output in hex, 'refused' (undefined from the backend)
 * or 'threw: ...'. No Node API here: the twin bundles this file.
 */
import type { CryptoBackend } from '../../src/crypto/backend-api.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';

export type CryptoCase =
  | { op: 'seal' | 'open'; aead: 'gcm' | 'chacha'; key: string; nonce: string; aad: string; data: string }
  | { op: 'cbc-encrypt' | 'cbc-decrypt'; key: string; iv: string; data: string }
  | { op: 'hmac'; hash: 1 | 256 | 384 | 512; key: string; data: string; length?: number }
  | { op: 'hash'; hash: 'sha1' | 'sha256' | 'md5'; data: string }
  | { op: 'sha256-stream'; pieces: string[] }
  | { op: 'x25519-public' | 'p256-public'; secret: string }
  | { op: 'x25519-shared' | 'p256-shared'; secret: string; peer: string }
  | { op: 'wiped-shared'; group: 'x25519' | 'p256'; secret: string; peer: string }
  | { op: 'ed25519-verify'; signature: string; message: string; publicKey: string }
  // Issue 22 (suites): P-384/P-521 and the MODP groups.
  | { op: 'ecp-public'; curve: 384 | 521; secret: string }
  | { op: 'ecp-shared' | 'ecp-wiped-shared'; curve: 384 | 521; secret: string; peer: string }
  | { op: 'modp-public'; group: 14 | 15 | 16; secret: string }
  | { op: 'modp-shared'; group: 14 | 15 | 16; secret: string; peer: string };

/** What a backend module exports (backend.ts, native/backend.ts). */
export type Backend = Omit<CryptoBackend, 'BACKEND'>;

function run(b: Backend, c: CryptoCase): Uint8Array | undefined {
  switch (c.op) {
    case 'seal':
    case 'open': {
      const k = (c.aead === 'gcm' ? b.aesGcmKey : b.chacha20Poly1305Key)(fromHex(c.key));
      const out = c.op === 'seal' ? k.seal(fromHex(c.nonce), fromHex(c.aad), fromHex(c.data)) : k.open(fromHex(c.nonce), fromHex(c.aad), fromHex(c.data));
      k.wipe();
      return out;
    }
    case 'cbc-encrypt':
    case 'cbc-decrypt': {
      const k = b.aesCbcKey(fromHex(c.key));
      const out = c.op === 'cbc-encrypt' ? k.encrypt(fromHex(c.iv), fromHex(c.data)) : k.decrypt(fromHex(c.iv), fromHex(c.data));
      k.wipe();
      return out;
    }
    case 'hmac': {
      const key = fromHex(c.key);
      const k = { 1: b.hmacSha1Key, 256: b.hmacSha256Key, 384: b.hmacSha384Key, 512: b.hmacSha512Key }[c.hash](key, c.length);
      const first = k.digest(fromHex(c.data));
      const second = k.digest(fromHex(c.data)); // the key serves many messages
      k.wipe();
      return toHex(first) === toHex(second) ? first : fromHex('ff');
    }
    case 'hash':
      return b[c.hash](fromHex(c.data));
    case 'sha256-stream': {
      const h = b.sha256Stream();
      for (const p of c.pieces) h.update(fromHex(p));
      return h.digest();
    }
    case 'x25519-public':
      return b.x25519Key(fromHex(c.secret)).publicKey;
    case 'p256-public':
      return b.p256Key(fromHex(c.secret))?.publicKey;
    case 'x25519-shared':
      return b.x25519Key(fromHex(c.secret)).shared(fromHex(c.peer));
    case 'p256-shared':
      return b.p256Key(fromHex(c.secret))?.shared(fromHex(c.peer));
    case 'ed25519-verify':
      return Uint8Array.of(b.ed25519Verify(fromHex(c.signature), fromHex(c.message), fromHex(c.publicKey)) ? 1 : 0);
    case 'wiped-shared': {
      const k = c.group === 'x25519' ? b.x25519Key(fromHex(c.secret)) : b.p256Key(fromHex(c.secret))!;
      k.wipe();
      return k.shared(fromHex(c.peer));
    }
    case 'ecp-public':
      return (c.curve === 384 ? b.p384Key : b.p521Key)(fromHex(c.secret))?.publicKey;
    case 'ecp-shared':
      return (c.curve === 384 ? b.p384Key : b.p521Key)(fromHex(c.secret))?.shared(fromHex(c.peer));
    case 'ecp-wiped-shared': {
      const k = (c.curve === 384 ? b.p384Key : b.p521Key)(fromHex(c.secret))!;
      k.wipe();
      return k.shared(fromHex(c.peer));
    }
    case 'modp-public':
      return b.modpKey(c.group, fromHex(c.secret)).publicKey;
    case 'modp-shared':
      return b.modpKey(c.group, fromHex(c.secret)).shared(fromHex(c.peer));
  }
}

export function runCase(b: Backend, c: CryptoCase): string {
  try {
    const out = run(b, c);
    return out === undefined ? 'refused' : toHex(out);
  } catch (e) {
    return `threw: ${(e as Error).message}`;
  }
}
