/**
 * Key derivation for the IKE SA (RFC 7296 2.14) and its first CHILD SA (2.17).
 *   SKEYSEED = prf(Ni | Nr, g^ir)
 *   SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 *   KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr)   (g^ir only for a CHILD SA rekeyed with PFS, 2.17)
 * and a rekeyed IKE SA (2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old
 * IKE SA's PRF; the rest as in 2.14 with the new SPIs and the new SA's PRF.
 */
import { childKeymatLength, ikeKeymatLength, prfPlus, splitChildKeymat, splitIkeKeymat } from '../crypto/index.ts';
import type { ChildSaKeymat, EspSuite, IkeSaKeymat, IkeSuite, PrfAlgorithm } from '../crypto/index.ts';
import { concatBytes } from '../util/bytes.ts';

/** `rekeyOf`: the IKE SA a CREATE_CHILD_SA rekey replaces (its PRF and SK_d seed the new SKEYSEED). */
export function deriveIkeSaKeys(
  suite: IkeSuite,
  ni: Uint8Array,
  nr: Uint8Array,
  sharedSecret: Uint8Array,
  spiI: Uint8Array,
  spiR: Uint8Array,
  rekeyOf?: { prf: PrfAlgorithm; skD: Uint8Array },
): IkeSaKeymat {
  const skeyseed = rekeyOf ? rekeyOf.prf.compute(rekeyOf.skD, concatBytes(sharedSecret, ni, nr)) : suite.prf.compute(concatBytes(ni, nr), sharedSecret);
  const keymat = prfPlus(suite.prf, skeyseed, concatBytes(ni, nr, spiI, spiR), ikeKeymatLength(suite));
  return splitIkeKeymat(suite, keymat);
}

export function deriveChildSaKeys(prf: PrfAlgorithm, skD: Uint8Array, suite: EspSuite, ni: Uint8Array, nr: Uint8Array, pfsSecret?: Uint8Array): ChildSaKeymat {
  const seed = pfsSecret ? concatBytes(pfsSecret, ni, nr) : concatBytes(ni, nr);
  const keymat = prfPlus(prf, skD, seed, childKeymatLength(suite));
  return splitChildKeymat(suite, keymat);
}
