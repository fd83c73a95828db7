/**
 * The IKE layer of the device (initiator, PSK, one CHILD SA), sans-IO: it keeps one IKE SA up
 * with the gateway and runs the exchanges as tasks on its TaskManager.
 *
 *   start() ─► IKE_SA_INIT ─► IKE_AUTH ─► established ─► rekeys, DPD, keepalives, gateway requests
 *                 ▲   failure: ike-error, wait (Backoff)          │ gateway DELETE, no answer,
 *                 └──────────────────────────────────────────────┘ failed rekey: restart
 *   established ─ linkDown() ─► suspended ─ start() on the new link ─► moving ─► established (same SAs)
 *                                   │ linkLossHold over                 │ any failure: restart at once
 *
 * It never gives up: failed attempts wait with capped exponential backoff and jitter; a carrier
 * loss keeps the SAs for the next link to move (tasks/mobike.ts), else a new link starts afresh.
 * It owns when things happen (lifetimes, volume, retries; liveness.ts: DPD, keepalives, one-way
 * paths); the tasks own what is sent; the CHILD SA table (shared with the ESP path) owns the SAs.
 */
import { formatIkeSuite, type DhGroup, type DhKeyPair } from '../crypto/index.ts';
import { classifyUdp4500, IKE_PORT, natKeepalive, wrapIkeForNatt } from '../esp/index.ts';
import type { KeyLog, Random } from '../platform.ts';
import { Backoff, type BackoffSettings } from '../util/backoff.ts';
import { equalBytes, toHex } from '../util/bytes.ts';
import { DropCounter, type Logger } from '../util/log.ts';
import { due, earliest } from '../util/time.ts';
import { describeChildSa, volumeSpent, type ChildSa } from './child-sa.ts';
import type { ChildSaTable } from './child-sa-table.ts';
import { decodeHeader, ExchangeType, ProtocolId, type IkeHeader, type IkeMessage } from './codec/index.ts';
import type { IkeSettings } from './config.ts';
import type { Endpoint, IkeContext } from './context.ts';
import { failure, isPermanent, type IkeFailure } from './errors.ts';
import type { IkeCounters, IkeEvent, IkePhase, IkePort } from './events.ts';
import { newIkeSa, type IkeSa } from './ike-sa.ts';
import { Liveness } from './liveness.ts';
import { canFollow, LinkLossHold } from './mobility.ts';
import { preferredGroup } from './proposals.ts';
import type { RetransmitPolicy } from './retransmit.ts';
import type { Task } from './task.ts';
import { maxIkeMessage } from './fragments.ts';
import { TaskManager, type Answer } from './task-manager.ts';
import { ChildRekeyTask } from './tasks/child-rekey.ts';
import { IkeAuthTask } from './tasks/ike-auth.ts';
import { IkeRekeyTask } from './tasks/ike-rekey.ts';
import { IkeSaInitTask, newIkeSpi } from './tasks/ike-sa-init.ts';
import { AddressUpdateTask } from './tasks/mobike.ts';
import { deleteIkeSaPayloads, DpdTask, IkeDeleteTask } from './tasks/informational.ts';
import { respond } from './tasks/responder.ts';
import { formatSelector } from './traffic-selectors.ts';

/** Tuning that is not device configuration (tests shorten the timers). */
export interface IkeTuning {
  retransmit?: RetransmitPolicy;
  /** Wait before re-establishing after the gateway deleted the SA or stopped answering. Default 1 s. */
  restartDelayMs?: number;
  /** Make the gateway see a NAT even without one, so ESP always goes in UDP 4500 (default false). */
  forceEncap?: boolean;
}

export interface IkeSessionDeps {
  random: Random;
  log: Logger;
  keyLog?: KeyLog;
  /** Where the ESP SAs count their drops. */
  espDrops: DropCounter;
}

export interface IkeSessionPorts {
  /** A datagram to the gateway at port 500 or 4500; on 'nat-t' it already carries the non-ESP marker. */
  sendUdp(port: IkePort, payload: Uint8Array, now: number): void;
  onEvent(event: IkeEvent, now: number): void;
  /** The link's MTU, which IKE fragments fit in (RFC 7383); unknown: 576. */
  linkMtu?(): number | undefined;
}

