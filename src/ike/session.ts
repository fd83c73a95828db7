/**
 * One IKEv2 SA (initiator, PSK) and its CHILD SA to the gateway, sans-IO (docs/design.md).
 *
 *   start() ─► IKE_SA_INIT ─► IKE_AUTH ─► established ─► (DPD, keepalives, rekeys, gateway requests)
 *                 │  COOKIE / INVALID_KE: same exchange again     │ gateway DELETE, DPD timeout,
 *                 ▼                                               ▼ failed rekey: start over
 *   failure ─► 'waiting' (backoff) ─► next attempt … maxAttempts ─► 'failed' (final ike-error)
 *
 * Rekeying is make-before-break (rekeying.ts): at childLifetime, or when the gateway
 * asks, a new CHILD SA replaces the old one, whose inbound SA stays until the old pair is deleted;
 * at ikeLifetime (or when the gateway asks) we rekey the IKE SA and delete the old one.
 *
 * Our requests have one outstanding message at a time (window 1), retransmitted with
 * exponential backoff. The gateway's requests are answered and the last answer is kept
 * for its retransmissions. Bad input is dropped and counted, never thrown.
 */
import { formatIkeSuite } from '../crypto/index.ts';
import { classifyUdp4500, IKE_PORT, natKeepalive, wrapIkeForNatt } from '../esp/index.ts';
import { toHex, utf8 } from '../util/bytes.ts';
import { DropCounter } from '../util/log.ts';
import { buildChildSa, describeChildSa, newEspSpi, type ChildSa } from './child-sa.ts';
import { ChildSaSet } from './child-sa-set.ts';
import {
  decodeHeader, decodeMessage, encodeMessage, exchangeName, ExchangeType, type IkeHeader, type IkeMessage, type Payload,
} from './codec/index.ts';
import { createIkeSa, encodeProtected, type IkeSa } from './ike-sa.ts';
import { failure, type IkeFailure } from './errors.ts';
import { identityFromString } from './identity.ts';
import { parseConfiguredProposals, preferredGroup, type OfferedProposals } from './proposals.ts';
import { attemptDelay, Retransmitter } from './retransmit.ts';
import type { IkeCounters, IkeEvent, IkePhase, IkePort, IkeSessionConfig, IkeSessionDeps, IkeSessionOptions, IkeSessionPorts } from './session-types.ts';
import { buildAuthPayloads, processAuthResponse, type AuthParams } from './tasks/ike-auth.ts';
import { IkeSaInitTask, type Endpoint } from './tasks/ike-sa-init.ts';
import { answerInformational, deleteChildSaPayloads, deleteIkeSaPayloads, dpdPayloads } from './tasks/informational.ts';
import { Rekeying } from './rekeying.ts';
import { ANY_IPV4, formatSelector, selectorFromCidr, type Ipv4Selector } from './traffic-selectors.ts';

type Purpose = 'init' | 'auth' | 'dpd' | 'rekey-child' | 'rekey-ike' | 'delete-child' | 'delete-old-ike';

interface Pending {
  purpose: Purpose;
  /** The IKE SA the request went out on (none for IKE_SA_INIT). */
  sa: IkeSa | undefined;
  /** 'delete-child': the pair being deleted. */
  child?: ChildSa;
  exchange: number;
  messageId: number;
  /** The IKE message as encoded (the non-ESP marker is added per transmission). */
  wire: Uint8Array;
  port: IkePort;
}

export class IkeSession {
  private phase: IkePhase = 'idle';
  private attempt = 0;
  private attemptStartedAt = 0;
  private retryAt: number | undefined;
  private readonly rekeying: Rekeying;
  private local: Endpoint = { address: '0.0.0.0', port: IKE_PORT };
  private readonly remote: Endpoint;
  private init: IkeSaInitTask | undefined;
  private initRequest: Uint8Array = new Uint8Array(0);
  private sa: IkeSa | undefined;
  private authParams: AuthParams | undefined;
  private readonly children: ChildSaSet;
  private pending: Pending | undefined;
  private readonly rtx: Retransmitter;
  /** Our last DELETE, so its response is recognised rather than counted as a stray message. */
  private deleted: { spiI: Uint8Array; spiR: Uint8Array; messageId: number } | undefined;
  private lastInboundAt = 0;
  private lastNatTOutAt = 0;
  private readonly offered: OfferedProposals | undefined;
  private readonly tsr: Ipv4Selector[] = [];
  private readonly configError: string | undefined;
  private readonly drops: DropCounter;
  private readonly espDrops: DropCounter;
  readonly counters: IkeCounters = { attempts: 0, messagesOut: 0, messagesIn: 0, retransmits: 0, keepalives: 0, dpdRequests: 0, peerRequests: 0, dropped: 0 };

