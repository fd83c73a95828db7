/**
 * `npm run bench:tcp`: TCP goodput through the tunnel as a fraction of the serial line's capacity
 * (payload bytes per second over baud/10), agent in Node, against Linux's TCP in the lab: 1 MiB up
 * (device → sink) and 1 MiB down (source → device), one after the other, at 115200 and 921600
 * baud, then the same with 10 % loss at the gateway's private side; and the buffer memory per
 * connection. A benchmark: it prints figures and asserts nothing.
 *   TCP_BENCH_BYTES   bytes per transfer (default 1 MiB)
 *   TCP_BENCH_BAUDS   e.g. "115200" (default "115200,921600")
 *   TCP_BENCH_LOSS    e.g. "0" (default "0,0.1")
 *   TCP_BENCH_RTO_MIN the device's tcpRtoMin in s (default: the config default, 1)
 */
import { nodeHost } from '../e2e/device-hosts.ts';
import { labUnavailableReason } from '../lab/lab.ts';
import { NET_DEFAULTS } from '../../src/net/config.ts';
import type { ManifestConfig } from '../../src/config/validate.ts';
import { benchRig, counters, ratio, transfer } from './tcp-lab.ts';

const BYTES = Number(process.env.TCP_BENCH_BYTES ?? 1024 * 1024);
const BAUDS = (process.env.TCP_BENCH_BAUDS ?? '115200,921600').split(',').map(Number);
const LOSSES = (process.env.TCP_BENCH_LOSS ?? '0,0.1').split(',').map(Number);
const RTO_MIN = process.env.TCP_BENCH_RTO_MIN === undefined ? NET_DEFAULTS.tcpRtoMin : Number(process.env.TCP_BENCH_RTO_MIN);

const reason = labUnavailableReason();
if (reason) {
  console.log(`bench:tcp skipped: ${reason}`);
  process.exit(0);
}

const rows: string[] = [];
const row = (cells: string[]) => rows.push(`  ${cells[0]!.padEnd(10)} ${cells[1]!.padEnd(6)} ${cells[2]!.padEnd(5)} ${cells[3]!.padStart(9)} ${cells[4]!.padStart(9)} ${cells[5]!.padStart(10)} ${cells[6]!.padStart(11)}`);
row(['baud', 'loss', 'dir', 'seconds', 'goodput', 'line busy', 'retransmits']);
let peaks = { send: 0, receive: 0 };
for (const baud of BAUDS) {
  const rig = await benchRig(nodeHost, baud, {}, { tcpRtoMin: RTO_MIN } as Partial<ManifestConfig>);
  try {
    for (const loss of LOSSES) {
      await rig.lab.setPrivateLoss(loss);
      for (const op of ['upload', 'download'] as const) {
        const before = await counters(rig.device);
        const line0 = rig.lab.modem!.stats();
        const r = await transfer(rig.device, op, BYTES);
        const line1 = rig.lab.modem!.stats();
        const after = await counters(rig.device);
        const lineBytes = op === 'upload' ? line1.bytesFromAgent - line0.bytesFromAgent : line1.bytesToAgent - line0.bytesToAgent;
        row([String(baud), `${loss * 100} %`, op === 'upload' ? 'up' : 'down', (r.ms! / 1000).toFixed(1), ratio(BYTES, r.ms!, baud).toFixed(3), ratio(lineBytes, r.ms!, baud).toFixed(3), String(after.tcp.retransmits - before.tcp.retransmits)]);
        peaks = { send: Math.max(peaks.send, after.tcp.peakSendBuffer), receive: Math.max(peaks.receive, after.tcp.peakReceiveBuffer) };
        console.log(rows.at(-1));
      }
    }
    await rig.lab.setPrivateLoss(0);
    const overrun = rig.lab.modem!.stats();
    console.log(`  (modem emulator at ${baud}: uplink overruns ${overrun.uplinkOverrun}, uplink buffer peak ${overrun.uplinkPeak} B)`);
  } finally {
    await rig.stop();
  }
}

console.log('');
console.log(`TCP through the tunnel (agent in Node, ESP aes128gcm16 in UDP 4500, MSS 1398, tcpRtoMin ${RTO_MIN} s), ${BYTES / 1024} KiB per transfer;`);
console.log('goodput = payload bytes/s ÷ (baud / 10); line busy = all bytes the line carried that way ÷ the same (PPP, IPv4, UDP, ESP, inner IPv4 and TCP headers included).');
for (const r of rows) console.log(r);
console.log('');
console.log(`Buffer memory per connection: ${NET_DEFAULTS.tcpSendBuffer} B send + ${NET_DEFAULTS.tcpReceiveBuffer} B receive allocated (tcpSendBuffer, tcpReceiveBuffer);`);
console.log(`peak fill seen: send ${peaks.send} B, receive ${peaks.receive} B.`);