const TASK_WORDS: Readonly<Record<Task['name'], string>> = Object.freeze({
  IKE_SA_INIT: 'IKE_SA_INIT', IKE_AUTH: 'IKE_AUTH', CHILD_REKEY: 'CHILD SA rekey', IKE_REKEY: 'IKE SA rekey',
  CHILD_DELETE: 'CHILD SA delete', IKE_DELETE: 'IKE SA delete', DPD: 'DPD', ADDRESS_UPDATE: 'address update',
});

/** After a failed re-authentication, while the old IKE SA still works. */
const REAUTH_RETRY_MS = 10_000;

/** How long before the gateway's AUTH_LIFETIME runs out we re-authenticate: a quarter of it, at most a minute. */
const reauthLead = (lifetimeMs: number): number => Math.min(60_000, lifetimeMs / 4);

/**
 * A shorter AUTH_LIFETIME is taken as this: each re-authentication is a full IKE_SA_INIT + IKE_AUTH,
 * and a gateway saying 0 or 1 s would make them back to back (692 in 20 s). 30 s: the lab's shortest
 * reauth_time, a re-authentication every 22.5 s at most.
 */
export const MIN_AUTH_LIFETIME_MS = 30_000;

/** A quiet moment after bring-up or a rekey to make the next key pair in a turn of its own. */
const SPARE_KEY_DELAY_MS = 2000;

export class IkeSession implements IkeContext {
  readonly random: Random;
  readonly log: Logger;
  readonly keyLog: KeyLog | undefined;
  readonly espDrops: DropCounter;
  readonly forceEncap: boolean;
  local: Endpoint = { address: '0.0.0.0', port: IKE_PORT };
  readonly remote: Endpoint;
  pfsGroup: DhGroup | undefined;
  readonly counters: IkeCounters = { attempts: 0, messagesOut: 0, messagesIn: 0, retransmits: 0, keepalives: 0, dpdRequests: 0, peerRequests: 0, dropped: 0 };

  private phase: IkePhase = 'idle';
  /** The current IKE SA (being established, or up). */
  private ike: TaskManager | undefined;
  /** IKE SAs a rekey or re-authentication replaced, until their DELETE is done. */
  private replaced: TaskManager[] = [];
  /** A new IKE SA authenticating afresh (RFC 4478) while the current one carries the traffic. */
  private reauthing: TaskManager | undefined;
  private reauthDue: number | undefined;
  /** The CHILD SAs of a re-authenticated IKE SA: they go with it when its DELETE is done. */
  private readonly pairsOf = new Map<TaskManager, ChildSa[]>();
  private readonly backoff: Backoff;
  private attempt = 0;
  private attemptStartedAt = 0;
  /** The next attempt, after its key pair was made in a turn of its own. */
  private sendInitAt: number | undefined;
  private retryAt: number | undefined;
  private childRekeyDue: number | undefined;
  private ikeRekeyDue: number | undefined;
  /** The pair a volume rekey was asked for (once per pair). */
  private volumeRekeyed: ChildSa | undefined;
  private readonly liveness: Liveness;
  private spare: DhKeyPair | undefined;
  /** The first key pair is made in the first timer turn, while the modem and PPP come up. */
  private spareAt: number | undefined = 0;
  /** Our last DELETE, sent once: its answer is recognised, not counted as stray. */
  private deleted: { spiI: Uint8Array; spiR: Uint8Array; messageId: number } | undefined;
  private readonly hold: LinkLossHold;
  /** A permanent failure is explained once, not at every attempt. */
  private explained: string | undefined;
  private readonly drops: DropCounter;

  constructor(
    readonly settings: IkeSettings,
    retry: BackoffSettings,
    deps: IkeSessionDeps,
    readonly children: ChildSaTable,
    private readonly ports: IkeSessionPorts,
    private readonly tuning: IkeTuning = {},
  ) {
    this.random = deps.random;
    this.log = deps.log;
    this.keyLog = deps.keyLog;
    this.espDrops = deps.espDrops;
    this.forceEncap = tuning.forceEncap ?? false;
    this.remote = { address: settings.gateway, port: IKE_PORT };
    this.backoff = new Backoff(retry, deps.random);
    this.drops = new DropCounter(deps.log);
    this.pfsGroup = settings.proposals.pfsGroups[0];
    this.liveness = new Liveness(settings);
    this.hold = new LinkLossHold(settings.linkLossHoldMs);
  }

