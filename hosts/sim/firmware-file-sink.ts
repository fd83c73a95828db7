/**
 * The simulator's firmware sink: the image goes to `<path>.part` and becomes `<path>` (a rename,
 * so a half-written or rejected image never sits under the final name) only on complete().
 */
import fs from 'node:fs';
import type { FirmwareImage, FirmwareSink } from '../../src/firmware/sink.ts';
import { equalBytes } from '../../src/util/bytes.ts';
import { err, ok, type Result } from '../../src/util/result.ts';

export class FileSink implements FirmwareSink {
  private fd: number | undefined;
  private image: FirmwareImage | undefined;
  private written = 0;

  constructor(readonly path: string) {}

  get partPath(): string {
    return `${this.path}.part`;
  }

  begin(image: FirmwareImage): Result<void, string> {
    this.cancel();
    try {
      this.fd = fs.openSync(this.partPath, 'w');
    } catch (e) {
      return err(`open ${this.partPath}: ${(e as Error).message}`);
    }
    this.image = image;
    this.written = 0;
    return ok(undefined);
  }

  write(bytes: Uint8Array): Result<void, string> {
    if (this.fd === undefined || !this.image) return err('write without begin');
    if (this.written + bytes.length > this.image.size) return err('write past the image size');
    try {
      fs.writeSync(this.fd, bytes);
    } catch (e) {
      return err(`write: ${(e as Error).message}`);
    }
    this.written += bytes.length;
    return ok(undefined);
  }

  complete(sha256: Uint8Array): Result<void, string> {
    const image = this.image;
    if (this.fd === undefined || !image) return err('complete without begin');
    if (this.written !== image.size || !equalBytes(sha256, image.sha256)) {
      this.cancel();
      return err('refused: size or digest differs from the manifest');
    }
    try {
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
      fs.renameSync(this.partPath, this.path);
    } catch (e) {
      this.cancel();
      return err(`complete: ${(e as Error).message}`);
    }
    this.fd = undefined;
    this.image = undefined;
    return ok(undefined);
  }

  cancel(): void {
    if (this.fd !== undefined) {
      try { fs.closeSync(this.fd); } catch { /* already closed */ }
    }
    this.fd = undefined;
    this.image = undefined;
    this.written = 0;
    fs.rmSync(this.partPath, { force: true });
  }
}
