/**
 * The soak, by hand (root, not CI): the device keeps numbered datagrams echoed through the
 * tunnel (one every 200 ms) for an hour while the lab does what a field year does to it:
 *   - the gateway rekeys the CHILD SA every minute (rekey_time 60 s);
 *   - the carrier drops the call every ten minutes (NO CARRIER; the device redials);
 *   - 20 % UDP loss both ways at the gateway for five minutes;
 *   - the gateway restarts once (charon killed, all state lost).
 * It counts the datagrams lost and duplicated (and where they went missing) and samples the
 * agent's heap: with the agent in XS (default), live slots after a full GC of the agent's own
 * heap; in Node, the process heap after gc() (the lab's own bookkeeping included).
 *
 *   npm run soak                      # 60 minutes, agent in XS
 *   npm run soak -- --minutes 5       # the same schedule compressed (CHILD rekey every 25 s: twice between carrier losses)
 *   npm run soak -- --host node
 */
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { AgentEvent } from '../../src/agent/agent.ts';
import { labDeviceConfig } from '../lab/device-config.ts';
import { describeReport, EchoChecker } from '../lab/echo-checker.ts';
import { ECHO_ADDRESS, ECHO_PORT, Lab, labUnavailableReason } from '../lab/lab.ts';
import { ikeSas } from '../lab/vici-text.ts';
import { SimDevice } from '../../hosts/sim/device.ts';
import { PtySerial } from '../../hosts/sim/pty-serial.ts';
import { EventLog } from '../../hosts/sim/event-log.ts';
import { tunnelUdp } from '../e2e/device-hosts.ts';
import type { DatagramPort } from '../lab/echo-checker.ts';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '60' }, host: { type: 'string', default: 'xs' } } });
const MINUTES = Number(values.minutes);
const HOST = values.host === 'node' ? 'node' : 'xs';
const T = MINUTES * 60_000;
const reason = labUnavailableReason();
if (reason) throw new Error(`the soak needs the lab: ${reason}`);

/** The schedule, as fractions of the run: an hour gives 10-minute carrier losses, 5 minutes of loss, one restart. */
const CARRIER_LOSSES = [1, 2, 3, 4, 5].map((k) => (k * T) / 6);
const LOSS_FROM = 0.55 * T;
const LOSS_UNTIL = LOSS_FROM + T / 12;
const RESTART_AT = 0.75 * T;
const SAMPLE_EVERY = Math.max(10_000, T / 30);
/** Every minute, or twice between carrier losses in a short run; kernel-libipsec needs 5 s or more. */
const CHILD_REKEY_S = Math.max(5, Math.min(60, Math.floor(T / 6 / 2 / 1000)));

const t0 = performance.now();
const clock = () => `${((performance.now() - t0) / 60_000).toFixed(2).padStart(6)} min`;
const say = (text: string) => process.stdout.write(`${clock()}  ${text}\n`);
const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, t0 + at - performance.now())));

interface Soaked {
  events: AgentEvent[];
  port: DatagramPort;
  heap(): Promise<{ value: number; unit: string }>;
  errors(): number;
  stop(): Promise<void>;
}

async function startDevice(lab: Lab): Promise<Soaked> {
  const config = labDeviceConfig({ logLevel: 'warn' });
  if (HOST === 'node') {
    const device = new SimDevice({ config, serialPath: lab.serialPath, log: () => {} });
    device.start();
    await device.waitFor((e) => e.type === 'child-up', 90_000, 'the tunnel');
    // --expose-gc may be missing: the flag can be set at run time, and gc() then comes from a fresh context.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    return {
      events: device.events,
      port: tunnelUdp(device, ECHO_ADDRESS, ECHO_PORT),
      heap: async () => (gc(), { value: process.memoryUsage().heapUsed / 1024, unit: 'KiB Node heap (lab included)' }),
      errors: () => device.unexpectedErrors(),
      stop: () => device.stop(),
    };
  }
  const { XsAgentHost } = await import('../../hosts/xs/agent-host.ts');
  const serial = new PtySerial(lab.serialPath);
  const log = new EventLog();
  const host = new XsAgentHost({ config, serial, log: () => {}, report: (e) => log.push(e) });
  await host.start();
  await log.waitFor((e) => e.type === 'child-up', 90_000, 'the tunnel');
  return {
    events: log.events,
    port: {
      send: (p) => host.sendUdp(ECHO_ADDRESS, ECHO_PORT, p),
      onReceive: (h) => (host.onUdp = (a, port, p) => (a === ECHO_ADDRESS && port === ECHO_PORT ? h(p) : undefined)),
      close: () => (host.onUdp = () => {}),
    },
    heap: async () => ({ value: await host.liveSlots(), unit: 'live XS slots after a full GC (agent only)' }),
    errors: () => host.faults.length,
    async stop() {
      host.stopAgent();
      await log.waitFor((e) => e.type === 'link-stopped', 10_000).catch(() => {});
      await host.stop();
      serial.close();
    },
  };
}