  get state(): IkePhase {
    return this.phase;
  }

  /** The current IKE SA, read-only (diagnostics and tests). */
  get ikeSa(): Readonly<IkeSa> | undefined {
    return this.ike?.sa;
  }

  /** Drops by reason (malformed, wrong SPI, ICV, stale message IDs ...). */
  dropCounts(): Record<string, number> {
    return this.drops.snapshot();
  }

  /**
   * A new link: the kept IKE SA moves to it, or a fresh start (no backoff carried over).
   * `localAddress`/`localPort`: our 'ike' socket as we see it, for NAT-D.
   */
  start(now: number, localAddress: string, localPort: number): void {
    const previous = this.local;
    this.local = { address: localAddress, port: localPort };
    this.backoff.reset();
    this.explained = undefined;
    this.attempt = 0;
    if (this.phase === 'suspended' && this.ike) return this.move(previous, now);
    this.dropAll(now);
    this.beginAttempt(now);
  }

  /** A datagram from the gateway on our 'ike' (500) or 'nat-t' (4500) socket; 4500 payloads as received (marker included). */
  input(payload: Uint8Array, port: IkePort, now: number): void {
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
    const d = this.deleted;
    if (d && header.response && equalBytes(header.spiI, d.spiI) && equalBytes(header.spiR, d.spiR) && header.messageId === d.messageId) {
      this.deleted = undefined;
      return this.log.debug('gateway confirmed our DELETE');
    }
    const manager = this.managerFor(header);
    if (!manager) return this.drop('unknown IKE SPI');
    if (header.response) manager.onResponse(header, bytes, now);
    else manager.onRequest(header, bytes, now);
  }

  /**
   * ESP traffic of `child`: inbound proves the gateway alive; outbound refreshes the NAT mapping
   * and, unanswered, makes a DPD due; either counts toward the pair's volume limits.
   */
  noteEsp(direction: 'in' | 'out', child: ChildSa, now: number): void {
    if (direction === 'in') this.liveness.espIn(now);
    else this.liveness.espOut(now, child.udpEncap);
    if (child === this.children.current && this.volumeRekeyed !== child && volumeSpent(child, { bytes: this.settings.childRekeyBytes, packets: this.settings.childRekeyPackets })) {
      this.volumeRekeyed = child;
      this.log.info(`CHILD SA ${describeChildSa(child)} carried its volume: rekeying`);
      this.childRekeyDue = now;
    }
  }

  deadline(): number | undefined {
    const ike = this.ike;
    const up = this.phase === 'established' && ike !== undefined;
    // Suspended, nothing can go out: the kept SA's retransmissions and timers wait for the next link.
    if (this.phase === 'suspended') return earliest(this.hold.deadline, this.spareAt);
    return earliest(
      ike?.deadline(),
      this.reauthing?.deadline(),
      ...this.replaced.map((m) => m.deadline()),
      this.sendInitAt,
      this.phase === 'waiting' ? this.retryAt : undefined,
      up ? this.childRekeyDue : undefined,
      up ? this.ikeRekeyDue : undefined,
      up && !this.reauthing ? this.reauthDue : undefined,
      up && !this.proving(ike) ? this.liveness.dpdDue() : undefined,
      up && !this.proving(ike) ? this.liveness.healDue() : undefined,
      this.keepaliveDue(),
      this.spareAt,
    );
  }

