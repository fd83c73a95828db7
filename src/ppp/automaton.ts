/**
 * The RFC 1661 (section 4) option-negotiation automaton, shared by LCP and IPCP.
 * The protocol-specific part is an OptionsHandler; packets leave through ports.send
 * without the PPP protocol number (the owner adds it).
 */
import type { DropCounter, Logger } from '../util/log.ts';
import { equalBytes, printable, utf8 } from '../util/bytes.ts';
import { buildControlPacket, parseControlPacket } from './control-packet.ts';
import { deepFreeze } from '../util/freeze.ts';
import { CODE } from './protocols.ts';
import { type ConfigOption, encodeOptions, parseOptions } from './options.ts';

export const STATES = Object.freeze(['Initial', 'Starting', 'Closed', 'Stopped', 'Closing', 'Stopping', 'Req-Sent', 'Ack-Rcvd', 'Ack-Sent', 'Opened'] as const);
export type State = (typeof STATES)[number];

export type AutomatonEvent = 'Up' | 'Down' | 'Open' | 'Close' | 'TO+' | 'TO-' | 'RCR+' | 'RCR-' | 'RCA' | 'RCN' | 'RTR' | 'RTA' | 'RUC' | 'RXJ+' | 'RXJ-' | 'RXR';
export type Action = 'tlu' | 'tld' | 'tls' | 'tlf' | 'irc' | 'zrc' | 'scr' | 'sca' | 'scn' | 'str' | 'sta' | 'scj' | 'ser';

/**
 * RFC 1661 section 4.1, one row per event, one column per state (0 Initial .. 9 Opened).
 * "a,b/n" = actions then next state; "-" = cannot happen. The restart ("r") and passive ("p")
 * options are not taken; crossed connections ("x") need no special handling.
 */
const TABLE: Readonly<Record<AutomatonEvent, readonly string[]>> = deepFreeze({
  'Up':   ['2', 'irc,scr/6', '-', '-', '-', '-', '-', '-', '-', '-'],
  'Down': ['-', '-', '0', 'tls/1', '0', '1', '1', '1', '1', 'tld/1'],
  'Open': ['tls/1', '1', 'irc,scr/6', '3', '5', '5', '6', '7', '8', '9'],
  'Close': ['0', 'tlf/0', '2', '2', '4', '4', 'irc,str/4', 'irc,str/4', 'irc,str/4', 'tld,irc,str/4'],
  'TO+':  ['-', '-', '-', '-', 'str/4', 'str/5', 'scr/6', 'scr/6', 'scr/8', '-'],
  'TO-':  ['-', '-', '-', '-', 'tlf/2', 'tlf/3', 'tlf/3', 'tlf/3', 'tlf/3', '-'],
  'RCR+': ['-', '-', 'sta/2', 'irc,scr,sca/8', '4', '5', 'sca/8', 'sca,tlu/9', 'sca/8', 'tld,scr,sca/8'],
  'RCR-': ['-', '-', 'sta/2', 'irc,scr,scn/6', '4', '5', 'scn/6', 'scn/7', 'scn/6', 'tld,scr,scn/6'],
  'RCA':  ['-', '-', 'sta/2', 'sta/3', '4', '5', 'irc/7', 'scr/6', 'irc,tlu/9', 'tld,scr/6'],
  'RCN':  ['-', '-', 'sta/2', 'sta/3', '4', '5', 'irc,scr/6', 'scr/6', 'irc,scr/8', 'tld,scr/6'],
  'RTR':  ['-', '-', 'sta/2', 'sta/3', 'sta/4', 'sta/5', 'sta/6', 'sta/6', 'sta/6', 'tld,zrc,sta/5'],
  'RTA':  ['-', '-', '2', '3', 'tlf/2', 'tlf/3', '6', '6', '8', 'tld,scr/6'],
  'RUC':  ['-', '-', 'scj/2', 'scj/3', 'scj/4', 'scj/5', 'scj/6', 'scj/7', 'scj/8', 'scj/9'],
  'RXJ+': ['-', '-', '2', '3', '4', '5', '6', '6', '8', '9'],
  'RXJ-': ['-', '-', 'tlf/2', 'tlf/3', 'tlf/2', 'tlf/3', 'tlf/3', 'tlf/3', 'tlf/3', 'tld,irc,str/5'],
  'RXR':  ['-', '-', '2', '3', '4', '5', '6', '7', '8', 'ser/9'],
});

