/** The SignatureCheck of chain.ts from the crypto backend: a certificate's signature by its issuer's key. */
import { ecdsaVerify, ed25519Verify, rsaVerify } from '../crypto/backend.ts';
import type { SignatureCheck } from './chain.ts';

export const checkSignature: SignatureCheck = (alg, key, message, signature) => {
  switch (alg.kind) {
    case 'ecdsa':
      return key.kind === 'ecdsa' && ecdsaVerify(key.curve, alg.hash, key.point, message, signature);
    case 'rsa-pkcs1':
      return key.kind === 'rsa' && rsaVerify(alg.hash, undefined, key.modulus, key.exponent, message, signature);
    case 'rsa-pss':
      return key.kind === 'rsa' && rsaVerify(alg.hash, alg.saltLength, key.modulus, key.exponent, message, signature);
    case 'ed25519':
      return key.kind === 'ed25519' && ed25519Verify(signature, message, key.key);
  }
};
