/**
 * Authentication as the client: PAP (RFC 1334) sends user and password; CHAP-MD5 (RFC 1994)
 * answers challenges with md5(id || secret || challenge). Credentials never reach the log.
 */
import { md5 } from '../crypto/backend.ts';
import type { DropCounter, Logger } from '../util/log.ts';
import { concatBytes, printable, utf8 } from '../util/bytes.ts';
import { buildControlPacket, parseControlPacket } from './control-packet.ts';

const PAP = Object.freeze({ request: 1, ack: 2, nak: 3 } as const);
const CHAP = Object.freeze({ challenge: 1, response: 2, success: 3, failure: 4 } as const);

export interface AuthPorts {
  send(packet: Uint8Array): void;
  succeeded(now: number): void;
  failed(reason: string, now: number): void;
}

export interface AuthTiming {
  restartMs: number;
  maxConfigure: number;
}

export interface Authenticator {
  start(now: number): void;
  stop(): void;
  input(packet: Uint8Array, now: number): void;
  deadline(): number | undefined;
  onTimer(now: number): void;
}


/** PAP's Ack/Nak carry a message: length byte then text. */
function papMessage(data: Uint8Array): string {
  const n = data[0] ?? 0;
  return printable(data.subarray(1, 1 + n));
}

/** What both authentication protocols are built from: credentials, timers, logging, ports. */
abstract class AuthPeer {
  constructor(
    protected readonly user: string,
    protected readonly password: string,
    protected readonly timing: AuthTiming,
    protected readonly log: Logger,
    protected readonly drops: DropCounter,
    protected readonly ports: AuthPorts,
  ) {}
}

export class PapClient extends AuthPeer implements Authenticator {
  private id = 0;
  private triesLeft = 0;
  private timerAt: number | undefined;
  private done = true;


  start(now: number): void {
    this.done = false;
    this.triesLeft = this.timing.maxConfigure;
    this.sendRequest(now);
  }

  stop(): void {
    this.done = true;
    this.timerAt = undefined;
  }

  input(packet: Uint8Array, now: number): void {
    const p = parseControlPacket(packet, this.drops, 'PAP');
    if (!p || this.done) return;
    if (p.id !== this.id) return this.drops.drop('PAP reply with stale id');
    if (p.code === PAP.ack) {
      this.stop();
      this.log.info('PAP authentication accepted');
      this.ports.succeeded(now);
    } else if (p.code === PAP.nak) {
      this.stop();
      this.ports.failed(`PAP authentication refused: ${papMessage(p.data)}`, now);
    } else this.drops.drop('PAP unexpected code', String(p.code));
  }

  deadline(): number | undefined {
    return this.timerAt;
  }

  onTimer(now: number): void {
    if (this.timerAt === undefined || now < this.timerAt) return;
    if (this.triesLeft > 0) return this.sendRequest(now);
    this.stop();
    this.ports.failed('PAP: no answer from peer', now);
  }

  private sendRequest(now: number): void {
    this.triesLeft--;
    this.id = (this.id + 1) & 0xff;
    this.timerAt = now + this.timing.restartMs;
    const user = utf8(this.user).subarray(0, 255);
    const password = utf8(this.password).subarray(0, 255);
    this.ports.send(buildControlPacket(PAP.request, this.id, concatBytes(Uint8Array.of(user.length), user, Uint8Array.of(password.length), password)));
  }
}

/** The CHAP-MD5 response value (RFC 1994 section 4.1). */
export function chapMd5Response(id: number, secret: Uint8Array, challenge: Uint8Array): Uint8Array {
  return md5(concatBytes(Uint8Array.of(id), secret, challenge));
}

export class ChapResponder extends AuthPeer implements Authenticator {
  private timerAt: number | undefined;
  private authenticated = false;
  private active = false;
  private lastId = -1;


  /** The authenticator drives CHAP; we only bound how long we wait for its verdict. */
  start(now: number): void {
    this.active = true;
    this.authenticated = false;
    this.lastId = -1;
    this.timerAt = now + this.timing.restartMs * this.timing.maxConfigure;
  }

  stop(): void {
    this.active = false;
    this.timerAt = undefined;
  }

  input(packet: Uint8Array, now: number): void {
    const p = parseControlPacket(packet, this.drops, 'CHAP');
    if (!p || !this.active) return;
    switch (p.code) {
      case CHAP.challenge: {
        const size = p.data[0];
        if (size === undefined || size === 0 || 1 + size > p.data.length) return this.drops.drop('CHAP malformed challenge');
        const value = chapMd5Response(p.id, utf8(this.password), p.data.subarray(1, 1 + size));
        const name = utf8(this.user);
        this.lastId = p.id;
        // Rechallenges after success are answered the same way (RFC 1994 allows them at any time).
        this.ports.send(buildControlPacket(CHAP.response, p.id, concatBytes(Uint8Array.of(value.length), value, name)));
        return;
      }
      case CHAP.success:
        if (p.id !== this.lastId) return this.drops.drop('CHAP success with stale id');
        this.timerAt = undefined;
        if (!this.authenticated) {
          this.authenticated = true;
          this.log.info('CHAP authentication accepted');
          this.ports.succeeded(now);
        }
        return;
      case CHAP.failure:
        if (p.id !== this.lastId) return this.drops.drop('CHAP failure with stale id');
        this.stop();
        this.ports.failed(`CHAP authentication refused: ${printable(p.data)}`, now);
        return;
      default:
        this.drops.drop('CHAP unexpected code', String(p.code));
    }
  }

  deadline(): number | undefined {
    return this.timerAt;
  }

  onTimer(now: number): void {
    if (this.timerAt === undefined || now < this.timerAt) return;
    this.stop();
    this.ports.failed('CHAP: no verdict from peer', now);
  }
}