const lab = await Lab.start({ gateway: { childRekeyTime: CHILD_REKEY_S }, modem: { registrationDelayMs: 100, meterFrames: 2000 } });
const faults: Array<{ at: number; what: string }> = [];
const heap: number[] = [];
let heapUnit = '';
try {
  say(`soak: ${MINUTES} min, agent in ${HOST}; gateway CHILD rekey every ${CHILD_REKEY_S} s; lab ${lab.dir}`);
  const device = await startDevice(lab);
  const checker = new EchoChecker(device.port, { intervalMs: 200 });
  checker.start();
  const count = (type: AgentEvent['type']) => device.events.filter((e) => e.type === type).length;

  const schedule: Array<{ at: number; what: string; run: () => Promise<void> | void }> = [
    ...CARRIER_LOSSES.map((at) => ({ at, what: 'carrier loss (NO CARRIER)', run: () => lab.modem!.dropCarrier() })),
    { at: LOSS_FROM, what: '20 % UDP loss both ways at the gateway: on', run: () => lab.setGatewayLoss(0.2) },
    { at: LOSS_UNTIL, what: '20 % UDP loss: off', run: () => lab.setGatewayLoss(0) },
    { at: RESTART_AT, what: 'gateway restart (charon killed, all state lost)', run: () => lab.restartGateway(2000) },
  ].sort((a, b) => a.at - b.at);
  for (let at = SAMPLE_EVERY; at < T; at += SAMPLE_EVERY) schedule.push({ at, what: '', run: async () => {} });
  schedule.sort((a, b) => a.at - b.at);

  const sample = async () => {
    const h = await device.heap();
    heap.push(h.value);
    heapUnit = h.unit;
    const r = checker.report();
    say(`${r.sent} sent, ${r.received} echoed, ${r.lost.length} lost so far; tunnels up ${count('child-up')}, CHILD rekeys ${count('child-rekeyed')}; heap ${Math.round(h.value)} ${h.unit}`);
  };
  await sample();
  for (const step of schedule) {
    await sleepUntil(step.at);
    if (step.what) {
      faults.push({ at: performance.now(), what: step.what });
      say(step.what);
      await step.run();
    } else await sample();
  }
  await sleepUntil(T);
  await sample();
  const report = await checker.finish(5000);
  const sas = ikeSas(await lab.gateway.listSas());
  say(`end: ${describeReport(report)}`);
  // Where the losses fell: each lost datagram belongs to the last fault before it was sent.
  const byFault = new Map<string, number>();
  for (const n of report.lost) {
    const sentAt = checker.sentTime(n);
    const f = [...faults].reverse().find((x) => x.at <= sentAt);
    const key = f ? `${f.what} at ${((f.at - t0) / 60_000).toFixed(1)} min` : 'before any fault';
    byFault.set(key, (byFault.get(key) ?? 0) + 1);
  }
  for (const [k, v] of byFault) say(`  lost after ${k}: ${v}`);
  say(`tunnels brought up: ${count('child-up')}, CHILD SA rekeys: ${count('child-rekeyed')}, IKE SAs at the gateway at the end: ${sas.length}, agent internal errors: ${device.errors()}`);
  say(`heap (${heapUnit}): first ${Math.round(heap[0]!)}, min ${Math.round(Math.min(...heap))}, max ${Math.round(Math.max(...heap))}, last ${Math.round(heap[heap.length - 1]!)} over ${heap.length} samples`);
  say(`verdict: ${report.lost.length === 0 ? 'no message lost' : `${report.lost.length} messages lost`}, ${report.duplicated.length === 0 ? 'none duplicated' : `${report.duplicated.length} duplicated`}`);
  checker.close();
  await device.stop();
} finally {
  await lab.stop();
}
