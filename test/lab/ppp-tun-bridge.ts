/**
 * The strongSwan initiator's "pppd": there is no kernel PPP here, so this program dials the
 * modem emulator with the project's own modem driver and PPP (src/modem, src/ppp: the very
 * code the device runs), and carries the IPv4 packets of a TUN device in the initiator's
 * namespace over that PPP link. Run inside that namespace:
 *
 *   node --import tsx test/lab/ppp-tun-bridge.ts --serial PTY --tun ppp0 [--config JSON]
 *
 * The TUN comes from socat (TUN address, no packet info) once IPCP is up, with the address
 * IPCP gave and a default route; socat hands each packet over a loopback UDP socket, so packet
 * boundaries survive. Non-IPv4 packets (IPv6 chatter of a fresh interface) are dropped, as a
 * PPP link without IPV6CP would. One JSON line per event on stdout (times in epoch ms):
 *   {"event":"link-up","at":…,"localAddress":…,"peerAddress":…,"dns":[…]}
 *   {"event":"first-packet-out","at":…}  {"event":"link-down","at":…,"reason":…}  {"event":"stopped","at":…}
 * "stop" on stdin ends the call gracefully (LCP terminate, hang-up); SIGTERM ends it at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { parseSettings } from '../../src/config/validate.ts';
import { Modem, type ModemEvent } from '../../src/modem/index.ts';
import { PppLink, type PppEvent } from '../../src/ppp/link.ts';
import { LOG_LEVELS, type LogLevel } from '../../src/platform.ts';
import { Logger } from '../../src/util/log.ts';
import { earliest } from '../../src/util/time.ts';
import { PtySerial } from '../../hosts/sim/pty-serial.ts';
import { run } from './processes.ts';

const { values } = parseArgs({ options: { serial: { type: 'string' }, tun: { type: 'string', default: 'ppp0' }, config: { type: 'string', default: '{}' } } });
if (!values.serial) throw new Error('--serial PTY is required');
const settings = parseSettings(JSON.parse(values.config!), 'the bridge --config');
const level: LogLevel = LOG_LEVELS.includes(process.env.IKELET_LOG as LogLevel) ? (process.env.IKELET_LOG as LogLevel) : 'warn';
const log = new Logger((lvl, component, message) => process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${lvl} ${component}: ${message}\n`), 'bridge', level);
const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
const now = () => performance.now();
const epoch = () => performance.timeOrigin + performance.now();
const report = (event: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ event, at: epoch(), ...fields })}\n`);

/** Loopback ports between socat's TUN and this program; the namespace is the initiator's alone. */
const BRIDGE_PORT = 39001;
const SOCAT_PORT = 39002;

const serial = new PtySerial(values.serial);
let ppp: PppLink | undefined;
let socat: ChildProcess | undefined;
let stopping = false;
let firstOut = true;
const counts = { toPpp: 0, fromPpp: 0, nonIpv4Dropped: 0 };

const udp = dgram.createSocket('udp4');
udp.on('message', (packet) => {
  if (packet.length < 20 || packet[0]! >> 4 !== 4) return void counts.nonIpv4Dropped++;
  if (firstOut) report('first-packet-out');
  firstOut = false;
  counts.toPpp++;
  turn((t) => ppp?.sendIpv4(new Uint8Array(packet), t));
});
await new Promise<void>((r) => udp.bind(BRIDGE_PORT, '127.0.0.1', r));

const modem = new Modem(settings.modem, { log: log.child('modem') }, {
  writeSerial: (b) => serial.write(b),
  onData: (b, t) => ppp?.input(b, t),
  onEvent: (ev, t) => modemEvent(ev, t),
});

function modemEvent(ev: ModemEvent, t: number): void {
  if (ev.type === 'online') {
    ppp = new PppLink(settings.ppp, { random, log: log.child('ppp') }, {
      writeSerial: (b, n) => modem.writeData(b, n),
      deliverIpv4: (p) => {
        counts.fromPpp++;
        udp.send(p, SOCAT_PORT, '127.0.0.1');
      },
      onEvent: (pev, n) => pppEvent(pev, n),
    });
    ppp.open(t);
  } else if (ev.type === 'lost' || ev.type === 'error') {
    report('link-down', { reason: ev.type === 'lost' ? ev.reason : ev.cause });
    void exit(1);
  } else if (ev.type === 'offline') {
    report('stopped', counts);
    void exit(0);
  }
}

function pppEvent(ev: PppEvent, t: number): void {
  if (ev.type === 'up') return void tunUp(ev.localAddress, ev.peerAddress, ev.dns);
  if (!stopping) report('link-down', { reason: ev.reason });
  if (ev.final) modem.hangUp(t);
}

async function tunUp(localAddress: string, peerAddress: string, dns: string[]): Promise<void> {
  socat = spawn('socat', ['-d', `TUN:${localAddress}/32,tun-name=${values.tun},tun-type=tun,iff-no-pi,iff-up`, `UDP-DATAGRAM:127.0.0.1:${BRIDGE_PORT},bind=127.0.0.1:${SOCAT_PORT}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  socat.stderr!.on('data', (d: Buffer) => log.warn(`socat: ${d.toString().trim()}`));
  for (let i = 0; ; i++) {
    const links = await run('ip', ['-o', 'addr', 'show', 'dev', values.tun!], { allowFail: true });
    if (links.includes(localAddress)) break;
    if (i > 200 || socat.exitCode !== null) throw new Error(`socat did not bring up ${values.tun}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await run('ip', ['route', 'replace', 'default', 'dev', values.tun!]);
  report('link-up', { localAddress, peerAddress, dns });
}

// ---- one turn at a time, like the agent's runner: input or timer, then re-arm ----------------
let timer: NodeJS.Timeout | undefined;
function turn(work: (t: number) => void): void {
  try {
    work(now());
  } catch (e) {
    log.error(`internal error: ${e instanceof Error ? e.stack : String(e)}`);
  }
  if (timer) clearTimeout(timer);
  const at = earliest(modem.deadline(), ppp?.deadline());
  timer = at === undefined ? undefined : setTimeout(() => turn((t) => (modem.onTimer(t), ppp?.onTimer(t))), Math.max(0, at - now()));
}

async function exit(code: number): Promise<void> {
  if (timer) clearTimeout(timer);
  socat?.kill('SIGTERM');
  serial.close();
  udp.close();
  process.exit(code);
}

serial.onReceive((bytes) => turn((t) => modem.input(bytes, t)));
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stop' || stopping) return;
  stopping = true;
  turn((t) => (ppp && ppp.currentPhase !== 'Dead' ? ppp.close(t, 'initiator stopping') : modem.hangUp(t)));
});
process.on('SIGTERM', () => void exit(0));
turn((t) => modem.start(t));