  /**
   * True when the turn is spent (a task's resume, a key pair, a rekey started): the rest of what
   * is due waits for the next turn, which the host runs at once (the deadlines stand).
   */
  onTimer(now: number): boolean {
    if (this.phase === 'suspended') return this.whileSuspended(now);
    if (this.ike?.onTimer(now) || this.reauthing?.onTimer(now)) return true;
    for (const m of [...this.replaced]) m.onTimer(now);
    if (due(this.spareAt, now)) {
      this.makeSpareKey();
      return true;
    }
    if (due(this.sendInitAt, now)) {
      this.sendInitAt = undefined;
      this.sendInit(now);
    }
    if (this.phase === 'waiting' && due(this.retryAt, now)) this.beginAttempt(now);
    const ike = this.ike;
    if (this.phase === 'established' && ike) {
      // A rekey's key pair, when no spare is ready, is made in a turn of its own first; the turn
      // that starts a rekey (its request may be built at once) does nothing more.
      if (due(this.ikeRekeyDue, now)) {
        const start = !ike.has('IKE_REKEY');
        if (start && this.readySpare(ike.sa.suite!.dh)) return true;
        this.ikeRekeyDue = undefined;
        if (start) {
          ike.queue(new IkeRekeyTask(this), now);
          return true;
        }
      }
      if (due(this.childRekeyDue, now)) {
        const start = !ike.has('CHILD_REKEY');
        if (start && this.readySpare(this.pfsGroup)) return true;
        this.childRekeyDue = undefined;
        if (start) {
          ike.queue(new ChildRekeyTask(this), now);
          return true;
        }
      }
      if (!this.reauthing && due(this.reauthDue, now)) this.beginReauth(now);
      if (!this.proving(ike) && due(this.liveness.healDue(), now)) {
        // The gateway answers IKE but its ESP stopped: it sends to a mapping we no longer have, or lost the CHILD SA.
        if (this.liveness.heal(now) === 'update') {
          this.log.warn(`no ESP from the gateway for ${Math.round((2 * this.settings.dpdIntervalMs) / 1000)} s while it answers IKE: updating our address from this mapping`);
          ike.queue(new AddressUpdateTask(this, (t) => this.addressUpdated(t)), now);
        } else {
          this.log.warn('still no ESP from the gateway after the address update: rekeying the CHILD SA');
          this.childRekeyDue = now;
        }
      } else if (!this.proving(ike) && due(this.liveness.dpdDue(), now)) {
        this.counters.dpdRequests++;
        // Traffic went unanswered: with MOBIKE the check is an address update (its NAT-D shows the
        // gateway this mapping; a MOBIKE gateway follows nothing else), the one-way path's first step.
        if (ike.sa.mobike && this.liveness.silenceUntried()) {
          this.liveness.updated(now);
          ike.queue(new AddressUpdateTask(this, (t) => this.addressUpdated(t)), now);
        } else ike.queue(new DpdTask(), now);
      }
    }
    if (due(this.keepaliveDue(), now)) {
      this.counters.keepalives++;
      this.liveness.natOut(now);
      this.ports.sendUdp('nat-t', natKeepalive(), now);
    }
    return false;
  }

  /** Deletes the IKE SA at the gateway (one DELETE, not awaited: we may be shutting down) and stops. */
  close(now: number): void {
    this.tearDown('closed', true, now);
    this.phase = 'closed';
  }

  /**
   * The link is gone: nothing can be sent. An established IKE SA is kept for linkLossHold, for the
   * next link to move it; anything else goes, and start() follows on the next link.
   */
  linkDown(now: number): void {
    if (this.suspend(now)) return;
    this.tearDown('link down', false, now);
    this.phase = 'idle';
  }

  // ---- IkeContext: what tasks ask of the session ----

  emit(event: IkeEvent, now: number): void {
    this.ports.onEvent(event, now);
  }

  keyPair(group: DhGroup, now: number): DhKeyPair {
    // The next exchange (a rekey with PFS may come before the next IKE rekey) finds one ready.
    this.spareAt = earliest(this.spareAt, now + SPARE_KEY_DELAY_MS);
    const spare = this.spare;
    if (spare && spare.group.id === group.id) {
      this.spare = undefined;
      return spare;
    }
    return group.generate(this.random);
  }

  queue(task: Task, now: number): void {
    this.ike?.queue(task, now);
  }

