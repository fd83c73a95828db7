/** The sinks: the simulator's file (renamed only when verified) and the ESP32's OTA (never completed on a wrong digest). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { FileSink } from '../../hosts/sim/firmware-file-sink.ts';
import { OtaSink, type OtaUpdate } from '../../hosts/esp32/ota-sink.ts';

const image = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);
const manifest = { version: '2.0.0', size: image.length, sha256: sha256(image) };

class FakeOta implements OtaUpdate {
  static log: string[] = [];
  static failWrite = false;
  bytes = 0;
  constructor() { FakeOta.log.push('begin'); }
  write(data: ArrayBuffer | ArrayBufferView): void {
    if (FakeOta.failWrite) throw new Error('write failed');
    this.bytes += data.byteLength;
  }
  complete(): void { FakeOta.log.push(`complete ${this.bytes}`); }
  cancel(): void { FakeOta.log.push('cancel'); }
}

test('file sink: .part while writing, the final name only after a verified complete', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ikelet-sink-'));
  try {
    const sink = new FileSink(path.join(dir, 'firmware.bin'));
    assert.ok(sink.begin(manifest).ok);
    assert.ok(sink.write(image.subarray(0, 3000)).ok);
    assert.ok(sink.write(image.subarray(3000)).ok);
    assert.ok(fs.existsSync(sink.partPath) && !fs.existsSync(sink.path));
    assert.equal(sink.write(Uint8Array.of(1)).ok, false, 'nothing past the size');
    assert.ok(sink.complete(sha256(image)).ok);
    assert.deepEqual(new Uint8Array(fs.readFileSync(sink.path)), image);
    assert.ok(!fs.existsSync(sink.partPath));

    const again = new FileSink(path.join(dir, 'other.bin'));
    again.begin(manifest);
    again.write(image);
    assert.equal(again.complete(new Uint8Array(32)).ok, false, 'a digest that is not the manifest\'s');
    assert.ok(!fs.existsSync(again.path) && !fs.existsSync(again.partPath), 'nothing left behind');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('OTA sink: begin/write/complete on Moddable\'s OTA; a wrong digest or size cancels and never completes', () => {
  FakeOta.log = [];
  const sink = new OtaSink(FakeOta);
  assert.ok(sink.begin(manifest).ok);
  assert.ok(sink.write(image).ok);
  assert.ok(sink.complete(sha256(image)).ok);
  assert.deepEqual(FakeOta.log, ['begin', `complete ${image.length}`]);

  FakeOta.log = [];
  sink.begin(manifest);
  sink.write(image);
  const wrong = sha256(image).slice();
  wrong[0] ^= 1;
  assert.equal(sink.complete(wrong).ok, false);
  assert.deepEqual(FakeOta.log, ['begin', 'cancel']);

  FakeOta.log = [];
  sink.begin(manifest);
  sink.write(image.subarray(0, 100));
  assert.equal(sink.complete(sha256(image)).ok, false, 'short image');
  assert.deepEqual(FakeOta.log, ['begin', 'cancel']);
});

test('OTA sink: a flash error (OTA throws) is a Result, not an exception', () => {
  FakeOta.log = [];
  FakeOta.failWrite = true;
  const sink = new OtaSink(FakeOta);
  sink.begin(manifest);
  const r = sink.write(image);
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error : '', /write failed/);
  FakeOta.failWrite = false;
  class NoPartition { constructor() { throw new Error('no update parition'); } write() {} complete() {} cancel() {} }
  assert.equal(new OtaSink(NoPartition).begin(manifest).ok, false);
});
