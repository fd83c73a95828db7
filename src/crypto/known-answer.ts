/**
 * Known-answer checks of the backend's primitives (hex inputs and answers, each descriptor's
 * `knownAnswer`, frozen data so that it stays in flash), run at boot by self-test.ts. Each returns false when the answer
 * is wrong, a refusal is missing, or the backend throws.
 */
import type { AeadKey, CbcKey, MacKey } from './backend-api.ts';
import { fromHex, toHex } from '../util/bytes.ts';

export interface AeadAnswer { key: string; nonce: string; aad: string; plaintext: string; sealed: string }
export interface CbcAnswer { key: string; iv: string; plaintext: string; ciphertext: string }
export interface MacAnswer { key: string; data: string; mac: string }
/** `degenerate`: a peer value the group must refuse. */
export interface DhAnswer { secret: string; publicKey: string; peer: string; shared: string; degenerate: string }

/** check(), false when it throws. */
export function holds(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

/** Seals to the answer, opens it back, and refuses it tampered. */
export function aeadAnswers(make: (key: Uint8Array) => AeadKey, a: AeadAnswer): boolean {
  return holds(() => {
    const k = make(fromHex(a.key));
    const [nonce, aad] = [fromHex(a.nonce), fromHex(a.aad)];
    const sealed = k.seal(nonce, aad, fromHex(a.plaintext));
    const tampered = sealed.slice();
    tampered[0]! ^= 1;
    const ok = toHex(sealed) === a.sealed && toHex(k.open(nonce, aad, sealed) ?? new Uint8Array(0)) === a.plaintext && k.open(nonce, aad, tampered) === undefined;
    k.wipe();
    return ok;
  });
}

export function cbcAnswers(make: (key: Uint8Array) => CbcKey, a: CbcAnswer): boolean {
  return holds(() => {
    const k = make(fromHex(a.key));
    const ok = toHex(k.encrypt(fromHex(a.iv), fromHex(a.plaintext))) === a.ciphertext && toHex(k.decrypt(fromHex(a.iv), fromHex(a.ciphertext)) ?? new Uint8Array(0)) === a.plaintext;
    k.wipe();
    return ok;
  });
}

export function macAnswers(make: (key: Uint8Array) => MacKey, a: MacAnswer): boolean {
  return holds(() => {
    const k = make(fromHex(a.key));
    const ok = toHex(k.digest(fromHex(a.data))) === a.mac;
    k.wipe();
    return ok;
  });
}

/** The public value and the shared secret are the answers, and the degenerate peer value is refused. */
/** What a group's fromPrivate() gives (dh.ts DhKeyPair, which imports this file's types). */
interface KeyPair { readonly publicKey: Uint8Array; computeShared(peer: Uint8Array): Uint8Array | undefined; wipe(): void }

export function dhAnswers(fromPrivate: (secret: Uint8Array) => KeyPair, a: DhAnswer): boolean {
  return holds(() => {
    const k = fromPrivate(fromHex(a.secret));
    const ok = toHex(k.publicKey) === a.publicKey && toHex(k.computeShared(fromHex(a.peer)) ?? new Uint8Array(0)) === a.shared && k.computeShared(fromHex(a.degenerate)) === undefined;
    k.wipe();
    return ok;
  });
}