  established(sa: IkeSa, child: ChildSa, now: number, authLifetimeMs?: number): void {
    if (authLifetimeMs !== undefined && authLifetimeMs < MIN_AUTH_LIFETIME_MS) {
      this.log.warn(`gateway AUTH_LIFETIME ${authLifetimeMs / 1000} s is taken as ${MIN_AUTH_LIFETIME_MS / 1000} s`);
      authLifetimeMs = MIN_AUTH_LIFETIME_MS;
    }
    this.reauthDue = authLifetimeMs === undefined ? undefined : now + authLifetimeMs - reauthLead(authLifetimeMs);
    if (this.reauthing?.sa === sa) return this.reauthenticated(sa, child, now);
    this.phase = 'established';
    this.children.use(child, now);
    this.backoff.reset();
    this.explained = undefined;
    this.liveness.reset(now);
    this.childRekeyDue = this.settings.childLifetimeMs > 0 ? now + this.settings.childLifetimeMs : undefined;
    this.ikeRekeyDue = this.settings.ikeLifetimeMs > 0 ? now + this.settings.ikeLifetimeMs : undefined;
    this.spareAt = now + SPARE_KEY_DELAY_MS;
    const suite = formatIkeSuite(sa.suite!);
    this.log.info(`IKE SA up (${suite}), CHILD SA ${describeChildSa(child)}, virtual IP ${child.virtualIp}`);
    this.emit({ type: 'ike-up', spiI: toHex(sa.spiI), spiR: toHex(sa.spiR), suite, natT: sa.natT, attempt: this.attempt, elapsedMs: now - this.attemptStartedAt }, now);
    this.emit({
      type: 'child-up', virtualIp: child.virtualIp, dns: child.dns,
      ts: { local: child.tsLocal.map(formatSelector), remote: child.tsRemote.map(formatSelector) },
      espSpiIn: child.spiIn, espSpiOut: child.spiOut, suite: child.suite, udpEncap: child.udpEncap,
    }, now);
    this.attempt = 0;
  }

  /** Make-before-break (RFC 4478): the new IKE SA and its CHILD SA take over; the old SA is deleted, its pairs with it. */
  private reauthenticated(sa: IkeSa, child: ChildSa, now: number): void {
    const old = this.ike!;
    const previous = this.children.current!;
    this.ike = this.reauthing!;
    this.reauthing = undefined;
    for (const t of old.takeQueued()) t.abandon();
    this.pairsOf.set(old, this.children.all());
    this.children.use(child, now);
    this.replaced.push(old);
    old.queue(new IkeDeleteTask(this), now);
    this.childRekeyDue = this.settings.childLifetimeMs > 0 ? now + this.settings.childLifetimeMs : undefined;
    this.ikeRekeyDue = this.settings.ikeLifetimeMs > 0 ? now + this.settings.ikeLifetimeMs : undefined;
    this.spareAt = now + SPARE_KEY_DELAY_MS;
    this.log.info(`IKE SA re-authenticated: ${toHex(sa.spiI)}/${toHex(sa.spiR)} replaces ${toHex(old.sa.spiI)}/${toHex(old.sa.spiR)}`);
    this.emit({ type: 'ike-reauthenticated', spiI: toHex(sa.spiI), spiR: toHex(sa.spiR), previousSpiI: toHex(old.sa.spiI), previousSpiR: toHex(old.sa.spiR) }, now);
    this.emit({ type: 'child-rekeyed', espSpiIn: child.spiIn, espSpiOut: child.spiOut, previousSpiIn: previous.spiIn, previousSpiOut: previous.spiOut, by: 'device' }, now);
  }

  replaceIkeSa(next: IkeSa, now: number): void {
    const old = this.ike!;
    const ike = this.manager(next, 0);
    this.ike = ike;
    this.replaced.push(old);
    this.ikeRekeyDue = this.settings.ikeLifetimeMs > 0 ? now + this.settings.ikeLifetimeMs : undefined;
    this.spareAt = now + SPARE_KEY_DELAY_MS;
    for (const t of old.takeQueued()) ike.queue(t, now);
    old.queue(new IkeDeleteTask(this), now);
  }

  rekeyChildAt(at: number | undefined): void {
    this.childRekeyDue = at;
  }

  rekeyIkeAt(at: number | undefined): void {
    this.ikeRekeyDue = at;
  }

  restart(reason: string, sendDelete: boolean, now: number, delayMs = this.tuning.restartDelayMs ?? 1000): void {
    this.tearDown(reason, sendDelete, now);
    this.phase = 'waiting';
    this.retryAt = now + delayMs;
  }

  // ---- mobility: a carrier loss keeps the SAs, the next link moves them ----

