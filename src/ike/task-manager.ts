/**
 * The task manager of one IKE SA (RFC 7296 2.1–2.3): our message IDs and the peer's, a window of
 * one outstanding request, retransmission, a queue of tasks, and the peer's requests — each
 * authenticated before it is parsed, answered once, its answer kept for the peer's retransmissions.
 * Bad input is dropped and counted; an authenticated request that does not parse is answered with
 * INVALID_SYNTAX or UNSUPPORTED_CRITICAL_PAYLOAD (RFC 7296 2.21.2), never met with silence.
 */
import { decodeMessage, encodeMessage, exchangeName, ExchangeType, notifyPayload, NotifyType, type IkeHeader, type IkeMessage, type Payload } from './codec/index.ts';
import type { DecodeResult, DecodedMessage } from './codec/index.ts';
import { failure, type IkeFailure } from './errors.ts';
import { encodeProtected, isFragment, openFragment, Reassembly } from './fragments.ts';
import { wipeIkeSa, type IkeSa } from './ike-sa.ts';
import { Retransmitter, type RetransmitPolicy } from './retransmit.ts';
import type { Task, TaskName, TaskOutcome } from './task.ts';

/** Our answer to a peer request, and what follows once it is sent (a teardown, a retirement). */
export interface Answer {
  payloads: Payload[];
  after?: (now: number) => void;
}

export interface TaskManagerPorts {
  transmit(wire: Uint8Array, now: number): void;
  retransmitted(): void;
  /** The peer's request, authenticated and decoded. */
  respond(msg: IkeMessage, manager: TaskManager, now: number): Answer;
  done(task: Task, manager: TaskManager, now: number): void;
  /** `f` undefined: the task lets go quietly. */
  failed(task: Task, f: IkeFailure | undefined, deleteSa: boolean, manager: TaskManager, now: number): void;
  /** An authenticated message from the gateway: proof of life. */
  heard(now: number): void;
  drop(reason: string, detail?: string): void;
  debug(message: string): void;
  /** The largest IKE message the path takes whole (RFC 7383: larger ones go as fragments, when the peer takes them). */
  maxMessage?(): number;
}

interface Active {
  task: Task;
  messageId: number;
  /** The request: one message, or its fragments (all resent on a retransmission, RFC 7383 2.6). */
  wires: Uint8Array[];
  /** resume() is due in a turn of its own. */
  resumeAt: number | undefined;
}

export class TaskManager {
  private nextId: number;
  private peerNextId = 0;
  private readonly queued: Task[] = [];
  private active: Active | undefined;
  private readonly rtx: Retransmitter;
  private lastAnswer: { messageId: number; wires: Uint8Array[] } | undefined;
  /** The gateway's fragmented responses and requests, one message each at a time. */
  private readonly responseParts = new Reassembly();
  private readonly requestParts = new Reassembly();
  /** When the next queued task starts (after one finished: in a turn of its own). */
  private nextAt: number | undefined;

  constructor(
    readonly sa: IkeSa,
    private readonly ports: TaskManagerPorts,
    policy: RetransmitPolicy | undefined,
    firstMessageId: number,
  ) {
    this.nextId = firstMessageId;
    this.rtx = new Retransmitter(policy);
  }

  get activeTask(): Task | undefined {
    return this.active?.task;
  }

  get idle(): boolean {
    return !this.active && this.queued.length === 0;
  }

  /** A task of this kind is active or waiting. */
  has(name: TaskName): boolean {
    return this.active?.task.name === name || this.queued.some((t) => t.name === name);
  }

  queue(task: Task, now: number): void {
    this.queued.push(task);
    if (!this.active) this.next(now);
  }

  /** Tasks still waiting, handed over to the SA that replaces this one (an IKE rekey). */
  takeQueued(): Task[] {
    return this.queued.splice(0);
  }

  deadline(): number | undefined {
    if (!this.active) return this.queued.length ? this.nextAt : undefined;
    return this.active.resumeAt ?? this.rtx.deadline();
  }

