/**
 * The firmware server's update manifest: a small JSON object naming the image, signed.
 *   {"version": "1.2.0", "size": 1048576, "sha256": "<64 hex digits>", "path": "/firmware/image-1.2.0.bin",
 *    "key": "<64 hex digits: the signer's Ed25519 public key>", "signature": "<128 hex digits>"}
 * It is untrusted input: bounded in size, every field checked; the fetcher acts on it only once
 * `signature` verifies (signature.ts: over the canonical bytes of version, size, sha256 and path)
 * with a key of the config's `firmwareKeys`; the image is trusted only once its SHA-256 over every
 * byte matches `sha256`.
 */
import { fromHex } from '../util/bytes.ts';
import { err, ok, type Result } from '../util/result.ts';
import type { SignedFields } from './signature.ts';

export interface FirmwareManifest extends SignedFields {
  /** Absent in an unsigned manifest (which the fetcher refuses). */
  key: Uint8Array | undefined;
  signature: Uint8Array | undefined;
}

const VERSION = /^[0-9A-Za-z.+-]{1,32}$/;
const PATH = /^\/[\x21-\x7e]{0,254}$/;
const hexOf = (v: unknown, bytes: number) => (typeof v === 'string' && v.length === bytes * 2 && /^[0-9a-fA-F]*$/.test(v) ? fromHex(v) : undefined);

export function parseManifest(text: string, maxImage: number): Result<FirmwareManifest, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return err('not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return err('not a JSON object');
  const m = value as Record<string, unknown>;
  if (typeof m.version !== 'string' || !VERSION.test(m.version)) return err('version: expected 1..32 of [0-9A-Za-z.+-]');
  if (typeof m.size !== 'number' || !Number.isInteger(m.size) || m.size < 1 || m.size > maxImage) return err(`size: expected an integer 1..${maxImage}`);
  if (typeof m.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(m.sha256)) return err('sha256: expected 64 hex digits');
  if (typeof m.path !== 'string' || !PATH.test(m.path)) return err('path: expected an absolute path');
  const key = hexOf(m.key, 32);
  const signature = hexOf(m.signature, 64);
  if ((m.key !== undefined && !key) || (m.signature !== undefined && !signature)) return err('key, signature: expected 64 and 128 hex digits');
  return ok({ version: m.version, size: m.size, sha256: fromHex(m.sha256), path: m.path, key, signature });
}