  private suspend(now: number): boolean {
    if (!this.ike || (this.phase !== 'established' && this.phase !== 'moving') || !this.hold.keep(now, this.phase === 'moving')) return false;
    // What cannot finish without a link: a re-authentication (tried again once moved), old SAs' DELETEs (the gateway expires them).
    if (this.reauthing) {
      this.reauthing.abandon();
      this.reauthing = undefined;
      this.reauthDue = now;
    }
    for (const m of [...this.replaced]) this.retire(m);
    this.phase = 'suspended';
    const holdMs = this.hold.deadline! - now;
    this.log.info(`link down: IKE SA kept for up to ${Math.round(holdMs / 1000)} s for the next link`);
    this.emit({ type: 'ike-suspended', holdMs }, now);
    return true;
  }

  private whileSuspended(now: number): boolean {
    if (due(this.spareAt, now)) {
      this.makeSpareKey();
      return true;
    }
    if (due(this.hold.deadline, now)) {
      this.tearDown(`no link for ${Math.round(this.settings.linkLossHoldMs / 1000)} s (linkLossHold)`, false, now);
      this.phase = 'idle';
    }
    return false;
  }

  /** The kept IKE SA on a new link: the address update, or a new IKE SA at once where the gateway cannot follow. */
  private move(previous: Endpoint, now: number): void {
    const sa = this.ike!.sa;
    if (!canFollow(sa, previous, this.local)) {
      return this.restart('new local address, and the gateway has no MOBIKE: a new IKE SA', false, now, 0);
    }
    this.phase = 'moving';
    this.log.info(`moving the IKE SA to ${this.local.address} (${sa.mobike ? 'MOBIKE UPDATE_SA_ADDRESSES' : 'RFC 7296 2.23, the gateway follows the NAT mapping'})`);
    // A link lost again while moving: the update under way goes on from this link.
    if (!this.ike!.has('ADDRESS_UPDATE')) this.ike!.queue(new AddressUpdateTask(this, (t) => this.addressUpdated(t)), now);
  }

  /** The gateway answered an address update: from a new link (the SAs carry traffic again), or from this one after a one-way path. */
  private addressUpdated(now: number): void {
    if (this.phase !== 'moving') return this.log.info('address update answered: the gateway sends to this mapping');
    const sa = this.ike!.sa;
    const child = this.children.current!;
    this.phase = 'established';
    const elapsedMs = this.hold.over(now);
    this.liveness.reset(now);
    this.log.info(`IKE SA moved to ${this.local.address}: CHILD SA ${describeChildSa(child)} carries on`);
    this.emit({ type: 'ike-moved', localAddress: this.local.address, mobike: sa.mobike, virtualIp: child.virtualIp, dns: child.dns, elapsedMs }, now);
  }

  // ---- establishment ----

  private beginAttempt(now: number): void {
    this.dropAll(now);
    this.attempt++;
    this.counters.attempts++;
    this.attemptStartedAt = now;
    this.phase = 'connecting';
    this.emit({ type: 'ike-connecting', attempt: this.attempt }, now);
    // The key pair is the costly part of IKE_SA_INIT: made in a turn of its own unless one is ready.
    const group = preferredGroup(this.settings.proposals.ike);
    if (this.spare?.group.id === group.id) return this.sendInit(now);
    this.spare = group.generate(this.random);
    this.sendInitAt = now;
  }

  private beginReauth(now: number): void {
    this.reauthDue = undefined;
    this.log.info('re-authenticating: a new IKE SA before the gateway\'s AUTH_LIFETIME runs out');
    const m = this.manager(newIkeSa(newIkeSpi(this.random)), 0);
    this.reauthing = m;
    m.queue(new IkeSaInitTask(this, now), now);
    m.queue(new IkeAuthTask(this, true), now);
  }

  private sendInit(now: number): void {
    const ike = this.manager(newIkeSa(newIkeSpi(this.random)), 0);
    this.ike = ike;
    ike.queue(new IkeSaInitTask(this, now), now);
    ike.queue(new IkeAuthTask(this), now);
  }

