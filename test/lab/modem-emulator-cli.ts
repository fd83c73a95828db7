/**
 * Runs the modem emulator by itself, for manual tests and the demo:
 *   node --import tsx test/lab/modem-emulator-cli.ts --link /tmp/modem0 --pin 1234 \
 *     --bridge "ip netns exec NS socat STDIO EXEC:'slirp-fullbolt ppp',pty,raw,echo=0"
 * Then open /tmp/modem0 (e.g. `picocom -b 115200 /tmp/modem0`, or the agent).
 * Type on stdin to inject faults: drop | reboot | urc <text> | reg <stat> | stall <ms> |
 * corrupt <rate> | loss <rate> | stats | quit.
 */
import { parseArgs } from 'node:util';
import readline from 'node:readline';
import { ModemEmulator, type ModemEmulatorOptions } from './modem-emulator.ts';
import { PROFILES } from '../../src/modem/profiles/index.ts';

const USAGE = `usage: modem-emulator-cli --link PATH [--pin PIN] [--bridge CMD] [--baud N]
  [--corrupt-rate P] [--drop-rate P] [--faults-in-command-mode] [--registration-delay MS]
  [--roaming | --denied | --never-register] [--no-signal] [--no-echo] [--boot-delay MS]
  [--guard MS] [--cme CMD=CODE ...] [--profile NAME]`;

const { values } = parseArgs({
  options: {
    link: { type: 'string' },
    pin: { type: 'string' },
    bridge: { type: 'string' },
    baud: { type: 'string' },
    'corrupt-rate': { type: 'string' },
    'drop-rate': { type: 'string' },
    'faults-in-command-mode': { type: 'boolean' },
    'registration-delay': { type: 'string' },
    roaming: { type: 'boolean' },
    denied: { type: 'boolean' },
    'never-register': { type: 'boolean' },
    'no-signal': { type: 'boolean' },
    'no-echo': { type: 'boolean' },
    'boot-delay': { type: 'string' },
    guard: { type: 'string' },
    cme: { type: 'string', multiple: true },
    profile: { type: 'string' },
    help: { type: 'boolean' },
  },
});

if (values.help || !values.link) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}

const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
const cmeErrors: Record<string, number> = {};
for (const spec of values.cme ?? []) {
  const [cmd, code] = spec.split('=');
  if (cmd && code) cmeErrors[cmd] = Number(code);
}

const stamp = () => new Date().toISOString().slice(11, 23);
const options: ModemEmulatorOptions = {
  link: values.link,
  pin: values.pin,
  bridge: values.bridge,
  baud: num(values.baud),
  corruptRate: num(values['corrupt-rate']),
  dropRate: num(values['drop-rate']),
  inCommandMode: values['faults-in-command-mode'],
  registrationDelayMs: num(values['registration-delay']),
  registration: values.denied ? 'denied' : values['never-register'] ? 'never' : values.roaming ? 'roaming' : 'home',
  csq: values['no-signal'] ? [99, 99] : undefined,
  echo: !values['no-echo'],
  bootDelayMs: num(values['boot-delay']),
  guardMs: num(values.guard),
  cmeErrors,
  profile: values.profile ? PROFILES[values.profile] : undefined,
  log: (line) => console.log(`${stamp()} ${line}`),
};

if (values.profile && !PROFILES[values.profile]) {
  console.log(`--profile: one of ${Object.keys(PROFILES).join(', ')}`);
  process.exit(2);
}
const emu = await ModemEmulator.start(options);
console.log(`${stamp()} modem emulator on ${emu.link} (${options.baud ?? 115200} baud${options.pin ? ', SIM PIN required' : ''}); type "help" for fault commands`);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await emu.stop();
  console.log(`${stamp()} stopped; ${JSON.stringify(emu.stats())}`);
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (input) => {
  const [word, ...rest] = input.trim().split(/\s+/);
  const arg = rest.join(' ');
  switch (word) {
    case 'drop': return emu.dropCarrier();
    case 'reboot': return emu.reboot();
    case 'urc': return emu.injectUrc(arg);
    case 'reg': return emu.model.setRegistration(Number(arg));
    case 'stall': return emu.stall(Number(arg));
    case 'wedge': return emu.wedge();
    case 'blackhole': return emu.blackholeIp();
    case 'pwrkey': return emu.setPin('power', arg === 'on');
    case 'resetpin': return emu.setPin('reset', arg === 'on');
    case 'corrupt': return emu.setFaults({ corruptRate: Number(arg) });
    case 'loss': return emu.setFaults({ dropRate: Number(arg) });
    case 'stats': return console.log(JSON.stringify({ state: emu.state, ...emu.stats() }));
    case 'quit': return void shutdown();
    case '': return;
    default: console.log('commands: drop | reboot | urc <text> | reg <stat> | stall <ms> | wedge | blackhole | pwrkey on|off | resetpin on|off | corrupt <rate> | loss <rate> | stats | quit');
  }
});
rl.on('close', () => {
  if (!process.stdin.isTTY) return; // stdin closed by a script: keep running until a signal
  void shutdown();
});
