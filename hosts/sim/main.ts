/**
 * ikelet-sim: runs the device agent on a desktop against a serial device (a modem, the
 * lab's modem emulator or slirp's pty), configured by a Moddable manifest's `config`.
 *
 *   ikelet-sim --manifest manifests/lab/manifest.json --serial /path/to/tty
 *              [--pcap link.pcap] [--keylog DIR] [--set key=value ...] [--duration SECONDS]
 *
 * --pcap writes the PPP link as a pcap; --keylog writes Wireshark's IKEv2 decryption table
 * and ESP SA table there (keys are never printed in the normal log).
 */
import { parseArgs } from 'node:util';
import { describe } from '../../src/agent/agent.ts';
import { loadManifest } from '../../scripts/manifest.ts';
import { SimDevice } from './device.ts';

function overrides(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`--set expects key=value, got '${pair}'`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      /* a plain string */
    }
    out[pair.slice(0, eq)] = value;
  }
  return out;
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      manifest: { type: 'string', default: 'manifests/lab/manifest.json' },
      serial: { type: 'string' },
      pcap: { type: 'string' },
      keylog: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      duration: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.serial) {
    process.stdout.write('usage: ikelet-sim --serial PATH [--manifest FILE] [--pcap FILE] [--keylog DIR] [--set key=value ...] [--duration S]\n');
    return values.help ? 0 : 2;
  }
  let config;
  try {
    config = loadManifest(values.manifest!, { platform: 'sim', overrides: overrides(values.set!) }).config;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const device = new SimDevice({ config, serialPath: values.serial, pcap: values.pcap, keylogDir: values.keylog });
  device.onEvent((e) => process.stdout.write(`${describe(e)}\n`));
  device.start();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    if (values.duration) setTimeout(resolve, Number(values.duration) * 1000);
  });
  await device.stop();
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
