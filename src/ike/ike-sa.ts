/**
 * The IKE SA once IKE_SA_INIT is done: SPIs, negotiated suite, SK_* keys and their ciphers,
 * both message ID counters, and what IKE_AUTH needs to sign (RFC 7296 2.14, 2.15).
 */
import { createAuthCipher, type AuthCipher, type IkeSaKeymat, type IkeSuite } from '../crypto/index.ts';
import type { KeyLog, Random } from '../platform.ts';
import { encodeMessage, type Payload } from './codec/index.ts';
import { deriveIkeSaKeys } from './keys.ts';
import type { AuthContext } from './tasks/ike-auth.ts';
import type { IkeSaInitTask, InitOutcome } from './tasks/ike-sa-init.ts';

export interface IkeSa {
  spiI: Uint8Array;
  spiR: Uint8Array;
  suite: IkeSuite;
  keys: IkeSaKeymat;
  cipherOut: AuthCipher; // SK_ei / SK_ai
  cipherIn: AuthCipher; // SK_er / SK_ar
  /** IKE (and ESP) move to port 4500 (RFC 7296 2.23). */
  natT: boolean;
  nextId: number; // our next request
  peerNextId: number; // the gateway's next request
  lastAnswer?: { messageId: number; wire: Uint8Array };
  auth: AuthContext;
}

type Done = Extract<InitOutcome, { kind: 'done' }>;

export function createIkeSa(task: IkeSaInitTask, out: Done, initRequest: Uint8Array, initResponse: Uint8Array, random: Random, keyLog?: KeyLog): IkeSa {
  const { suite } = out;
  const keys = deriveIkeSaKeys(suite, task.nonceI, out.nonceR, out.sharedSecret, task.spiI, out.spiR);
  const natT = out.nat !== undefined && (out.nat.localBehindNat || out.nat.remoteBehindNat);
  const auth = { prf: suite.prf, skPi: keys.skPi, skPr: keys.skPr, initRequest, initResponse, nonceI: task.nonceI, nonceR: out.nonceR };
  return ikeSaFromKeys({ spiI: task.spiI, spiR: out.spiR, suite, keys, natT, nextId: 1, auth }, random, keyLog);
}

/** The IKE SA that replaces `old` after our CREATE_CHILD_SA rekey (RFC 7296 2.18): we initiated, so we stay the original initiator. */
export function rekeyedIkeSa(old: IkeSa, suite: IkeSuite, spiI: Uint8Array, spiR: Uint8Array, ni: Uint8Array, nr: Uint8Array, sharedSecret: Uint8Array, random: Random, keyLog?: KeyLog): IkeSa {
  const keys = deriveIkeSaKeys(suite, ni, nr, sharedSecret, spiI, spiR, { prf: old.suite.prf, skD: old.keys.skD });
  // Message IDs start again at 0 in the new IKE SA.
  return ikeSaFromKeys({ spiI, spiR, suite, keys, natT: old.natT, nextId: 0, auth: old.auth }, random, keyLog);
}

function ikeSaFromKeys(
  f: { spiI: Uint8Array; spiR: Uint8Array; suite: IkeSuite; keys: IkeSaKeymat; natT: boolean; nextId: number; auth: AuthContext },
  random: Random,
  keyLog?: KeyLog,
): IkeSa {
  const { suite, keys } = f;
  const cipher = (encrKey: Uint8Array, integKey: Uint8Array): AuthCipher =>
    suite.integ ? createAuthCipher({ encr: suite.encr, encrKey, integ: suite.integ, integKey, random }) : createAuthCipher({ encr: suite.encr, encrKey, random });
  keyLog?.ikeSa({
    spiI: f.spiI, spiR: f.spiR, skEi: keys.skEi, skEr: keys.skEr, skAi: keys.skAi, skAr: keys.skAr,
    encryption: suite.encr.name, integrity: suite.integ?.name ?? 'none',
  });
  return {
    spiI: f.spiI, spiR: f.spiR, suite, keys,
    cipherOut: cipher(keys.skEi, keys.skAi), cipherIn: cipher(keys.skEr, keys.skAr),
    natT: f.natT, nextId: f.nextId, peerNextId: 0, auth: f.auth,
  };
}

/** A message of this IKE SA with everything inside SK; we are the original initiator (I flag). */
export function encodeProtected(sa: IkeSa, exchange: number, messageId: number, response: boolean, payloads: Payload[]): Uint8Array {
  return encodeMessage({ spiI: sa.spiI, spiR: sa.spiR, exchange, initiator: true, response, messageId, payloads: [], encrypted: payloads }, sa.cipherOut);
}
