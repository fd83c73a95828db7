/**
 * `npm run bench:tcp:xs`: XS computrons per KiB of TCP payload received and sent through the
 * tunnel, agent in XS against the lab (921600 baud, so the line is not what limits), for ESP
 * AES-GCM and ChaCha20-Poly1305; with the goodput those runs reached and the longest turn.
 * A benchmark: it prints figures and asserts nothing.
 *   TCP_XS_BENCH_BYTES  bytes per transfer (default 256 KiB)
 */
import { makeXsDevice, type DeviceHost } from '../../../test/e2e/device-hosts.ts';
import { benchRig, counters, ratio, transfer } from '../../../test/bench/tcp-lab.ts';
import { labUnavailableReason } from '../../../test/lab/lab.ts';

const BYTES = Number(process.env.TCP_XS_BENCH_BYTES ?? 256 * 1024);
const BAUD = 921600;
const SUITES = [
  { name: 'AES-GCM-16 (128)', ike: 'aes128gcm16-prfsha256-x25519', esp: 'aes128gcm16' },
  { name: 'ChaCha20-Poly1305', ike: 'chacha20poly1305-prfsha256-x25519', esp: 'chacha20poly1305' },
];

const reason = labUnavailableReason();
if (reason) {
  console.log(`bench:tcp:xs skipped: ${reason}`);
  process.exit(0);
}

/** The XS host of test/e2e/device-hosts.ts, plus a running total of computrons and the longest turn. */
function meteredXsHost(meter: { total: number; longest: number }): DeviceHost['make'] {
  return (options) => makeXsDevice({ ...options, netApp: true }, (t) => {
    meter.total += t.compute;
    if (t.compute > meter.longest) meter.longest = t.compute;
  });
}

const lines: string[] = [];
const num = (n: number): string => Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
for (const suite of SUITES) {
  const meter = { total: 0, longest: 0 };
  const make = meteredXsHost(meter);
  const rig = await benchRig({ name: 'xs', make }, BAUD, { ikeProposals: [suite.ike], espProposals: [suite.esp] }, { ikeProposals: [suite.ike], espProposals: [suite.esp] });
  try {
    for (const op of ['download', 'upload'] as const) {
      await counters(rig.device); // settle
      const before = meter.total;
      meter.longest = 0;
      const r = await transfer(rig.device, op, BYTES);
      const compute = meter.total - before;
      lines.push(`  ${suite.name.padEnd(20)} ${(op === 'download' ? 'received' : 'sent').padEnd(9)} ${num(compute / (BYTES / 1024)).padStart(12)} ${ratio(BYTES, r.ms!, BAUD).toFixed(3).padStart(9)} ${num(meter.longest).padStart(13)}`);
      console.log(lines.at(-1));
    }
  } finally {
    await rig.stop();
  }
}
console.log('');
console.log(`TCP through the tunnel, agent in XS (xsnap), ${BYTES / 1024} KiB per transfer at ${BAUD} baud, MSS 1398:`);
console.log('computrons of every XS turn during the transfer (ESP, IPv4, TCP, PPP, the test app writing or checking the pattern) per KiB of payload.');
console.log(`  ${'ESP suite'.padEnd(20)} ${'payload'.padEnd(9)} ${'per KiB'.padStart(12)} ${'goodput'.padStart(9)} ${'longest turn'.padStart(13)}`);
for (const l of lines) console.log(l);
