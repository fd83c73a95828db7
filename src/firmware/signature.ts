/**
 * The manifest's signature: Ed25519 (RFC 8032, strict encodings) over the canonical bytes of the
 * four fields the device acts on, never over re-serialised JSON:
 *
 *   "ikelet-firmware-v1\n" "version=" V "\n" "size=" decimal "\n" "sha256=" 64 lowercase hex "\n" "path=" P "\n"
 *
 * V and P are printable ASCII without newlines (parseManifest checks that), so each field set has
 * exactly one encoding. The verify is the crypto backend's (noble's strict RFC 8032, or libsodium's
 * on a native build).
 */
import { toHex, utf8 } from '../util/bytes.ts';

export { ed25519Verify as verifyEd25519 } from '../crypto/backend.ts';

export interface SignedFields {
  version: string;
  size: number;
  sha256: Uint8Array;
  path: string;
}

export function signedBytes(m: SignedFields): Uint8Array {
  return utf8(`ikelet-firmware-v1\nversion=${m.version}\nsize=${m.size}\nsha256=${toHex(m.sha256)}\npath=${m.path}\n`);
}
