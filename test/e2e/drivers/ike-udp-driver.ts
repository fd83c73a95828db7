/**
 * Runs one IkeSession on real UDP sockets (inside the lab's wan namespace) against the lab
 * gateway, installs the ESP SAs, sends numbered datagrams through the tunnel to the echo
 * service and checks the replies. Stands in for the PPP link until the agent exists.
 *
 *   node --import tsx test/e2e/drivers/ike-udp-driver.ts '<json DriverArgs>'
 *
 * stdout: one JSON object per line: {type:'event', event}, {type:'result', ...}, {type:'done', ...}.
 * stdin:  'close' deletes the SA and exits 0 (the test first inspects the gateway).
 * Logs go to stderr. Exit 0 also after a final ike-error (that is an expected outcome here).
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import readline from 'node:readline';
import type { ChildSa } from '../../../src/ike/child-sa.ts';
import { IkeSession } from '../../../src/ike/session.ts';
import type { IkeSessionConfig, IkeSessionOptions } from '../../../src/ike/session-types.ts';
import { buildIpv4Packet, parseIpv4Packet, PROTO_UDP } from '../../../src/ip/ipv4.ts';
import { buildUdp, parseUdp } from '../../../src/ip/udp.ts';
import { classifyUdp4500 } from '../../../src/esp/index.ts';
import { parseIpv4 } from '../../../src/util/bytes.ts';
import { Logger } from '../../../src/util/log.ts';
import { encodeMessage } from '../../../src/ike/codec/index.ts';
import { parseConfiguredProposals, preferredGroup } from '../../../src/ike/proposals.ts';
import { IkeSaInitTask } from '../../../src/ike/tasks/ike-sa-init.ts';

export interface DriverArgs {
  config: IkeSessionConfig;
  options?: IkeSessionOptions;
  /** What the session believes its address is (NAT-D); 10.0.2.15 like behind slirp. */
  localAddress: string;
  /** Numbered datagrams to send through the tunnel once it is up. */
  count: number;
  echo: { address: string; port: number };
  /** Give up (exit 2) after this long. */
  timeoutMs: number;
  /**
   * First leave one half-open IKE SA on the gateway from another port: with cookie_threshold_ip = 1
   * strongSwan then answers the session's IKE_SA_INIT with a COOKIE (a threshold of 0 disables cookies).
   */
  decoyInit?: boolean;
}

const args = JSON.parse(process.argv[2] ?? '{}') as DriverArgs;
const out = (obj: object): void => {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
};
const log = new Logger((level, component, message) => process.stderr.write(`${Date.now() % 100000} ${level} [${component}] ${message}\n`), 'ike', 'debug');
const start = Date.now();
const now = (): number => Math.round(performance.now());

const sock500 = dgram.createSocket('udp4');
const sock4500 = dgram.createSocket('udp4');
let timer: NodeJS.Timeout | undefined;
let child: ChildSa | undefined;
const received = new Map<number, Uint8Array>();
const sent = new Map<number, Uint8Array>();
let mismatched = 0;
let finished = false;

const session = new IkeSession(args.config, { random: { bytes: (n) => new Uint8Array(randomBytes(n)) }, log }, {
  sendUdp(port, payload) {
    if (port === 'ike') sock500.send(payload, 500, args.config.gateway);
    else sock4500.send(payload, 4500, args.config.gateway);
  },
  onEvent(event) {
    out({ type: 'event', t: Date.now() - start, event });
    if (event.type === 'child-up') setImmediate(() => sendDatagrams());
    if (event.type === 'ike-error' && event.fatal) setTimeout(() => finish(0), 200);
    if (event.type === 'child-down') child = undefined;
  },
  onChildSa(c) {
    child = c;
  },
}, args.options);

function reschedule(): void {
  if (timer) clearTimeout(timer);
  timer = undefined;
  const at = session.deadline();
  if (at === undefined || finished) return;
  timer = setTimeout(() => {
    session.onTimer(now());
    reschedule();
  }, Math.max(0, at - now()));
}

