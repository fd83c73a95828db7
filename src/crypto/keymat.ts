/** Splits of prf+ output into the keys of an IKE SA (RFC 7296 2.14) and of a CHILD SA (RFC 7296 2.17). */
import type { EspSuite, IkeSuite } from './suites.ts';

export interface IkeSaKeymat {
  skD: Uint8Array;
  skAi: Uint8Array; // empty for AEAD suites
  skAr: Uint8Array;
  skEi: Uint8Array; // cipher key | salt
  skEr: Uint8Array;
  skPi: Uint8Array;
  skPr: Uint8Array;
}

export interface DirectionKeys {
  encr: Uint8Array; // cipher key | salt
  integ: Uint8Array; // empty for AEAD suites
}

export interface ChildSaKeymat {
  initiatorToResponder: DirectionKeys;
  responderToInitiator: DirectionKeys;
}

/** Bytes of prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) needed for SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr. */
export function ikeKeymatLength(suite: IkeSuite): number {
  return 3 * suite.prf.keyLength + 2 * (suite.integ?.keyLength ?? 0) + 2 * suite.encr.keyLength;
}

export function splitIkeKeymat(suite: IkeSuite, keymat: Uint8Array): IkeSaKeymat {
  if (keymat.length < ikeKeymatLength(suite)) throw new Error('IKE keymat too short');
  let at = 0;
  const take = (n: number): Uint8Array => keymat.slice(at, (at += n));
  const p = suite.prf.keyLength;
  const a = suite.integ?.keyLength ?? 0;
  const e = suite.encr.keyLength;
  return { skD: take(p), skAi: take(a), skAr: take(a), skEi: take(e), skEr: take(e), skPi: take(p), skPr: take(p) };
}

/** Bytes of KEYMAT = prf+(SK_d, [g^ir new |] Ni | Nr) for one ESP SA pair. */
export function childKeymatLength(suite: EspSuite): number {
  return 2 * (suite.encr.keyLength + (suite.integ?.keyLength ?? 0));
}

/** Initiator-to-responder keys come first; within a direction the encryption key precedes the integrity key. */
export function splitChildKeymat(suite: EspSuite, keymat: Uint8Array): ChildSaKeymat {
  if (keymat.length < childKeymatLength(suite)) throw new Error('CHILD SA keymat too short');
  let at = 0;
  const take = (n: number): Uint8Array => keymat.slice(at, (at += n));
  const e = suite.encr.keyLength;
  const a = suite.integ?.keyLength ?? 0;
  const initiatorToResponder = { encr: take(e), integ: take(a) };
  const responderToInitiator = { encr: take(e), integ: take(a) };
  return { initiatorToResponder, responderToInitiator };
}