export interface Transition {
  actions: Action[];
  next: State;
}

/** The table entry for `event` in `state`; undefined when RFC 1661 says the event cannot happen. */
export function transition(state: State, event: AutomatonEvent): Transition | undefined {
  const cell = TABLE[event][STATES.indexOf(state)]!;
  if (cell === '-') return undefined;
  const slash = cell.indexOf('/');
  const actions = slash < 0 ? [] : (cell.slice(0, slash).split(',') as Action[]);
  return { actions, next: STATES[Number(cell.slice(slash + 1))]! };
}

const TIMER_STATES: readonly State[] = Object.freeze(['Closing', 'Stopping', 'Req-Sent', 'Ack-Rcvd', 'Ack-Sent']);
const NEGOTIATING: readonly State[] = Object.freeze(['Req-Sent', 'Ack-Rcvd', 'Ack-Sent']);

export type Verdict = { kind: 'ack' } | { kind: 'nak'; data: Uint8Array } | { kind: 'reject' };

/** The protocol-specific half of a control protocol (LCP, IPCP). */
export interface OptionsHandler {
  /** Negotiation starts afresh: forget what the peer nak'd or rejected last time. */
  reset(): void;
  /** Options for my next Configure-Request. */
  request(): ConfigOption[];
  /** Called once per received Configure-Request before judging its options. */
  beginJudging?(): void;
  judge(option: ConfigOption): Verdict;
  /** We sent Configure-Ack for these options of the peer: they are in force. */
  peerAcked(options: ConfigOption[]): void;
  acked(options: ConfigOption[]): void;
  naked(options: ConfigOption[]): void;
  rejected(options: ConfigOption[]): void;
  /** Codes beyond 7 (LCP echo etc.); return false for a code unknown to the protocol. */
  otherCode?(code: number, id: number, data: Uint8Array, now: number): boolean;
  /** A Code-Reject for a code beyond 7 arrived (RXJ+). */
  codeRejected?(code: number): void;
  /** The ser action: answer an Echo-Request passed to Automaton.echoRequest (LCP only). */
  echoReply?(id: number, data: Uint8Array): void;
}

export interface AutomatonPorts {
  send(packet: Uint8Array): void;
  thisLayerUp(now: number): void;
  thisLayerDown(now: number): void;
  thisLayerStarted(now: number): void;
  thisLayerFinished(reason: string, now: number): void;
}

export interface AutomatonTiming {
  restartMs: number; // restart timer
  maxConfigure: number; // Configure-Requests sent without answer before giving up
  maxTerminate: number; // Terminate-Requests sent without answer
  maxFailure: number; // Configure-Naks sent before the options are rejected instead
}

export const DEFAULT_TIMING: Readonly<AutomatonTiming> = Object.freeze({ restartMs: 3000, maxConfigure: 10, maxTerminate: 2, maxFailure: 5 });

export class Automaton {
  private current: State = 'Initial';
  private restartCounter = 0;
  private failures = 0;
  private timerAt: number | undefined;
  private nextId = 1;
  private requestId = -1;
  private requestOptions: Uint8Array = new Uint8Array(0);
  private peerRequest: { id: number; options: ConfigOption[]; raw: Uint8Array; reply?: { code: number; data: Uint8Array } } | undefined;
  private rejectedPacket: Uint8Array = new Uint8Array(0);
  private echoPacket: { id: number; data: Uint8Array } | undefined;
  private finishReason = '';

  constructor(
    readonly name: string,
    private readonly handler: OptionsHandler,
    private readonly ports: AutomatonPorts,
    private readonly timing: AutomatonTiming,
    private readonly log: Logger,
    private readonly drops: DropCounter,
  ) {}

  get state(): State {
    return this.current;
  }

  up(now: number): void { this.event('Up', now); }
  down(now: number): void { this.event('Down', now); }
  open(now: number): void {
    this.finishReason = '';
    this.event('Open', now);
  }
  close(now: number, reason: string): void {
    this.finishReason = reason;
    this.event('Close', now);
  }