  /** True when the turn went to a task's resume() (costly by definition): other due work waits a turn. */
  onTimer(now: number): boolean {
    const a = this.active;
    if (!a) {
      if (this.nextAt !== undefined && now >= this.nextAt) this.next(now);
      return false;
    }
    if (a.resumeAt !== undefined) {
      if (now < a.resumeAt) return false;
      a.resumeAt = undefined;
      this.settle(a, a.task.resume!(this.sa, now), now);
      return true;
    }
    const verdict = this.rtx.onTimer(now);
    if (verdict === 'resend') {
      this.ports.retransmitted();
      this.ports.debug(`retransmitting ${exchangeName(a.task.exchange)} #${a.messageId} (try ${this.rtx.transmissions})`);
      this.transmitAll(a.wires, now);
    } else if (verdict === 'give-up') {
      this.active = undefined;
      this.ports.failed(a.task, a.task.timedOut(now), false, this, now);
    }
    return false;
  }

  onResponse(h: IkeHeader, bytes: Uint8Array, now: number): void {
    const a = this.active;
    if (!a || h.messageId !== a.messageId || a.resumeAt !== undefined) {
      return this.ports.drop(h.messageId < this.nextId ? 'duplicate response' : 'response with a wrong message ID', `#${h.messageId}`);
    }
    if (h.exchange !== a.task.exchange) return this.ports.drop('response to another exchange', exchangeName(h.exchange));
    const initial = a.task.exchange === ExchangeType.IKE_SA_INIT;
    const decoded = initial ? decodeMessage(bytes) : this.open(this.responseParts, bytes, now);
    if (!decoded) return;
    if (!decoded.ok) {
      if (!decoded.error.authenticated) return this.ports.drop(decoded.error.code === 'icv' ? 'ICV check failed' : 'malformed IKE message', decoded.error.message);
      this.active = undefined;
      this.rtx.stop();
      return this.ports.failed(a.task, failure('PROTOCOL_ERROR', `malformed ${exchangeName(h.exchange)} response: ${decoded.error.message}`), true, this, now);
    }
    const msg = decoded.value.message;
    if (!initial && msg.encrypted === undefined) return this.ports.drop('unprotected response');
    if (!initial) this.ports.heard(now);
    this.settle(a, a.task.process(this.sa, msg, bytes, now), now);
  }

  onRequest(h: IkeHeader, bytes: Uint8Array, now: number): void {
    if (!this.sa.cipherIn) return this.ports.drop('request without an IKE SA');
    // A half-open SA (IKE_AUTH not done): whoever answered IKE_SA_INIT could have sent it. Not
    // answered, not acted on (strongSwan as initiator does the same).
    if (!this.sa.peerAuthenticated) return this.ports.drop('gateway request before the gateway is authenticated', exchangeName(h.exchange));
    const retransmitted = this.lastAnswer !== undefined && h.messageId === this.lastAnswer.messageId;
    if (!retransmitted && h.messageId !== this.peerNextId) return this.ports.drop('gateway request outside the window', `#${h.messageId}`);
    if (retransmitted && isFragment(bytes)) return this.fragmentOfAnswered(bytes, now);
    const decoded = this.open(this.requestParts, bytes, now);
    if (!decoded) return;
    if (!decoded.ok) {
      const e = decoded.error;
      if (!e.authenticated) return this.ports.drop(e.code === 'icv' ? 'ICV check failed' : 'malformed IKE message', e.message);
      this.ports.heard(now);
      if (retransmitted) return this.transmitAll(this.lastAnswer!.wires, now);
      this.ports.drop('malformed authenticated request', e.message);
      const notify = e.code === 'unsupported-critical'
        ? notifyPayload(NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD, Uint8Array.of(e.payloadType ?? 0))
        : notifyPayload(NotifyType.INVALID_SYNTAX);
      return this.answer(h, { payloads: [notify] }, now);
    }
    const msg = decoded.value.message;
    if (msg.encrypted === undefined) return this.ports.drop('unprotected request');
    this.ports.heard(now);
    // RFC 7296 2.1: a retransmitted request gets the same answer; nothing is processed again.
    if (retransmitted) return this.transmitAll(this.lastAnswer!.wires, now);
    this.answer(h, this.ports.respond(msg, this, now), now);
  }

  /** A request we do not wait for (the DELETE when we stop or give up on the SA); its message ID, or undefined without keys. */
  sendOnce(exchange: number, payloads: Payload[], now: number): number | undefined {
    if (!this.sa.cipherOut) return undefined;
    const messageId = this.nextId++;
    this.transmitAll(this.encode(exchange, messageId, false, payloads), now);
    return messageId;
  }