  private attemptFailed(f: IkeFailure, deleteSa: boolean, now: number): void {
    if (deleteSa) this.sendDelete(now);
    this.dropAll(now);
    const permanent = isPermanent(f);
    const retryInMs = this.backoff.fail(permanent);
    const attempt = this.attempt;
    this.log.warn(`attempt ${attempt} failed: ${f.cause}: ${f.detail}; next attempt in ${Math.round(retryInMs / 1000)} s`);
    if (permanent && this.backoff.slow && this.explained !== f.cause) {
      this.explained = f.cause;
      this.log.error(`the gateway refuses this device's configuration (${f.cause}: ${f.detail}); trying again every ${Math.round(retryInMs / 60000)} min until it is fixed`);
    }
    this.phase = 'waiting';
    this.retryAt = now + retryInMs;
    this.spareAt = now + SPARE_KEY_DELAY_MS;
    this.emit({ type: 'ike-error', cause: f.cause, detail: f.detail, attempt, retryInMs, permanent }, now);
  }

  /** The SA is gone (or going): tell the agent, optionally DELETE it at the gateway. */
  private tearDown(reason: string, sendDelete: boolean, now: number): void {
    const child = this.children.current;
    const wasUp = this.phase === 'established' || this.phase === 'suspended' || this.phase === 'moving';
    if (sendDelete) this.sendDelete(now);
    this.dropAll(now);
    if (child) this.emit({ type: 'child-down', espSpiIn: child.spiIn, espSpiOut: child.spiOut, reason }, now);
    if (wasUp || child) {
      this.log.info(`IKE SA down: ${reason}`);
      this.emit({ type: 'ike-down', reason }, now);
    }
  }

  private sendDelete(now: number, ike = this.ike): void {
    if (!ike) return;
    const messageId = ike.sendOnce(ExchangeType.INFORMATIONAL, deleteIkeSaPayloads(), now);
    if (messageId !== undefined) this.deleted = { spiI: ike.sa.spiI, spiR: ike.sa.spiR, messageId };
  }

  /** Every IKE SA and CHILD SA goes, keys zeroed; no timers left. */
  private dropAll(now: number): void {
    this.ike?.abandon();
    this.reauthing?.abandon();
    for (const m of this.replaced) m.abandon();
    this.ike = this.reauthing = undefined;
    this.replaced = [];
    this.pairsOf.clear();
    this.reauthDue = undefined;
    this.children.clear(now);
    this.sendInitAt = this.retryAt = this.childRekeyDue = this.ikeRekeyDue = this.spareAt = undefined;
    this.hold.forget();
    this.liveness.forget();
    this.volumeRekeyed = undefined;
    this.pfsGroup = this.settings.proposals.pfsGroups[0];
  }

  // ---- the task managers ----

  private manager(sa: IkeSa, firstMessageId: number): TaskManager {
    return new TaskManager(sa, {
      transmit: (wire, now) => this.transmit(sa, wire, now),
      retransmitted: () => this.counters.retransmits++,
      respond: (msg, m, now) => {
        this.counters.peerRequests++;
        return this.respondOn(msg, m, now);
      },
      done: (task, m) => {
        if (task.name === 'IKE_DELETE') this.retire(m);
      },
      failed: (task, f, deleteSa, m, now) => this.taskFailed(task, f, deleteSa, m, now),
      heard: (now) => {
        this.counters.messagesIn++;
        this.liveness.heard(now);
      },
      drop: (reason, detail) => this.drop(reason, detail),
      debug: (message) => this.log.debug(message),
      maxMessage: () => maxIkeMessage(this.ports.linkMtu?.(), sa.natT),
    }, this.tuning.retransmit ?? this.settings.retransmit, firstMessageId);
  }

  private managerFor(h: IkeHeader): TaskManager | undefined {
    for (const m of [this.ike, this.reauthing, ...this.replaced]) {
      if (!m) continue;
      if (!equalBytes(h.spiI, m.sa.spiI)) continue;
      // The IKE_SA_INIT response is the first to name the gateway's SPI.
      if (equalBytes(h.spiR, m.sa.spiR) || (m.sa.spiR.every((b) => b === 0) && h.response && h.exchange === ExchangeType.IKE_SA_INIT)) return m;
    }
    return undefined;
  }

  private respondOn(msg: IkeMessage, m: TaskManager, now: number): Answer {
    if (m === this.ike) return respond(this, msg, m, now);
    // A replaced IKE SA only goes away: the gateway's DELETE of it ends it; anything else gets an empty answer.
    // The DELETE of the re-authenticating SA ends that attempt (tried again later), so it never stays half done.
    const deletesIt = msg.exchange === ExchangeType.INFORMATIONAL && (msg.encrypted ?? []).some((p) => p.kind === 'D' && p.protocolId === ProtocolId.IKE);
    if (!deletesIt) return { payloads: [] };
    return { payloads: [], after: (t) => (m === this.reauthing ? this.reauthFailed(failure('GATEWAY_ERROR', 'gateway deleted the new IKE SA'), false, t) : this.retire(m)) };
  }