  /** Protocol-Reject of this protocol (catastrophic) or of one it can live without, routed here by LCP. */
  protocolRejected(catastrophic: boolean, now: number): void {
    if (catastrophic) this.finishReason = 'protocol rejected by peer';
    this.event(catastrophic ? 'RXJ-' : 'RXJ+', now);
  }

  deadline(): number | undefined {
    return this.timerAt;
  }

  onTimer(now: number): void {
    if (this.timerAt === undefined || now < this.timerAt) return;
    this.timerAt = undefined;
    if (this.restartCounter > 0) return this.event('TO+', now);
    if (this.current === 'Closing' || this.current === 'Stopping') this.finishReason ||= 'no Terminate-Ack';
    else this.finishReason = `${this.name} negotiation timed out`;
    this.event('TO-', now);
  }

  /** Sends a packet outside the negotiation (LCP echo, discard, protocol-reject); returns its identifier. */
  sendPacket(code: number, data: Uint8Array, id = this.allocateId()): number {
    this.ports.send(buildControlPacket(code, id, data));
    return id;
  }

  /** A received packet of this protocol: code, identifier, length, data. */
  input(bytes: Uint8Array, now: number): void {
    const p = parseControlPacket(bytes, this.drops, this.name);
    if (!p) return;
    const { code, id, data } = p;
    switch (code) {
      case CODE.configureRequest: return this.receiveConfigureRequest(id, data, now);
      case CODE.configureAck: return this.receiveConfigureAck(id, data, now);
      case CODE.configureNak:
      case CODE.configureReject: return this.receiveNakOrReject(code, id, data, now);
      case CODE.terminateRequest:
        this.log.info(`peer sent ${this.name} Terminate-Request${data.length ? ` "${printable(data)}"` : ''}`);
        if (this.current !== 'Closing' && this.current !== 'Stopping') this.finishReason = 'peer terminated'; // keep our own reason
        this.peerRequest = { id, options: [], raw: data };
        return this.event('RTR', now);
      case CODE.terminateAck: return this.event('RTA', now);
      case CODE.codeReject: return this.receiveCodeReject(data, now);
      default:
        if (this.handler.otherCode?.(code, id, data, now)) return;
        this.rejectedPacket = bytes.subarray(0, 4 + data.length);
        this.drops.drop(`${this.name} unknown code`, String(code));
        return this.event('RUC', now);
    }
  }

  /** RXR: LCP passes Echo-Requests here so that only the Opened state answers them. */
  echoRequest(id: number, data: Uint8Array, now: number): void {
    this.echoPacket = { id, data };
    this.event('RXR', now);
  }

  private receiveConfigureRequest(id: number, data: Uint8Array, now: number): void {
    const options = parseOptions(data);
    if (!options) return this.drops.drop(`${this.name} malformed options`);
    this.peerRequest = { id, options, raw: data };
    // Judge only where the table answers with sca/scn; elsewhere the request is just acknowledged or ignored.
    const judging = ['Stopped', 'Req-Sent', 'Ack-Rcvd', 'Ack-Sent', 'Opened'].includes(this.current);
    if (!judging) return this.event('RCR+', now);
    this.handler.beginJudging?.();
    const naks: ConfigOption[] = [];
    const rejects: ConfigOption[] = [];
    for (const o of options) {
      const v = this.handler.judge(o);
      if (v.kind === 'reject') rejects.push(o);
      else if (v.kind === 'nak') naks.push({ type: o.type, data: v.data });
    }
    if (rejects.length === 0 && naks.length > 0 && this.failures >= this.timing.maxFailure) {
      // The peer keeps insisting on values we can't take: reject them so negotiation converges.
      for (const o of options) if (naks.some((n) => n.type === o.type)) rejects.push(o);
    }
    if (rejects.length > 0) this.peerRequest.reply = { code: CODE.configureReject, data: encodeOptions(rejects) };
    else if (naks.length > 0) {
      this.failures++;
      this.peerRequest.reply = { code: CODE.configureNak, data: encodeOptions(naks) };
    }
    this.event(this.peerRequest.reply ? 'RCR-' : 'RCR+', now);
  }

  /** Replies are checked against our request only where one can be outstanding; elsewhere the table answers sta. */
  private expectsReply(): boolean {
    return NEGOTIATING.includes(this.current) || this.current === 'Opened';
  }