/** Inner IPv4/UDP from the virtual IP to the echo service, one every millisecond. */
function sendDatagrams(): void {
  const c = child!;
  // Each CHILD SA gets its own round of numbered datagrams and its own result line.
  sent.clear();
  received.clear();
  mismatched = 0;
  if (doneTimer) clearInterval(doneTimer);
  doneTimer = undefined;
  const src = parseIpv4(c.virtualIp)!;
  const dst = parseIpv4(args.echo.address)!;
  let i = 0;
  const next = (): void => {
    if (!child || i >= args.count) return;
    const n = i++;
    const payload = new TextEncoder().encode(`ikelet datagram ${String(n).padStart(4, '0')} ${'x'.repeat(n % 50)}`);
    sent.set(n, payload);
    const packet = buildIpv4Packet({ src, dst, protocol: PROTO_UDP, identification: n + 1 }, buildUdp(src, dst, 40000 + (n % 1), args.echo.port, payload));
    const esp = c.outbound.protect(packet);
    if (esp) {
      if (c.udpEncap) sock4500.send(esp, 4500, args.config.gateway);
      session.noteEspActivity('out', now());
    }
    setTimeout(next, 1);
  };
  next();
  checkDone();
}

function onEsp(packet: Uint8Array): void {
  const c = child;
  if (!c) return;
  const inner = c.inbound.open(packet);
  if (!inner) return;
  session.noteEspActivity('in', now());
  const ip = parseIpv4Packet(inner);
  if (!ip.ok || ip.value.header.protocol !== PROTO_UDP) return;
  const udp = parseUdp(ip.value.payload, ip.value.header.src, ip.value.header.dst);
  if (!udp.ok) return;
  const text = new TextDecoder().decode(udp.value.payload);
  const m = /^ikelet datagram (\d{4}) /.exec(text);
  if (!m) return;
  const n = Number(m[1]);
  const want = sent.get(n);
  if (!want || Buffer.compare(Buffer.from(want), Buffer.from(udp.value.payload)) !== 0) mismatched++;
  else received.set(n, udp.value.payload.slice());
}

let doneTimer: NodeJS.Timeout | undefined;
function checkDone(): void {
  if (doneTimer) return;
  const deadline = Date.now() + 10_000;
  doneTimer = setInterval(() => {
    if (received.size >= args.count || Date.now() > deadline) {
      clearInterval(doneTimer);
      const missing = [...sent.keys()].filter((n) => !received.has(n));
      out({ type: 'result', t: Date.now() - start, sent: sent.size, received: received.size, mismatched, missing, virtualIp: child?.virtualIp, espDrops: child ? undefined : null });
    }
  }, 20);
}

function finish(code: number): void {
  if (finished) return;
  finished = true;
  if (timer) clearTimeout(timer);
  out({ type: 'done', t: Date.now() - start, state: session.state, counters: session.counters, drops: session.dropCounts() });
  sock500.close();
  sock4500.close();
  setTimeout(() => process.exit(code), 50);
}

sock500.on('message', (msg) => {
  session.input(new Uint8Array(msg), 'ike', now());
  reschedule();
});
sock4500.on('message', (msg) => {
  const bytes = new Uint8Array(msg);
  const c = classifyUdp4500(bytes);
  if (c.kind === 'esp') onEsp(c.packet);
  else session.input(bytes, 'nat-t', now());
  reschedule();
});

async function leaveHalfOpenSa(): Promise<void> {
  const parsed = parseConfiguredProposals(args.config.ikeProposals, args.config.espProposals);
  if (!parsed.ok) throw new Error(parsed.error);
  const random = { bytes: (n: number) => new Uint8Array(randomBytes(n)) };
  const decoy = new IkeSaInitTask(parsed.value.ike, preferredGroup(parsed.value.ike), random, { address: args.localAddress, port: 1 }, { address: args.config.gateway, port: 500 });
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, () => r()));
  const answered = new Promise<boolean>((resolve) => {
    sock.once('message', () => resolve(true));
    setTimeout(() => resolve(false), 2000).unref();
  });
  sock.send(encodeMessage(decoy.buildRequest()), 500, args.config.gateway);
  out({ type: 'decoy', answered: await answered });
  sock.close();
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line.trim() === 'close') {
    session.close(now());
    setTimeout(() => finish(0), 300);
  }
});

setTimeout(() => {
  out({ type: 'timeout', t: Date.now() - start, state: session.state });
  finish(2);
}, args.timeoutMs).unref();

await Promise.all([new Promise<void>((r) => sock500.bind(0, () => r())), new Promise<void>((r) => sock4500.bind(0, () => r()))]);
if (args.decoyInit) await leaveHalfOpenSa();
out({ type: 'ready', ports: { ike: sock500.address().port, natT: sock4500.address().port } });
session.start(now(), args.localAddress, sock500.address().port);
reschedule();
