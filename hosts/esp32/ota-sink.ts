/**
 * The ESP32's firmware sink: Moddable's OTA module (build/devices/esp32/modules/ota in the SDK,
 * imported as "ota"): `new OTA()` begins an update of the next OTA partition, `write()` appends,
 * `complete()` ends it and makes it the boot partition, `cancel()` abandons it. Each of them throws
 * on a flash error, so every call is caught here and becomes a Result.
 *
 * complete() is called only when the fetcher's SHA-256 matched; this sink checks once more that
 * the digest and the byte count are the manifest's, so no wrong image is ever made bootable.
 */
import type { FirmwareImage, FirmwareSink } from '../../src/firmware/sink.ts';
import { err, ok, type Result } from '../../src/util/result.ts';

/** The shape of Moddable's `ota` module class. */
export interface OtaUpdate {
  write(data: ArrayBuffer | ArrayBufferView): void;
  complete(): void;
  cancel(): void;
}
export type OtaClass = new () => OtaUpdate;

export class OtaSink implements FirmwareSink {
  private update: OtaUpdate | undefined;
  private image: FirmwareImage | undefined;
  private written = 0;

  constructor(private readonly OTA: OtaClass) {}

  begin(image: FirmwareImage): Result<void, string> {
    this.cancel();
    try {
      this.update = new this.OTA();
    } catch (e) {
      return err(`OTA begin: ${String(e)}`);
    }
    this.image = image;
    this.written = 0;
    return ok(undefined);
  }

  write(bytes: Uint8Array): Result<void, string> {
    if (!this.update || !this.image) return err('OTA write without begin');
    if (this.written + bytes.length > this.image.size) return err('OTA write past the image size');
    try {
      this.update.write(bytes);
    } catch (e) {
      return err(`OTA write: ${String(e)}`);
    }
    this.written += bytes.length;
    return ok(undefined);
  }

  complete(sha256: Uint8Array): Result<void, string> {
    const image = this.image;
    if (!this.update || !image) return err('OTA complete without begin');
    if (this.written !== image.size || !sameDigest(sha256, image.sha256)) {
      this.cancel();
      return err('OTA refused: size or digest differs from the manifest');
    }
    try {
      this.update.complete();
    } catch (e) {
      this.cancel();
      return err(`OTA complete: ${String(e)}`);
    }
    this.update = undefined;
    this.image = undefined;
    return ok(undefined);
  }

  cancel(): void {
    try {
      this.update?.cancel();
    } catch {
      /* nothing more to undo */
    }
    this.update = undefined;
    this.image = undefined;
    this.written = 0;
  }
}

function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
