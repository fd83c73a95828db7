/**
 * The IKE SA as data (RFC 7296 2.14): SPIs, the negotiated suite, SK_* keys and the ciphers made
 * from them, whether NAT traversal is on, and — only until IKE_AUTH is done — what AUTH signs.
 * Message IDs and retransmission belong to the SA's TaskManager; behaviour belongs to tasks.
 * Key hygiene: the IKE_SA_INIT messages, nonces and SK_p* go once AUTH is done; everything is
 * zeroed when the SA is deleted or replaced. A rekeyed SA copies nothing from the old one but
 * what RFC 7296 2.18 derives its keys from.
 */
import { createAuthCipher, type AuthCipher, type IkeSaKeymat, type IkeSuite } from '../crypto/index.ts';
import type { KeyLog, Random } from '../platform.ts';
import { deriveIkeSaKeys } from './keys.ts';

/** What IKE_AUTH signs and verifies (RFC 7296 2.15); dropped when it has served. */
export interface AuthMaterial {
  /** The IKE_SA_INIT request exactly as last sent (with the COOKIE and final KE) and the response. */
  initRequest: Uint8Array;
  initResponse: Uint8Array;
  nonceI: Uint8Array;
  nonceR: Uint8Array;
}

export interface IkeSa {
  spiI: Uint8Array;
  /** All zero until the IKE_SA_INIT response names it. */
  spiR: Uint8Array;
  suite: IkeSuite | undefined;
  keys: IkeSaKeymat | undefined;
  cipherOut: AuthCipher | undefined; // SK_ei / SK_ai
  cipherIn: AuthCipher | undefined; // SK_er / SK_ar
  /** IKE and ESP move to port 4500 (RFC 7296 2.23). */
  natT: boolean;
  /** The gateway said MOBIKE_SUPPORTED in IKE_AUTH (RFC 4555): a new link moves this SA with UPDATE_SA_ADDRESSES. */
  mobike: boolean;
  auth: AuthMaterial | undefined;
  /**
   * The gateway proved who it is: its AUTH verified on this SA, or this SA is the rekey of one
   * where it did. Until then its requests are dropped (anyone who answered IKE_SA_INIT holds the keys).
   */
  peerAuthenticated: boolean;
  /** Both sides sent IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383): big protected messages go as fragments. */
  fragmentation: boolean;
}

/** A new IKE SA before IKE_SA_INIT: only our SPI. */
export function newIkeSa(spiI: Uint8Array): IkeSa {
  return { spiI, spiR: new Uint8Array(8), suite: undefined, keys: undefined, cipherOut: undefined, cipherIn: undefined, natT: false, mobike: false, auth: undefined, peerAuthenticated: false, fragmentation: false };
}

/** Installs the keys of a completed key exchange (IKE_SA_INIT, or an IKE rekey) and logs them if asked. */
export function keyIkeSa(
  sa: IkeSa,
  k: { suite: IkeSuite; spiR: Uint8Array; nonceI: Uint8Array; nonceR: Uint8Array; sharedSecret: Uint8Array; rekeyOf?: IkeSa },
  random: Random,
  keyLog?: KeyLog,
): void {
  const { suite } = k;
  const old = k.rekeyOf;
  const keys = deriveIkeSaKeys(suite, k.nonceI, k.nonceR, k.sharedSecret, sa.spiI, k.spiR, old ? { prf: old.suite!.prf, skD: old.keys!.skD } : undefined);
  k.sharedSecret.fill(0);
  const cipher = (encrKey: Uint8Array, integKey: Uint8Array): AuthCipher =>
    suite.integ ? createAuthCipher({ encr: suite.encr, encrKey, integ: suite.integ, integKey, random }) : createAuthCipher({ encr: suite.encr, encrKey, random });
  keyLog?.ikeSa({
    spiI: sa.spiI, spiR: k.spiR, skEi: keys.skEi, skEr: keys.skEr, skAi: keys.skAi, skAr: keys.skAr,
    encryption: suite.encr.name, integrity: suite.integ?.name ?? 'none',
  });
  sa.spiR = k.spiR;
  sa.suite = suite;
  sa.keys = keys;
  sa.cipherOut = cipher(keys.skEi, keys.skAi);
  sa.cipherIn = cipher(keys.skEr, keys.skAr);
  // The ciphers hold their own copies: only SK_d (rekeys) and SK_p* (AUTH) are needed from here on.
  for (const k2 of [keys.skAi, keys.skAr, keys.skEi, keys.skEr]) k2.fill(0);
}

/** AUTH is done: the IKE_SA_INIT messages, the nonces and SK_pi/SK_pr are of no further use. */
export function dropAuthMaterial(sa: IkeSa): void {
  const a = sa.auth;
  if (a) for (const b of [a.initRequest, a.initResponse, a.nonceI, a.nonceR]) b.fill(0);
  sa.auth = undefined;
  if (sa.keys) {
    sa.keys.skPi.fill(0);
    sa.keys.skPr.fill(0);
  }
}

/** The SA is deleted or replaced: every key it holds is zeroed. */
export function wipeIkeSa(sa: IkeSa): void {
  dropAuthMaterial(sa);
  sa.keys?.skD.fill(0);
  sa.cipherIn?.wipe();
  sa.cipherOut?.wipe();
  sa.keys = undefined;
  sa.cipherIn = sa.cipherOut = undefined;
}