  constructor(
    private readonly config: IkeSessionConfig,
    private readonly deps: IkeSessionDeps,
    private readonly ports: IkeSessionPorts,
    private readonly options: IkeSessionOptions = {},
  ) {
    this.remote = { address: config.gateway, port: IKE_PORT };
    this.rtx = new Retransmitter(options.retransmit);
    this.children = new ChildSaSet(ports);
    this.drops = new DropCounter(deps.log);
    this.espDrops = deps.espDrops ?? new DropCounter(deps.log.child('esp'));
    const proposals = parseConfiguredProposals(config.ikeProposals, config.espProposals);
    if (proposals.ok) this.offered = proposals.value;
    this.rekeying = new Rekeying({
      config,
      deps: { ...deps, espDrops: this.espDrops },
      children: this.children,
      pfsGroups: this.offered?.pfsGroups ?? [],
      sa: () => this.sa!,
      replaceSa: (sa) => (this.sa = sa),
      addresses: () => ({ local: this.local.address, gateway: this.remote.address }),
      request: (purpose, payloads, now) => this.sendEncrypted(purpose, ExchangeType.CREATE_CHILD_SA, payloads, now),
      deleteChild: (child, now) => this.sendDeleteChild(child, now),
      deleteIkeSa: (old, now) => this.sendDeleteOldIkeSa(old, now),
      answer: (h, payloads, now) => this.answer(h, payloads, now),
      restart: (now, reason) => this.tearDown(now, reason, true, 0),
      emit: (ev) => this.emit(ev),
    });
    let error = proposals.ok ? undefined : proposals.error;
    for (const cidr of config.remoteTs) {
      const s = selectorFromCidr(cidr);
      if (s) this.tsr.push(s);
      else error ??= `remoteTs '${cidr}' is not an IPv4 CIDR`;
    }
    if (this.tsr.length === 0) error ??= 'remoteTs is empty';
    if (!config.psk) error ??= 'psk is empty';
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(config.gateway)) error ??= `gateway '${config.gateway}' is not an IPv4 address`;
    this.configError = error;
  }

  get state(): IkePhase {
    return this.phase;
  }

  get childSa(): ChildSa | undefined {
    return this.children.current;
  }

  /** Drops by reason (malformed, wrong SPI, ICV, stale message IDs ...). */
  dropCounts(): Record<string, number> {
    return this.drops.snapshot();
  }

  /** Starts (or restarts) establishing. `localAddress`/`localPort`: our 'ike' socket as we see it, for NAT-D. */
  start(now: number, localAddress: string, localPort: number): void {
    this.reset();
    this.local = { address: localAddress, port: localPort };
    if (this.configError) {
      this.phase = 'failed';
      this.emit({ type: 'ike-error', cause: 'CONFIG', detail: this.configError, fatal: true, attempt: 0 });
      return;
    }
    this.attempt = 0;
    this.beginAttempt(now);
  }

  /** A datagram from the gateway on our 'ike' (500) or 'nat-t' (4500) socket; 4500 payloads as received (marker included). */
  input(payload: Uint8Array, port: IkePort, now: number): void {
    try {
      this.handleInput(payload, port, now);
    } catch (e) {
      // A bug must not take the agent down; it is logged and counted like bad input.
      this.deps.log.error(`internal error on input: ${e instanceof Error ? e.message : String(e)}`);
      this.drop('internal error');
    }
  }

  /** ESP traffic seen by the agent: inbound proves the gateway alive (DPD), outbound on 4500 refreshes the NAT mapping. */
  noteEspActivity(direction: 'in' | 'out', now: number): void {
    if (direction === 'in') this.lastInboundAt = now;
    else if (this.children.current?.udpEncap) this.lastNatTOutAt = now;
  }

  onTimer(now: number): void {
    try {
      this.handleTimer(now);
    } catch (e) {
      this.deps.log.error(`internal error on timer: ${e instanceof Error ? e.message : String(e)}`);
      this.drop('internal error');
    }
  }

  deadline(): number | undefined {
    let at: number | undefined;
    const consider = (t: number | undefined): void => {
      if (t !== undefined && (at === undefined || t < at)) at = t;
    };
    if (this.pending) consider(this.rtx.deadline());
    if (this.phase === 'waiting') consider(this.retryAt);
    if (this.phase === 'established') {
      if (!this.pending) consider(this.rekeying.deadline());
      if (this.config.dpdInterval > 0 && !this.pending) consider(this.lastInboundAt + this.config.dpdInterval * 1000);
    }
    if (this.keepaliveDue()) consider(this.lastNatTOutAt + this.config.natKeepalive * 1000);
    return at;
  }

  /** Deletes the IKE SA (one DELETE, not retransmitted: we may be shutting down) and stops. */
  close(now: number): void {
    if (this.sa && (this.phase === 'auth' || this.phase === 'established')) this.tearDown(now, 'closed', true, undefined);
    else {
      this.reset();
      this.phase = 'closed';
    }
  }

  // ---- establishment ----

  private beginAttempt(now: number): void {
    this.reset();
    this.attempt++;
    this.counters.attempts++;
    this.attemptStartedAt = now;
    this.phase = 'init';
    this.emit({ type: 'ike-connecting', attempt: this.attempt });
    const ike = this.offered!.ike;
    this.init = new IkeSaInitTask(ike, preferredGroup(ike), this.deps.random, this.local, this.remote, this.options.forceEncap);
    this.sendInit(now);
  }

  private sendInit(now: number): void {
    this.initRequest = encodeMessage(this.init!.buildRequest());
    this.deps.log.debug(`IKE_SA_INIT request, KE ${this.init!.group.name}, attempt ${this.attempt}`);
    this.sendRequest({ purpose: 'init', sa: undefined, exchange: ExchangeType.IKE_SA_INIT, messageId: 0, wire: this.initRequest, port: 'ike' }, now);
  }

  private onInitResponse(msg: IkeMessage, raw: Uint8Array, now: number): void {
    const task = this.init!;
    const out = task.processResponse(msg);
    if (out.kind === 'stale') return this.drop('stale IKE_SA_INIT response', out.reason);
    this.pending = undefined;
    this.rtx.stop();
    if (out.kind === 'retry') {
      this.deps.log.info(out.reason === 'cookie' ? 'gateway asked for a COOKIE: resending IKE_SA_INIT with it' : `gateway wants another group: resending IKE_SA_INIT with KE ${task.group.name}`);
      this.sendInit(now);
      return;
    }
    if (out.kind === 'failed') {
      this.failAttempt(now, out.failure, false);
      return;
    }
    const random = this.deps.random;
    this.sa = createIkeSa(task, out, this.initRequest, raw.slice(), random, this.deps.keyLog);
    const { suite, natT } = this.sa;
    this.deps.log.info(`IKE_SA_INIT done: ${formatIkeSuite(suite)}${natT ? ', NAT detected: floating to port 4500' : ''}`);
    if (natT) this.emit({ type: 'nat-detected', local: out.nat!.localBehindNat, remote: out.nat!.remoteBehindNat });
    this.phase = 'auth';
    this.authParams = {
      localId: identityFromString(this.config.localId),
      remoteId: identityFromString(this.config.remoteId),
      sendRemoteId: this.options.sendRemoteId ?? true,
      psk: utf8(this.config.psk),
      esp: this.offered!.esp,
      espSpiIn: newEspSpi(random),
      tsi: [ANY_IPV4],
      tsr: this.tsr,
    };
    this.sendEncrypted('auth', ExchangeType.IKE_AUTH, buildAuthPayloads(this.sa.auth, this.authParams), now);
  }

  private onAuthResponse(msg: IkeMessage, now: number): void {
    const sa = this.sa!;
    const out = processAuthResponse(sa.auth, this.authParams!, msg);
    if (out.kind === 'failed') {
      this.failAttempt(now, out.failure, out.ikeSaUp);
      return;
    }
    const child = buildChildSa(
      {
        initiator: true, prf: sa.suite.prf, skD: sa.keys.skD, nonceI: sa.auth.nonceI, nonceR: sa.auth.nonceR, spiIn: this.authParams!.espSpiIn,
        result: out.child, udpEncap: sa.natT, localAddress: this.local.address, gateway: this.remote.address,
      },
      { random: this.deps.random, drops: this.espDrops, keyLog: this.deps.keyLog },
    );
    this.children.use(child);
    this.phase = 'established';
    this.lastInboundAt = now;
    this.rekeying.established(now);
    this.deps.log.info(`IKE SA up (${formatIkeSuite(sa.suite)}), CHILD SA ${describeChildSa(child)}, virtual IP ${child.virtualIp}`);
    this.emit({ type: 'ike-up', spiI: toHex(sa.spiI), spiR: toHex(sa.spiR), suite: formatIkeSuite(sa.suite), natT: sa.natT, attempt: this.attempt, elapsedMs: now - this.attemptStartedAt });
    this.emit({
      type: 'child-up', virtualIp: child.virtualIp, dns: child.dns,
      ts: { local: child.tsLocal.map(formatSelector), remote: child.tsRemote.map(formatSelector) },
      espSpiIn: child.spiIn, espSpiOut: child.spiOut, suite: child.suite, udpEncap: child.udpEncap,
    });
  }

  private failAttempt(now: number, f: IkeFailure, deleteIkeSa: boolean): void {
    if (deleteIkeSa) this.sendDeleteOnce(now);
    const fatal = f.cause === 'CONFIG' || this.attempt >= Math.max(1, this.config.maxAttempts);
    this.deps.log.warn(`attempt ${this.attempt} failed: ${f.cause}: ${f.detail}${fatal ? ' (giving up)' : ''}`);
    const attempt = this.attempt;
    this.reset();
    if (fatal) this.phase = 'failed';
    else {
      this.phase = 'waiting';
      this.retryAt = now + attemptDelay(attempt + 1, this.options.retryBaseMs ?? 2000, this.options.retryCapMs ?? 120_000);
    }
    this.emit({ type: 'ike-error', cause: f.cause, detail: f.detail, fatal, attempt });
  }

  /** The established SA is gone (or going): tell the agent, optionally DELETE it, and maybe start over. */
  private tearDown(now: number, reason: string, sendDelete: boolean, restartDelayMs: number | undefined): void {
    const child = this.children.current;
    if (sendDelete) this.sendDeleteOnce(now);
    this.reset();
    this.attempt = 0;
    if (child) this.emit({ type: 'child-down', espSpiIn: child.spiIn, espSpiOut: child.spiOut, reason });
    this.deps.log.info(`IKE SA down: ${reason}`);
    this.emit({ type: 'ike-down', reason });
    if (restartDelayMs === undefined) this.phase = 'closed';
    else {
      this.phase = 'waiting';
      this.retryAt = now + restartDelayMs;
    }
  }

  private reset(): void {
    this.init = undefined;
    this.sa = undefined;
    this.authParams = undefined;
    this.children.clear();
    this.pending = undefined;
    this.rtx.stop();
    this.retryAt = undefined;
    this.rekeying.reset();
  }

  // ---- timers ----

  private handleTimer(now: number): void {
    if (this.pending && (this.rtx.deadline() ?? Infinity) <= now) {
      const pending = this.pending;
      if (this.rtx.onTimer(now) === 'resend') {
        this.counters.retransmits++;
        this.deps.log.debug(`retransmitting ${exchangeName(pending.exchange)} #${pending.messageId} (try ${this.rtx.transmissions})`);
        this.transmit(pending.port, pending.wire, now);
      } else {
        this.pending = undefined;
        if (pending.purpose === 'init' || pending.purpose === 'auth') {
          this.failAttempt(now, failure('TIMEOUT', `no response to ${exchangeName(pending.exchange)} after ${this.rtx.transmissions || 'all'} transmissions`), false);
        } else if (pending.purpose !== 'delete-old-ike') {
          // (An unanswered DELETE of the replaced IKE SA is let go: the new one works, the gateway expires the old.)
          this.tearDown(now, `gateway stopped answering (${pending.purpose === 'dpd' ? 'DPD' : exchangeName(pending.exchange)})`, false, this.restartDelay());
        }
      }
    }
    if (this.phase === 'established' && !this.pending) this.rekeying.onTimer(now);
    if (this.phase === 'waiting' && this.retryAt !== undefined && now >= this.retryAt) this.beginAttempt(now);
    if (this.phase === 'established' && this.config.dpdInterval > 0 && !this.pending && now >= this.lastInboundAt + this.config.dpdInterval * 1000) {
      this.counters.dpdRequests++;
      this.sendEncrypted('dpd', ExchangeType.INFORMATIONAL, dpdPayloads(), now);
    }
    if (this.keepaliveDue() && now >= this.lastNatTOutAt + this.config.natKeepalive * 1000) {
      this.counters.keepalives++;
      this.lastNatTOutAt = now;
      this.ports.sendUdp('nat-t', natKeepalive());
    }
  }

  private keepaliveDue(): boolean {
    return this.config.natKeepalive > 0 && this.sa?.natT === true && (this.phase === 'auth' || this.phase === 'established');
  }

  private restartDelay(): number {
    return this.options.restartDelayMs ?? 1000;
  }

  // ---- input ----

  private handleInput(payload: Uint8Array, port: IkePort, now: number): void {
    let bytes = payload;
    if (port === 'nat-t') {
      const c = classifyUdp4500(payload);
      if (c.kind === 'keepalive') return;
      if (c.kind === 'esp') return this.drop('ESP given to the IKE session');
      if (c.kind === 'invalid') return this.drop('invalid UDP/4500 payload', c.reason);
      bytes = c.message;
    }
    const h = decodeHeader(bytes);
    if (!h.ok) return this.drop('malformed IKE header', h.error.message);
    const header = h.value;
    // We are the original initiator: everything the gateway sends has the I flag clear.
    if (header.initiator) return this.drop('message with the Initiator flag set');
    if (header.response) this.handleResponse(bytes, header, now);
    else this.handleRequest(bytes, header, now);
  }

  private handleResponse(bytes: Uint8Array, h: IkeHeader, now: number): void {
    const d = this.deleted;
    if (d && same(h.spiI, d.spiI) && same(h.spiR, d.spiR) && h.messageId === d.messageId) {
      this.deleted = undefined;
      this.deps.log.debug('gateway confirmed our DELETE');
      return;
    }
    const p = this.pending;
    const sa = p?.sa ?? this.sa;
    const ourSpi = sa?.spiI ?? this.init?.spiI;
    if (!ourSpi || !same(h.spiI, ourSpi) || (sa && !same(h.spiR, sa.spiR))) return this.drop('unknown IKE SPI');
    if (!p || h.messageId !== p.messageId) {
      const expected = p?.messageId ?? this.sa?.nextId ?? 1;
      return this.drop(h.messageId < expected ? 'duplicate response' : 'response with a wrong message ID', `#${h.messageId}`);
    }
    if (h.exchange !== p.exchange) return this.drop('response to another exchange', exchangeName(h.exchange));
    const decoded = decodeMessage(bytes, p.sa?.cipherIn);
    if (!decoded.ok) return this.drop(decoded.error.code === 'icv' ? 'ICV check failed' : 'malformed IKE message', decoded.error.message);
    const msg = decoded.value.message;
    if (p.purpose !== 'init' && msg.encrypted === undefined) return this.drop('unprotected response');
    this.counters.messagesIn++;
    this.lastInboundAt = now;
    // IKE_SA_INIT may answer a request we already replaced (COOKIE / KE retries): its handler
    // decides whether the outstanding request is done.
    if (p.purpose === 'init') return this.onInitResponse(msg, bytes, now);
    this.pending = undefined;
    this.rtx.stop();
    if (p.purpose === 'auth') this.onAuthResponse(msg, now);
    else if (p.purpose === 'rekey-child' || p.purpose === 'rekey-ike') this.rekeying.onResponse(p.purpose, msg, now);
    else if (p.purpose === 'delete-child' && p.child) this.children.retire(p.child);
    // 'dpd': the answer itself is the proof of life.
    if (!this.pending) this.onTimer(now); // a rekey that fell due meanwhile goes now
  }

  private handleRequest(bytes: Uint8Array, h: IkeHeader, now: number): void {
    const sa = this.sa;
    if (!sa || (this.phase !== 'auth' && this.phase !== 'established')) return this.drop('request without an IKE SA');
    if (!same(h.spiI, sa.spiI) || !same(h.spiR, sa.spiR)) return this.drop('unknown IKE SPI');
    const retransmitted = sa.lastAnswer !== undefined && h.messageId === sa.lastAnswer.messageId;
    if (!retransmitted && h.messageId !== sa.peerNextId) return this.drop('gateway request outside the window', `#${h.messageId}`);
    const decoded = decodeMessage(bytes, sa.cipherIn);
    if (!decoded.ok) return this.drop(decoded.error.code === 'icv' ? 'ICV check failed' : 'malformed IKE message', decoded.error.message);
    const msg = decoded.value.message;
    if (msg.encrypted === undefined) return this.drop('unprotected request');
    this.lastInboundAt = now;
    if (retransmitted) {
      // RFC 7296 2.1: answer a retransmitted request with the same response, processing nothing again.
      this.transmit(this.ikePort(), sa.lastAnswer!.wire, now);
      return;
    }
    this.counters.messagesIn++;
    this.counters.peerRequests++;
    if (h.exchange === ExchangeType.INFORMATIONAL) {
      const answer = answerInformational(msg, this.children.all());
      this.answer(h, answer.response, now);
      if (answer.event.kind === 'delete-ike') this.tearDown(now, 'gateway deleted the IKE SA', false, this.restartDelay());
      // A pair a rekey replaced (the gateway initiated it, or won a collision): gone at both ends now.
      else if (answer.event.kind === 'delete-child' && this.children.isRetiring(answer.event.child)) this.children.retire(answer.event.child);
      // One CHILD SA per IKE SA: without it the IKE SA is of no use, so both go and we start over.
      else if (answer.event.kind === 'delete-child') this.tearDown(now, 'gateway deleted the CHILD SA', true, this.restartDelay());
    } else if (h.exchange === ExchangeType.CREATE_CHILD_SA) {
      this.rekeying.answerCreateChildSa(h, msg, now);
    } else {
      this.answer(h, [], now);
    }
  }

  // ---- output ----

  private answer(h: IkeHeader, payloads: Payload[], now: number): void {
    const sa = this.sa!;
    const wire = encodeProtected(sa, h.exchange, h.messageId, true, payloads);
    sa.lastAnswer = { messageId: h.messageId, wire };
    sa.peerNextId = h.messageId + 1;
    this.counters.messagesOut++;
    this.transmit(this.ikePort(), wire, now);
  }

  private sendEncrypted(purpose: Purpose, exchange: number, payloads: Payload[], now: number): void {
    const sa = this.sa!;
    const messageId = sa.nextId++;
    const wire = encodeProtected(sa, exchange, messageId, false, payloads);
    this.sendRequest({ purpose, sa, exchange, messageId, wire, port: this.ikePort() }, now);
  }

  /** DELETE of a CHILD SA pair we created (RFC 7296 1.4.1); its inbound SA goes when answered. */
  private sendDeleteChild(child: ChildSa, now: number): void {
    const sa = this.sa!;
    const messageId = sa.nextId++;
    const wire = encodeProtected(sa, ExchangeType.INFORMATIONAL, messageId, false, deleteChildSaPayloads(child.spiIn));
    this.sendRequest({ purpose: 'delete-child', sa, child, exchange: ExchangeType.INFORMATIONAL, messageId, wire, port: this.ikePort() }, now);
  }

  /** DELETE of the IKE SA a rekey replaced, on that SA (RFC 7296 1.3.2). */
  private sendDeleteOldIkeSa(old: IkeSa, now: number): void {
    const messageId = old.nextId++;
    const wire = encodeProtected(old, ExchangeType.INFORMATIONAL, messageId, false, deleteIkeSaPayloads());
    this.sendRequest({ purpose: 'delete-old-ike', sa: old, exchange: ExchangeType.INFORMATIONAL, messageId, wire, port: this.ikePort() }, now);
  }

  /** A DELETE of the IKE SA, sent once and not awaited: the SA is gone for us either way. */
  private sendDeleteOnce(now: number): void {
    const sa = this.sa;
    if (!sa) return;
    const messageId = sa.nextId++;
    const wire = encodeProtected(sa, ExchangeType.INFORMATIONAL, messageId, false, deleteIkeSaPayloads());
    this.deleted = { spiI: sa.spiI, spiR: sa.spiR, messageId };
    this.counters.messagesOut++;
    this.transmit(this.ikePort(), wire, now);
  }

  private sendRequest(p: Pending, now: number): void {
    this.pending = p;
    this.rtx.sent(now);
    this.counters.messagesOut++;
    this.transmit(p.port, p.wire, now);
  }

  private transmit(port: IkePort, wire: Uint8Array, now: number): void {
    if (port === 'nat-t') {
      this.lastNatTOutAt = now;
      this.ports.sendUdp('nat-t', wrapIkeForNatt(wire));
    } else this.ports.sendUdp('ike', wire);
  }

  /** After NAT detection everything moves to 4500 (RFC 7296 2.23). */
  private ikePort(): IkePort {
    return this.sa?.natT ? 'nat-t' : 'ike';
  }

  private drop(reason: string, detail = ''): void {
    this.counters.dropped++;
    this.drops.drop(reason, detail);
  }

  private emit(ev: IkeEvent): void {
    this.ports.onEvent(ev);
  }
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
