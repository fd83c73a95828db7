/**
 * The firmware server's update manifest: a small JSON object naming the image.
 *   {"version": "1.2.0", "size": 1048576, "sha256": "<64 hex digits>", "path": "/firmware/image-1.2.0.bin"}
 * It is untrusted input: bounded in size, every field checked; the image itself is trusted only
 * once its SHA-256 over every byte matches `sha256`.
 */
import { fromHex } from '../util/bytes.ts';
import { err, ok, type Result } from '../util/result.ts';

export interface FirmwareManifest {
  version: string;
  size: number;
  sha256: Uint8Array;
  path: string;
}

const VERSION = /^[0-9A-Za-z.+-]{1,32}$/;
const PATH = /^\/[\x21-\x7e]{0,254}$/;

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
  return ok({ version: m.version, size: m.size, sha256: fromHex(m.sha256), path: m.path });
}

/** Whether `candidate` is newer than `running`: dotted numbers compared numerically, otherwise any difference. */
export function isNewer(candidate: string, running: string): boolean {
  const dotted = /^\d+(\.\d+)*$/;
  if (!dotted.test(candidate) || !dotted.test(running)) return candidate !== running;
  const a = candidate.split('.').map(Number);
  const b = running.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return false;
}
