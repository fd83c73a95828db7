/**
 * Signing a firmware manifest (the signer's side of src/firmware/signature.ts), with noble only, so
 * the signing tool, the lab's firmware server and the tests in Node or XS sign alike.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { signedBytes, type SignedFields } from '../src/firmware/signature.ts';
import { parseSemVer } from '../src/firmware/version.ts';
import { fromHex, toHex } from '../src/util/bytes.ts';

export interface SignedManifest {
  version: string;
  size: number;
  sha256: string;
  path: string;
  key: string;
  signature: string;
}

/** The public key (hex) of a 32-byte Ed25519 secret key (hex). */
export const publicKeyOf = (secretHex: string): string => toHex(ed25519.getPublicKey(fromHex(secretHex)));

/** The manifest of an image: its fields, the signer's public key and the signature over the canonical bytes. */
export function signManifest(fields: { version: string; path: string; image: Uint8Array }, secretHex: string): SignedManifest {
  return signFields({ version: fields.version, size: fields.image.length, sha256: sha256(fields.image), path: fields.path }, secretHex);
}

/** The signed manifest of the fields as given (a test server's manifest for an image it makes up). */
export function signFields(fields: SignedFields, secretHex: string): SignedManifest {
  if (!parseSemVer(fields.version)) throw new Error(`version ${fields.version}: not SemVer 2.0 (the device refuses it)`);
  const secret = fromHex(secretHex);
  return { ...fields, sha256: toHex(fields.sha256), key: toHex(ed25519.getPublicKey(secret)), signature: toHex(ed25519.sign(signedBytes(fields), secret)) };
}
