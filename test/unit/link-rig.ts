/**
 * CellularLink against the lab's ModemModel, whose data calls reach a network-side PppLink with its
 * own IP stack (a UDP echo service on port 7). Sans-IO: bytes fed, `now` advanced.
 */
import assert from 'node:assert/strict';
import { CellularLink, type LinkEvent } from '../../src/agent/cellular-link.ts';
import { IpStack } from '../../src/ip/stack.ts';
import { modemSection, type ModemManifest } from '../../src/modem/config.ts';
import { pppSection, type PppManifest } from '../../src/ppp/config.ts';
import { PppLink } from '../../src/ppp/link.ts';
import { Logger, silentLogger } from '../../src/util/log.ts';
import { ModemModel, type ModemModelOptions } from '../lab/modem-emulator.ts';
import { seededRandom } from './seeded-random.ts';

const DEVICE = '192.0.2.10';
export const NETWORK = '192.0.2.1';

export function linkRig(modemConfig: Partial<ModemManifest> = {}, modelOptions: ModemModelOptions = {}) {
  let now = 0;
  const events: LinkEvent[] = [];
  const logLines: string[] = [];
  const pins: string[] = [];
  const toModem: Uint8Array[] = [];
  const toAgent: Uint8Array[] = [];
  const random = seededRandom(7);
  /** The network side of the call: PPP plus an IP stack that echoes UDP on port 7. */
  let net: { ppp: PppLink; ip: IpStack } | undefined;
  /** Network faults: IP from the device is dropped (LCP still answered) until the call ends, or for good (`deadGateway`). */
  const faults = { blackholeIp: false, deadGateway: false };
  const model = new ModemModel({ bootDelayMs: 3000, ...modelOptions }, {
    toAgent: (b) => toAgent.push(b),
    toPeer: (b) => net?.ppp.input(b, now),
    onCall: (up) => {
      net = undefined;
      if (!up) return void (faults.blackholeIp = faults.deadGateway);
      const ppp: PppLink = new PppLink(pppSection.parse({ ...(pppSection.defaults as PppManifest), lcpEchoInterval: 0 }), { random, log: silentLogger() }, {
        writeSerial: (b) => model.fromPeer(b),
        deliverIpv4: (p, t) => (faults.blackholeIp ? undefined : ip.input(p, t)),
        onEvent: (ev) => ev.type === 'up' && ip.setLocalAddress(ev.localAddress),
      }, { peerAddressHint: DEVICE });
      const ip: IpStack = new IpStack({ log: silentLogger() }, { transmit: (p, t) => (ppp.sendIpv4(p, t), true) });
      const echo = ip.bindUdp(7, (d, t) => echo.sendTo(d.srcAddr, d.srcPort, d.payload, t));
      net = { ppp, ip };
      ppp.open(now);
    },
  });
  const settings = {
    modem: modemSection.parse({ ...(modemSection.defaults as ModemManifest), apn: 'internet', registrationTimeout: 30, ...modemConfig }),
    ppp: pppSection.parse({ ...(pppSection.defaults as PppManifest), lcpEchoInterval: 10, lcpEchoFailures: 3 }),
    retry: { quickAttempts: 5, quickMs: 2000, intervalMs: 60_000, maxIntervalMs: 600_000 },
  };
  const log = new Logger((level, component, message) => logLines.push(`${level} ${component} ${message}`), 'agent', 'debug');
  const link = new CellularLink(settings, { random, log }, {
    writeSerial: (b) => toModem.push(b),
    setPin: (line, active) => {
      pins.push(`${line} ${active ? 'on' : 'off'} @${now}`);
      model.setPin(line, active, now);
    },
    onEvent: (ev) => events.push(ev),
  }, { ppp: { peerAddressHint: NETWORK } });
  model.powerOn(0);
  const settle = () => {
    for (let guard = 0; guard < 10_000 && (toModem.length || toAgent.length); guard++) {
      for (const b of toModem.splice(0)) model.fromAgent(b, now);
      for (const b of toAgent.splice(0)) link.receiveSerial(b, now);
    }
  };
  const r = {
    model, link, events, logLines, pins, faults,
    get now() {
      return now;
    },
    get net() {
      return net;
    },
    advance(ms: number) {
      const until = now + ms;
      settle();
      for (let guard = 0; guard < 1_000_000; guard++) {
        const next = [link.deadline(), model.deadline(), net?.ppp.deadline(), net?.ip.deadline()].filter((x): x is number => x !== undefined).reduce((a, b) => Math.min(a, b), Infinity);
        if (next > until) break;
        now = Math.max(now, next);
        model.onTimer(now);
        link.onTimer(now);
        net?.ppp.onTimer(now);
        net?.ip.onTimer(now);
        settle();
      }
      now = until;
    },
    ups: () => events.filter((e) => e.type === 'link-up').length,
    rungs: () => events.flatMap((e) => (e.type === 'link-retry' ? [e.rung] : [])),
    /** Sends one UDP datagram to the network's echo service every `everyMs` for `ms`; counts answers. */
    traffic(ms: number, everyMs = 5000) {
      let answers = 0;
      const sock = link.ip.bindUdp(40000, () => answers++);
      for (let t = 0; t < ms; t += everyMs) {
        sock.sendTo(NETWORK, 7, new Uint8Array(20), now);
        r.advance(everyMs);
      }
      sock.close();
      return answers;
    },
  };
  return r;
}

export function up(r: ReturnType<typeof linkRig>, withinMs = 60_000) {
  const before = r.ups();
  r.link.start(r.now);
  r.advance(withinMs);
  assert.equal(r.ups(), before + 1, `link up\n${r.logLines.slice(-15).join('\n')}`);
}

