/**
 * IPCP (RFC 1332) with the DNS extension (RFC 1877): we ask for 0.0.0.0 and take what the
 * peer naks; VJ header compression is refused (IKE/ESP traffic gains nothing from it).
 */
import type { DropCounter, Logger } from '../util/log.ts';
import { ipv4ToString } from '../util/bytes.ts';
import { Automaton, type AutomatonPorts, type AutomatonTiming, type OptionsHandler, type Verdict } from './automaton.ts';
import { type ConfigOption, option } from './options.ts';

const OPT = Object.freeze({ compression: 2, address: 3, dns1: 129, dns2: 131 } as const);
const ZERO = Uint8Array.of(0, 0, 0, 0);

export interface IpcpResult {
  localAddress: string;
  peerAddress: string;
  dns: string[];
}

/** What IPCP tells the link (named apart from LCP's, so one object, the link, serves both). */
export interface IpcpPorts {
  sendIpcp(packet: Uint8Array): void;
  ipcpUp(result: IpcpResult, now: number): void;
  ipcpDown(now: number): void;
  ipcpFinished(reason: string, now: number): void;
}

interface Wanted {
  address?: Uint8Array;
  dns1?: Uint8Array;
  dns2?: Uint8Array;
}

class IpcpOptions implements OptionsHandler {
  want: Wanted = {};
  granted: Wanted = {};
  peerAddress: Uint8Array | undefined;

  /** `peerAddressHint`: what we nak to a peer asking for 0.0.0.0 (it wants to be told an address). */
  constructor(private readonly peerAddressHint: Uint8Array) {}

  reset(): void {
    this.want = { address: ZERO, dns1: ZERO, dns2: ZERO };
  }

  request(): ConfigOption[] {
    const out: ConfigOption[] = [];
    if (this.want.address) out.push(option(OPT.address, this.want.address));
    if (this.want.dns1) out.push(option(OPT.dns1, this.want.dns1));
    if (this.want.dns2) out.push(option(OPT.dns2, this.want.dns2));
    return out;
  }

  judge(o: ConfigOption): Verdict {
    if (o.type !== OPT.address || o.data.length !== 4) return { kind: 'reject' }; // VJ, IP-Addresses, DNS/NBNS asks, unknown
    return isZero(o.data) ? { kind: 'nak', data: this.peerAddressHint } : { kind: 'ack' };
  }

  peerAcked(options: ConfigOption[]): void {
    this.peerAddress = options.find((o) => o.type === OPT.address)?.data.slice();
  }

  acked(options: ConfigOption[]): void {
    const g: Wanted = {};
    for (const o of options) {
      if (o.type === OPT.address) g.address = o.data.slice();
      else if (o.type === OPT.dns1) g.dns1 = o.data.slice();
      else if (o.type === OPT.dns2) g.dns2 = o.data.slice();
    }
    this.granted = g;
  }

  naked(options: ConfigOption[]): void {
    for (const o of options) {
      if (o.data.length !== 4) continue;
      if (o.type === OPT.address) this.want.address = o.data.slice();
      else if (o.type === OPT.dns1) this.want.dns1 = o.data.slice();
      else if (o.type === OPT.dns2) this.want.dns2 = o.data.slice();
    }
  }

  rejected(options: ConfigOption[]): void {
    for (const o of options) {
      if (o.type === OPT.address) this.want.address = undefined;
      else if (o.type === OPT.dns1) this.want.dns1 = undefined;
      else if (o.type === OPT.dns2) this.want.dns2 = undefined;
    }
  }
}

function isZero(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}

export class Ipcp implements AutomatonPorts {
  readonly automaton: Automaton;
  private readonly options: IpcpOptions;
  private readonly log: Logger;

  constructor(
    peerAddressHint: Uint8Array,
    deps: { log: Logger; drops: DropCounter },
    private readonly ports: IpcpPorts,
    timing: AutomatonTiming,
  ) {
    this.log = deps.log;
    this.options = new IpcpOptions(peerAddressHint);
    this.automaton = new Automaton('IPCP', this.options, this, timing, deps.log, deps.drops);
  }

  // ---- the automaton's ports (methods, not closures: RAM on XS) ----

  send(packet: Uint8Array): void {
    this.ports.sendIpcp(packet);
  }

  thisLayerUp(now: number): void {
    const g = this.options.granted;
    if (!g.address || isZero(g.address)) {
      this.log.warn('IPCP opened without a local address');
      this.automaton.close(now, 'no local IP address');
      return;
    }
    const dns = [g.dns1, g.dns2].filter((d): d is Uint8Array => d !== undefined && !isZero(d)).map((d) => ipv4ToString(d));
    const peer = this.options.peerAddress;
    this.ports.ipcpUp({ localAddress: ipv4ToString(g.address), peerAddress: peer ? ipv4ToString(peer) : '0.0.0.0', dns }, now);
  }

  thisLayerDown(now: number): void {
    this.ports.ipcpDown(now);
  }

  thisLayerStarted(): void {}

  thisLayerFinished(reason: string, now: number): void {
    this.ports.ipcpFinished(reason, now);
  }

  get opened(): boolean {
    return this.automaton.state === 'Opened';
  }
}
