/** AES-CBC, 128, 192 and 256 bit keys (RFC 3602); needs an integrity transform. */
import { aesCbcKey } from '../backend.ts';
import { aesCbc } from '../encr.ts';

// RFC 3602 case 1 ("Single block msg"); NIST SP 800-38A F.2.5, first block.
export const AES128_CBC = /* @__PURE__ */ aesCbc(128, aesCbcKey, { key: '06a9214036b8a15b512e03d534120006', iv: '3dafba429d9eb430b422da802c9fac41', plaintext: '53696e676c6520626c6f636b206d7367', ciphertext: 'e353779c1079aeb82708942dbe77181a' });
export const AES256_CBC = /* @__PURE__ */ aesCbc(256, aesCbcKey, { key: '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4', iv: '000102030405060708090a0b0c0d0e0f', plaintext: '6bc1bee22e409f96e93d7e117393172a', ciphertext: 'f58c4c04d6e5f1ba779eabfb5f7bfbd6' });
// NIST SP 800-38A F.2.3, first block.
export const AES192_CBC = /* @__PURE__ */ aesCbc(192, aesCbcKey, { key: '8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b', iv: '000102030405060708090a0b0c0d0e0f', plaintext: '6bc1bee22e409f96e93d7e117393172a', ciphertext: '4f021db243bc633d7178183a9fa071e8' });
