/**
 * `npm run lab`: starts the lab (modem emulator, slirp, strongSwan, private network) and keeps
 * it up until Ctrl-C, so the simulator can be run against it by hand:
 *   npm run sim -- --serial <the path printed here> [--pcap link.pcap] [--keylog keys/]
 * Gateway options can be set as flags, e.g. --ike aes256gcm16-prfsha384-ecp256 --esp aes256gcm16,
 * --dpd 10 (s), --ike-rekey 7 --child-rekey 4 (s: the gateway starts the rekeys).
 */
import { parseArgs } from 'node:util';
import { Lab, labUnavailableReason } from './lab.ts';

const { values } = parseArgs({
  options: { ike: { type: 'string' }, esp: { type: 'string' }, dpd: { type: 'string' }, 'ike-rekey': { type: 'string' }, 'child-rekey': { type: 'string' } },
});
const reason = labUnavailableReason();
if (reason) {
  process.stderr.write(`cannot start the lab: ${reason}\n`);
  process.exit(1);
}
const lab = await Lab.start({
  modem: { registrationDelayMs: 500 },
  gateway: {
    ...(values.ike ? { ikeProposals: [values.ike] } : {}),
    ...(values.esp ? { espProposals: [values.esp] } : {}),
    ...(values.dpd ? { dpdDelay: Number(values.dpd) } : {}),
    ...(values['ike-rekey'] ? { ikeRekeyTime: Number(values['ike-rekey']) } : {}),
    ...(values['child-rekey'] ? { childRekeyTime: Number(values['child-rekey']) } : {}),
  },
});
process.stdout.write(
  [
    'lab up:',
    `  serial (modem emulator): ${lab.serialPath}`,
    `  gateway: strongSwan in namespace ${lab.wan}, reached as 10.0.2.2 through the carrier NAT`,
    `  private network: echo 198.51.100.10:7, DNS 198.51.100.53 (echo.lab.example, broker.lab.example)`,
    `  gateway log: ${lab.gateway.logPath}`,
    `run the device:  npm run sim -- --serial ${lab.serialPath} --set probeTarget=echo.lab.example:7 --set probeCount=10`,
    'Ctrl-C tears the lab down.',
    '',
  ].join('\n'),
);
await new Promise<void>((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});
await lab.stop();
process.stdout.write('lab stopped\n');
