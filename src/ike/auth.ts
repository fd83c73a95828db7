/**
 * Pre-shared key authentication (RFC 7296 2.15):
 *   AUTH = prf(prf(PSK, "Key Pad for IKEv2"), <SignedOctets>)
 *   InitiatorSignedOctets = RealMessage1 | Nr | prf(SK_pi, RestOfInitIDPayload)
 *   ResponderSignedOctets = RealMessage2 | Ni | prf(SK_pr, RestOfRespIDPayload)
 * RestOfIDPayload is the ID payload body after the generic header: type | 3 reserved | data.
 */
import type { PrfAlgorithm } from '../crypto/index.ts';
import { constantTimeEqual } from '../crypto/index.ts';
import { concatBytes, utf8 } from '../util/bytes.ts';

const KEY_PAD = utf8('Key Pad for IKEv2');

/** Auth Method 2 in the AUTH payload: Shared Key Message Integrity Code. */
export const AUTH_METHOD_PSK = 2;

export function signedOctets(prf: PrfAlgorithm, realMessage: Uint8Array, peerNonce: Uint8Array, skP: Uint8Array, idBody: Uint8Array): Uint8Array {
  return concatBytes(realMessage, peerNonce, prf.compute(skP, idBody));
}

export function pskAuth(prf: PrfAlgorithm, psk: Uint8Array, octets: Uint8Array): Uint8Array {
  return prf.compute(prf.compute(psk, KEY_PAD), octets);
}

export function verifyPskAuth(prf: PrfAlgorithm, psk: Uint8Array, octets: Uint8Array, received: Uint8Array): boolean {
  return constantTimeEqual(pskAuth(prf, psk, octets), received);
}
