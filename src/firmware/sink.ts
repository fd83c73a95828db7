/**
 * Where a downloaded image goes. The fetcher writes the bytes in order from the first, and calls
 * complete() only after the SHA-256 over the whole image matched the manifest; a sink must make
 * nothing bootable before that (the simulator's sink renames a file, the ESP32's ends its OTA).
 */
import type { Result } from '../util/result.ts';

export interface FirmwareImage {
  version: string;
  size: number;
  sha256: Uint8Array;
}

export interface FirmwareSink {
  begin(image: FirmwareImage): Result<void, string>;
  write(bytes: Uint8Array): Result<void, string>;
  /** `sha256` is the digest the fetcher computed; a sink may check it against begin()'s once more. */
  complete(sha256: Uint8Array): Result<void, string>;
  /** Drops what was written (a wrong digest, a changed image, an abandoned download). */
  cancel(): void;
}