  private receiveConfigureAck(id: number, data: Uint8Array, now: number): void {
    if (!this.expectsReply()) return this.event('RCA', now);
    if (id !== this.requestId) return this.drops.drop(`${this.name} Configure-Ack with stale id`);
    if (!equalBytes(data, this.requestOptions)) return this.drops.drop(`${this.name} Configure-Ack not matching the request`);
    this.requestId = -1; // a duplicate Ack must not count twice
    this.handler.acked(parseOptions(data) ?? []);
    this.event('RCA', now);
  }

  private receiveNakOrReject(code: number, id: number, data: Uint8Array, now: number): void {
    const kind = code === CODE.configureNak ? 'Nak' : 'Reject';
    if (!this.expectsReply()) return this.event('RCN', now);
    if (id !== this.requestId) return this.drops.drop(`${this.name} Configure-${kind} with stale id`);
    const options = parseOptions(data);
    if (!options) return this.drops.drop(`${this.name} malformed options`);
    this.requestId = -1;
    if (code === CODE.configureNak) this.handler.naked(options);
    else this.handler.rejected(options);
    this.event('RCN', now);
  }

  private receiveCodeReject(data: Uint8Array, now: number): void {
    const code = data[0];
    if (code === undefined) return this.drops.drop(`${this.name} empty Code-Reject`);
    this.log.warn(`peer rejected ${this.name} code ${code}`);
    if (code >= CODE.configureRequest && code <= CODE.codeReject) {
      this.finishReason = `peer rejected ${this.name} code ${code}`;
      return this.event('RXJ-', now);
    }
    this.handler.codeRejected?.(code);
    this.event('RXJ+', now);
  }

  private event(event: AutomatonEvent, now: number): void {
    const from = this.current;
    const t = transition(from, event);
    if (!t) {
      this.log.debug(`${this.name}: event ${event} ignored in ${from}`);
      return;
    }
    this.current = t.next;
    if (!TIMER_STATES.includes(t.next)) this.timerAt = undefined;
    if (from !== t.next) this.log.debug(`${this.name}: ${from} -${event}-> ${t.next}`);
    for (const a of t.actions) this.act(a, from, t.next, now);
  }

  private act(action: Action, from: State, next: State, now: number): void {
    switch (action) {
      case 'tlu': return this.ports.thisLayerUp(now);
      case 'tld': return this.ports.thisLayerDown(now);
      case 'tls': return this.ports.thisLayerStarted(now);
      case 'tlf': return this.ports.thisLayerFinished(this.finishReason || `${this.name} finished`, now);
      case 'irc':
        this.restartCounter = next === 'Closing' || next === 'Stopping' ? this.timing.maxTerminate : this.timing.maxConfigure;
        return;
      case 'zrc':
        this.restartCounter = 0;
        this.timerAt = now + this.timing.restartMs;
        return;
      case 'scr': return this.sendConfigureRequest(from, now);
      case 'sca':
      case 'scn': return this.replyToRequest(action);
      case 'str':
        this.restartCounter--;
        this.timerAt = now + this.timing.restartMs;
        this.sendPacket(CODE.terminateRequest, utf8(this.finishReason));
        return;
      case 'sta':
        this.sendPacket(CODE.terminateAck, new Uint8Array(0), this.peerRequest?.id);
        return;
      case 'scj':
        this.sendPacket(CODE.codeReject, this.rejectedPacket);
        return;
      case 'ser':
        if (this.echoPacket) this.handler.echoReply?.(this.echoPacket.id, this.echoPacket.data); // LCP adds its magic
        return;
    }
  }

  private sendConfigureRequest(from: State, now: number): void {
    if (!NEGOTIATING.includes(from)) {
      this.handler.reset();
      this.failures = 0;
    }
    this.restartCounter--;
    this.timerAt = now + this.timing.restartMs;
    this.requestOptions = encodeOptions(this.handler.request());
    this.requestId = this.sendPacket(CODE.configureRequest, this.requestOptions);
  }

  private replyToRequest(action: 'sca' | 'scn'): void {
    const req = this.peerRequest;
    if (!req) return;
    if (action === 'sca') {
      this.handler.peerAcked(req.options);
      this.sendPacket(CODE.configureAck, req.raw, req.id);
    } else if (req.reply) this.sendPacket(req.reply.code, req.reply.data, req.id);
  }

  private allocateId(): number {
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0xff;
    return id;
  }
}