  private taskFailed(task: Task, f: IkeFailure | undefined, deleteSa: boolean, m: TaskManager, now: number): void {
    if (m === this.reauthing) return this.reauthFailed(f, deleteSa, now);
    if (m !== this.ike) return this.retire(m);
    // The kept SA did not move (the gateway forgot it, refused, or the path changed too much): a new one now, no backoff.
    if (this.phase === 'moving') return this.restart(`${TASK_WORDS[task.name]} from the new link failed (${f?.cause ?? 'no answer'}): re-establishing`, deleteSa, now, 0);
    if (!f) return;
    if (task.name === 'IKE_SA_INIT' || task.name === 'IKE_AUTH') return this.attemptFailed(f, deleteSa, now);
    // A gateway that stopped answering gets a moment; one that refused (it is alive) a new SA at once.
    if (f.cause === 'TIMEOUT') this.restart(f.detail, deleteSa, now);
    else this.restart(`${TASK_WORDS[task.name]} failed (${f.cause}): re-establishing`, deleteSa, now, 0);
  }

  private retire(m: TaskManager): void {
    m.abandon();
    this.replaced = this.replaced.filter((x) => x !== m);
    for (const c of this.pairsOf.get(m) ?? []) this.children.retire(c);
    this.pairsOf.delete(m);
  }

  /** The old IKE SA still carries the traffic: try again shortly, while its authentication lasts. */
  private reauthFailed(f: IkeFailure | undefined, deleteSa: boolean, now: number): void {
    const m = this.reauthing!;
    if (deleteSa) this.sendDelete(now, m);
    m.abandon();
    this.reauthing = undefined;
    this.log.warn(`re-authentication failed${f ? ` (${f.cause}: ${f.detail})` : ''}; trying again in ${REAUTH_RETRY_MS / 1000} s`);
    this.reauthDue = now + REAUTH_RETRY_MS;
  }

  // ---- liveness and output ----

  /** An exchange under way proves the gateway alive as well as a DPD would (its answer, or its timeout, decides). */
  private proving(ike: TaskManager): boolean {
    return ike.has('DPD') || ike.has('CHILD_REKEY') || ike.has('IKE_REKEY') || ike.has('ADDRESS_UPDATE');
  }

  private keepaliveDue(): number | undefined {
    const up = this.phase === 'established' || (this.phase === 'connecting' && this.ike?.sa.cipherIn !== undefined);
    return up && this.ike ? this.liveness.keepaliveDue(this.ike.sa.natT) : undefined;
  }

  private makeSpareKey(): void {
    this.spareAt = undefined;
    const sa = this.ike?.sa;
    // The next key exchange: an attempt's, the next CHILD SA rekey's (PFS) or the next IKE SA rekey's.
    const childFirst = this.pfsGroup !== undefined && (this.childRekeyDue ?? Infinity) < (this.ikeRekeyDue ?? Infinity);
    this.readySpare(!sa?.suite ? preferredGroup(this.settings.proposals.ike) : childFirst ? this.pfsGroup! : sa.suite.dh);
  }

  /** Makes the spare key pair in `group` unless one is ready; true when it was made (the turn's work). */
  private readySpare(group: DhGroup | undefined): boolean {
    if (!group || this.spare?.group.id === group.id) return false;
    this.spare?.wipe();
    this.spare = group.generate(this.random);
    return true;
  }

  private transmit(sa: IkeSa, wire: Uint8Array, now: number): void {
    this.counters.messagesOut++;
    // After NAT detection everything moves to 4500 (RFC 7296 2.23).
    if (sa.natT) {
      this.liveness.natOut(now);
      this.ports.sendUdp('nat-t', wrapIkeForNatt(wire), now);
    } else this.ports.sendUdp('ike', wire, now);
  }

  private drop(reason: string, detail = ''): void {
    this.counters.dropped++;
    this.drops.drop(reason, detail);
  }
}