  /** The SA is gone: its tasks will never finish and its keys are zeroed. */
  abandon(): void {
    this.active?.task.abandon();
    for (const t of this.queued) t.abandon();
    this.active = undefined;
    this.queued.length = 0;
    this.rtx.stop();
    this.lastAnswer = undefined;
    this.responseParts.clear();
    this.requestParts.clear();
    wipeIkeSa(this.sa);
  }

  private answer(h: IkeHeader, answer: Answer, now: number): void {
    const wires = this.encode(h.exchange, h.messageId, true, answer.payloads);
    this.lastAnswer = { messageId: h.messageId, wires };
    this.peerNextId = h.messageId + 1;
    this.transmitAll(wires, now);
    answer.after?.(now);
  }

  private next(now: number): void {
    this.nextAt = undefined;
    const task = this.queued.shift();
    if (!task) return;
    this.active = { task, messageId: this.nextId++, wires: [], resumeAt: undefined };
    this.send(this.active, now);
  }

  private send(a: Active, now: number): void {
    a.wires = this.encode(a.task.exchange, a.messageId, false, a.task.build(this.sa, now));
    a.task.sent?.(a.wires[0]!);
    if (a.wires.length > 1) this.ports.debug(`${exchangeName(a.task.exchange)} #${a.messageId} in ${a.wires.length} fragments`);
    this.rtx.sent(now, a.task.retransmit);
    this.transmitAll(a.wires, now);
  }

  private settle(a: Active, out: TaskOutcome, now: number): void {
    switch (out.kind) {
      case 'wait':
        return this.ports.drop('response not acted on', out.reason);
      case 'again':
        return this.send(a, now);
      case 'yield':
        // Retransmission stays armed (resumeAt hides its deadline): resume() may find the
        // response unusable after all ('wait'), and the request must then still be out.
        a.resumeAt = now;
        return;
      case 'done':
        this.active = undefined;
        this.rtx.stop();
        this.ports.done(a.task, this, now);
        // The next task starts in a turn of its own: finishing one exchange (keys, SAs) and building
        // the next request (AUTH, encryption) would make one long turn on the device.
        if (!this.active) this.nextAt = now;
        return;
      case 'failed':
        this.active = undefined;
        this.rtx.stop();
        return this.ports.failed(a.task, out.failure, out.deleteSa ?? false, this, now);
    }
  }

  private encode(exchange: number, messageId: number, response: boolean, payloads: Payload[]): Uint8Array[] {
    const sa = this.sa;
    const header = { spiI: sa.spiI, spiR: sa.spiR, exchange, initiator: true, response, messageId };
    if (exchange === ExchangeType.IKE_SA_INIT) return [encodeMessage({ ...header, payloads })];
    return encodeProtected(header, payloads, sa.cipherOut!, sa.fragmentation ? this.ports.maxMessage?.() : undefined);
  }

  private transmitAll(wires: readonly Uint8Array[], now: number): void {
    for (const w of wires) this.ports.transmit(w, now);
  }

  /**
   * A protected message, or the whole message once its last fragment came (undefined before:
   * the fragment was kept, or dropped and counted). Each fragment is verified before it is kept.
   */
  private open(parts: Reassembly, bytes: Uint8Array, now: number): DecodeResult<DecodedMessage> | undefined {
    if (!isFragment(bytes)) return decodeMessage(bytes, this.sa.cipherIn);
    if (!this.sa.fragmentation) {
      this.ports.drop('fragment, but fragmentation was not negotiated');
      return undefined;
    }
    const f = openFragment(bytes, this.sa.cipherIn!);
    if (!f.ok) return f;
    const r = parts.add(f.value, now);
    if (r.kind === 'whole') return r.decoded;
    if (r.kind === 'dropped') this.ports.drop(r.reason, r.detail);
    return undefined;
  }

  /** RFC 7383 2.6.1: a retransmitted fragmented request is answered again on its first fragment only. */
  private fragmentOfAnswered(bytes: Uint8Array, now: number): void {
    const f = openFragment(bytes, this.sa.cipherIn!);
    if (!f.ok) return this.ports.drop(f.error.code === 'icv' ? 'ICV check failed' : 'malformed IKE message', f.error.message);
    this.ports.heard(now);
    if (f.value.number === 1) this.transmitAll(this.lastAnswer!.wires, now);
  }
}
