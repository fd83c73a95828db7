/**
 * Benchmark (not a test): tunnel bring-up through the lab, per suite. Prints the time from
 * PPP up to CHILD_SA up, and the IKE bytes on the link (IP packets, both directions); then what
 * a CHILD SA rekey and an IKE SA rekey cost on the link, each with the DELETE of the old SA.
 *   npm run bench            (root; runs the lab)
 */
import type { AgentEvent } from '../../src/agent/agent.ts';
import { SimDevice } from '../../hosts/sim/device.ts';
import { labDeviceConfig } from '../lab/device-config.ts';
import { Lab } from '../lab/lab.ts';

const SUITES = [
  ['aes128gcm16-prfsha256-x25519', 'aes128gcm16'],
  ['aes256gcm16-prfsha384-ecp256', 'aes256gcm16'],
  ['chacha20poly1305-prfsha256-x25519', 'chacha20poly1305'],
  ['aes128gcm16-prfsha256-x25519', 'aes128-sha256'],
] as const;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const rows: string[] = [];
for (const [ike, esp] of SUITES) {
  const lab = await Lab.start({ gateway: { ikeProposals: [ike], espProposals: [esp] }, modem: { registrationDelayMs: 50 } });
  const times: number[] = [];
  let ikeOut = 0;
  let ikeIn = 0;
  try {
    for (let run = 0; run < RUNS; run++) {
      const device = new SimDevice({ config: labDeviceConfig({ ikeProposals: [ike], espProposals: [esp] }), serialPath: lab.serialPath, log: () => {} });
      const at: Partial<Record<AgentEvent['type'], number>> = {};
      device.onEvent((e, now) => (at[e.type] ??= now));
      device.start();
      await device.waitFor((e) => e.type === 'child-up', 60_000, 'the tunnel');
      times.push(at['child-up']! - at['link-up']!);
      ikeOut = device.agent.tunnel.traffic.ikeBytesOut;
      ikeIn = device.agent.tunnel.traffic.ikeBytesIn;
      await device.stop();
    }
  } finally {
    await lab.stop();
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  rows.push(`${`${ike} / ${esp}`.padEnd(52)} ${median.toFixed(0).padStart(6)} ms ${times[0]!.toFixed(0).padStart(6)} ms ${times[times.length - 1]!.toFixed(0).padStart(6)} ms ${String(ikeOut).padStart(7)} B ${String(ikeIn).padStart(7)} B`);
}
process.stdout.write(`\nPPP up → CHILD_SA up through modem emulator (115200 baud), slirp and strongSwan; ${RUNS} runs each\n`);
process.stdout.write(`${'suite'.padEnd(52)} ${'median'.padStart(9)} ${'min'.padStart(9)} ${'max'.padStart(9)} ${'IKE out'.padStart(9)} ${'IKE in'.padStart(9)}\n`);
for (const r of rows) process.stdout.write(`${r}\n`);

// Rekeys: lifetimes of 10 s / 16 s (kernel-libipsec at the gateway needs SAs of 5 s or more);
// keepalives and DPD off so the IKE byte counters see only the rekey exchanges.
const traffic = (d: SimDevice) => ({ out: d.agent.tunnel.traffic.ikeBytesOut, in: d.agent.tunnel.traffic.ikeBytesIn });
const settle = () => new Promise((r) => setTimeout(r, 1500));
const lab = await Lab.start({ modem: { registrationDelayMs: 50 } });
try {
  const device = new SimDevice({ config: labDeviceConfig({ childLifetime: 10, ikeLifetime: 16, natKeepalive: 0, dpdInterval: 0 }), serialPath: lab.serialPath, log: () => {} });
  device.start();
  await device.waitFor((e) => e.type === 'child-up', 60_000, 'the tunnel');
  const up = traffic(device);
  await device.waitFor((e) => e.type === 'child-rekeyed', 30_000, 'the CHILD SA rekey');
  await settle();
  const child = traffic(device);
  await device.waitFor((e) => e.type === 'ike-rekeyed', 30_000, 'the IKE SA rekey');
  await settle();
  const ike = traffic(device);
  await device.stop();
  process.stdout.write('\nRekeys, device-initiated, aes128gcm16-prfsha256-x25519 / aes128gcm16 (IKE bytes on the link, IP packets, each with its DELETE exchange)\n');
  process.stdout.write(`${'bring-up (IKE_SA_INIT + IKE_AUTH), for comparison'.padEnd(52)} ${String(up.out).padStart(7)} B out ${String(up.in).padStart(7)} B in\n`);
  process.stdout.write(`${'CHILD SA rekey (CREATE_CHILD_SA + DELETE)'.padEnd(52)} ${String(child.out - up.out).padStart(7)} B out ${String(child.in - up.in).padStart(7)} B in\n`);
  process.stdout.write(`${'IKE SA rekey (CREATE_CHILD_SA with KE + DELETE)'.padEnd(52)} ${String(ike.out - child.out).padStart(7)} B out ${String(ike.in - child.in).padStart(7)} B in\n`);
} finally {
  await lab.stop();
}
