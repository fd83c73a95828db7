/**
 * The manifest's signature: Ed25519 (RFC 8032, strict encodings) over the canonical bytes of the
 * four fields the device acts on, never over re-serialised JSON:
 *
 *   "ikelet-firmware-v1\n" "version=" V "\n" "size=" decimal "\n" "sha256=" 64 lowercase hex "\n" "path=" P "\n"
 *
 * V and P are printable ASCII without newlines (parseManifest checks that), so each field set has
 * exactly one encoding. The verify is this one function so a native backend (PSA Crypto on the
 * ESP32) can replace noble here and nowhere else.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { toHex, utf8 } from '../util/bytes.ts';

export interface SignedFields {
  version: string;
  size: number;
  sha256: Uint8Array;
  path: string;
}

export function signedBytes(m: SignedFields): Uint8Array {
  return utf8(`ikelet-firmware-v1\nversion=${m.version}\nsize=${m.size}\nsha256=${toHex(m.sha256)}\npath=${m.path}\n`);
}

/** Whether `signature` is `publicKey`'s Ed25519 signature of `message`; false on any malformed input. */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
