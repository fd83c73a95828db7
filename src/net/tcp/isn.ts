/**
 * Initial sequence numbers per RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, key),
 * M a 4-microsecond clock and F a keyed hash (HMAC-SHA-256 here) under a secret drawn once from
 * the platform's secure random. An off-path attacker can neither predict a connection's ISN nor
 * learn another's from its own, and a reused 4-tuple still gets increasing numbers.
 */
import { hmacSha256Key } from '../../crypto/backend.ts';
import type { MacKey } from '../../crypto/backend-api.ts';
import type { Random } from '../../platform.ts';
import { readU32, writeU16 } from '../../util/bytes.ts';

export class IsnGenerator {
  private readonly key: MacKey;

  constructor(random: Random) {
    this.key = hmacSha256Key(random.bytes(16).slice(0, 16));
  }

  next(local: Uint8Array, localPort: number, remote: Uint8Array, remotePort: number, now: number): number {
    const tuple = new Uint8Array(12);
    tuple.set(local.subarray(0, 4), 0);
    writeU16(tuple, 4, localPort);
    tuple.set(remote.subarray(0, 4), 6);
    writeU16(tuple, 10, remotePort);
    const f = readU32(this.key.digest(tuple), 0);
    const m = Math.floor(now * 250) % 0x100000000; // 4 µs ticks
    return (f + m) >>> 0;
  }
}
