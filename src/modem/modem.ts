/**
 * The cellular modem driver (3GPP TS 27.007 over V.250): probe, SIM PIN, PDP context,
 * registration, signal, dial into data mode, hang up. When to dial again after a failed dial
 * or a lost call is the cellular link's decision (one retry policy for the whole agent).
 * Sans-IO: bytes in through input(), out through ports.writeSerial; time only via `now`.
 *
 * Serial routing: the host feeds every received serial byte to input(); in data mode the
 * driver passes them on through ports.onData (to PPP) and watches them for NO CARRIER /
 * RDY outside PPP frames. PPP output goes through writeData(), which refuses data once
 * hangUp() started: the "+++" guard time (counted from hangUp()) needs a silent line.
 */
import { earliest } from '../util/time.ts';
import { DropCounter, type Logger } from '../util/log.ts';
import { AtEngine, type AtCommandOptions, type AtResult } from './at-engine.ts';
import { describeFinal } from './at-results.ts';
import { CME_SIM_NOT_INSERTED, CME_SIM_PIN_REQUIRED, CME_SIM_PUK_REQUIRED } from './cme-errors.ts';
import type { ModemSettings } from './config.ts';
import { modemTuning, type ModemTuning } from './modem-config.ts';
import type { ModemEvent, ModemPorts } from './modem-events.ts';
import { STAT_DENIED, isRegistered, isRoaming, parseCsq, parseRegistration } from './registration.ts';

export type ModemPhase =
  | 'idle' | 'probing' | 'init' | 'registering' | 'registered' | 'dialing' | 'online'
  | 'hangup' | 'offline' | 'failed' | 'power';

type Step = (now: number) => void;

export class Modem {
  readonly engine: AtEngine;
  readonly drops: DropCounter;
  private readonly t: ModemTuning;
  private readonly log: Logger;
  private phase: ModemPhase = 'idle';
  /** Bumped on every restart so callbacks and timers of an abandoned sequence do nothing. */
  private seq = 0;
  private timerAt: number | undefined;
  private timerStep: Step | undefined;
  private probes = 0;
  private initRestarts = 0;
  private simChecks = 0;
  private pinSent = false;
  private initialized = false;
  private wantOnline = false;
  /** Dials since the last CONNECT, for the 'dialing' event. */
  private dialAttempts = 0;
  private regDeadline = 0;
  private readonly regStats = new Map<string, number>();

  constructor(
    private readonly settings: ModemSettings,
    deps: { log: Logger; drops?: DropCounter },
    private readonly ports: ModemPorts,
    tuning: Partial<ModemTuning> = {},
  ) {
    this.log = deps.log;
    this.drops = deps.drops ?? new DropCounter(deps.log);
    this.t = modemTuning(tuning);
    this.engine = new AtEngine(
      { log: deps.log, drops: this.drops },
      {
        writeSerial: (b, now) => ports.writeSerial(b, now),
        onData: (b, now) => ports.onData(b, now),
        onUrc: (line, now) => this.onUrc(line, now),
      },
      { defaultTimeoutMs: this.t.commandTimeoutMs },
    );
  }

  get state(): ModemPhase {
    return this.phase;
  }

  /** (Re)starts the whole bring-up: probe, SIM, PDP context, registration, dial. */
  start(now: number): void {
    this.restart();
    this.wantOnline = true;
    this.initialized = false;
    this.pinSent = false;
    this.dialAttempts = 0;
    this.initRestarts = 0;
    this.beginProbing(now);
  }

  input(bytes: Uint8Array, now: number): void {
    this.engine.input(bytes, now);
  }

  /** PPP output in data mode (keeps hang-up honest: no data after hangUp). Dropped and counted outside data mode. */
  writeData(bytes: Uint8Array, now: number): void {
    if (this.phase !== 'online' || this.engine.mode !== 'data') {
      this.drops.drop('data write while not online');
      return;
    }
    this.ports.writeSerial(bytes, now);
  }

  /** Dials again after hangUp(), a failed dial or a lost call (after an error: from scratch). */
  dial(now: number): void {
    this.wantOnline = true;
    if (this.phase === 'offline' && this.initialized) {
      this.startRegistration(now);
    } else if (this.phase === 'idle' || this.phase === 'failed' || this.phase === 'offline') {
      this.start(now);
    }
  }

  /**
   * Ends the data call: the agent terminates LCP first and stops writing data. Then
   * DTR drop (when the host has DTR) or guard, "+++", guard, OK; then ATH. Emits 'offline'.
   */
  hangUp(now: number): void {
    this.wantOnline = false;
    switch (this.phase) {
      case 'hangup':
        return;
      case 'online':
        this.seq++;
        this.clearTimer();
        this.setPhase('hangup');
        if (this.ports.setDtr) this.dtrHangUp(now);
        else this.escapeHangUp(now);
        return;
      case 'dialing':
        // Any character aborts a dial on most modems; ATH makes sure the call is down.
        this.restart();
        this.setPhase('hangup');
        this.cmd('ATH', now, {}, (r, n) => (r.kind === 'timeout' ? this.escapeHangUp(n) : this.hungUp(n)));
        return;
      default:
        this.restart();
        this.hungUp(now);
    }
  }

  deadline(): number | undefined {
    return earliest(this.engine.deadline(), this.timerAt);
  }

  onTimer(now: number): void {
    this.engine.onTimer(now);
    if (this.timerAt !== undefined && now >= this.timerAt) {
      const step = this.timerStep!;
      this.clearTimer();
      step(now);
    }
  }

  // --- plumbing -------------------------------------------------------------------------

  private emit(event: ModemEvent, now: number): void {
    this.ports.onEvent(event, now);
  }

  private setPhase(phase: ModemPhase): void {
    if (phase !== this.phase) this.log.debug(`${this.phase} -> ${phase}`);
    this.phase = phase;
  }

  private restart(): void {
    if (this.phase === 'power') this.releasePins(); // never leave PWRKEY or RESET held
    this.seq++;
    this.clearTimer();
    this.engine.reset();
  }

  private cmd(text: string, now: number, options: AtCommandOptions, handler: (r: AtResult, now: number) => void): void {
    const seq = this.seq;
    this.engine.send(text, now, options, (r, n) => {
      if (seq === this.seq) handler(r, n);
    });
  }

  private after(ms: number, now: number, step: Step): void {
    const seq = this.seq;
    this.timerAt = now + ms;
    this.timerStep = (n) => {
      if (seq === this.seq) step(n);
    };
  }

  private clearTimer(): void {
    this.timerAt = undefined;
    this.timerStep = undefined;
  }

  private fail(cause: string, now: number, silent = false): void {
    this.restart();
    this.setPhase('failed');
    this.log.error(cause);
    this.emit(silent ? { type: 'error', cause, silent } : { type: 'error', cause }, now);
  }

  // --- recovery rungs (which one, and when: src/agent/cellular-link.ts) -----------------

  /** Gives up whatever the driver was doing, quietly: a rung took too long. */
  abandon(): void {
    this.restart();
    this.setPhase('failed');
  }

  /** Radio off and on (AT+CFUN=0, AT+CFUN=1): the modem detaches and registers afresh, then dials. */
  radioCycle(now: number): void {
    this.beginRung('radio', now);
    this.setPhase('init');
    this.cmd('AT+CFUN=0', now, { timeoutMs: this.t.cfunTimeoutMs }, (r, n) => {
      if (r.kind === 'timeout') return this.fail('no answer to AT+CFUN=0', n, true);
      this.after(this.t.radioOffMs, n, (m) =>
        this.cmd('AT+CFUN=1', m, { timeoutMs: this.t.cfunTimeoutMs }, (r2, k) => {
          if (r2.kind === 'timeout') return this.fail('no answer to AT+CFUN=1', k, true);
          this.pinSent = false; // a SIM powered down with the radio asks for its PIN again
          this.checkSim(k);
        }),
      );
    });
  }

  /** The modem's own reset (the profile's command, e.g. AT+CFUN=1,1): it reboots; probing waits for it, answered or not. */
  resetModem(now: number): void {
    this.beginRung('reset', now);
    this.setPhase('probing');
    this.cmd(this.settings.profile.resetCommand, now, { timeoutMs: this.t.cfunTimeoutMs }, (_r, n) => this.beginProbing(n));
  }

  /** PWRKEY/RESET pulses from the config: RESET when wired (one pulse), else PWRKEY off, wait, on. */
  powerCycle(now: number): void {
    const set = this.ports.setPin;
    const p = this.settings.power;
    if (!set || (p.powerPin === undefined && p.resetPin === undefined)) return this.resetModem(now);
    this.beginRung('power', now);
    this.setPhase('power');
    const pulse = (line: 'power' | 'reset', ms: number, at: number, then: Step) => {
      set(line, true);
      this.after(ms, at, (n) => (set(line, false), then(n)));
    };
    if (p.resetPin !== undefined) return pulse('reset', p.resetPulseMs, now, (n) => this.beginProbing(n));
    // PWRKEY toggles: an off pulse to a modem that was off switches it on; its RDY then starts probing.
    pulse('power', p.powerOffPulseMs, now, (n) =>
      this.after(p.powerOffWaitMs, n, (m) => pulse('power', p.powerOnPulseMs, m, (k) => this.beginProbing(k))),
    );
  }

  private releasePins(): void {
    const p = this.settings.power;
    if (p.powerPin !== undefined) this.ports.setPin?.('power', false);
    if (p.resetPin !== undefined) this.ports.setPin?.('reset', false);
  }

  private beginRung(rung: 'radio' | 'reset' | 'power', now: number): void {
    this.restart();
    this.wantOnline = true;
    this.dialAttempts = 0;
    this.initRestarts = 0;
    if (rung !== 'radio') {
      this.initialized = false;
      this.pinSent = false;
    }
    this.log.info(`recovery: ${rung}`);
    this.emit({ type: 'recovering', rung }, now);
  }

  // --- probe and setup ------------------------------------------------------------------

  private beginProbing(now: number): void {
    this.probes = 0;
    this.setPhase('probing');
    this.probe(now);
  }

  private probe(now: number): void {
    this.cmd('AT', now, { timeoutMs: this.t.probeTimeoutMs }, (r, n) => {
      if (r.kind !== 'timeout') return this.init(n);
      this.probes++;
      if (this.probes >= this.t.probeAttempts) return this.fail(`modem does not answer AT (${this.probes} probes)`, n, true);
      if (this.probes % this.t.escapeAfterProbes === 0) return this.escapeThen(n, (m) => this.probe(m));
      this.after(this.t.probeIntervalMs, n, (m) => this.probe(m));
    });
  }

  /** guard, "+++", guard: gets a modem left in data mode (e.g. by our own reboot) back to commands. */
  private escapeThen(now: number, then: Step): void {
    this.after(this.t.guardTimeMs, now, (n) => {
      this.engine.leaveDataMode(n);
      this.log.debug('escape sequence');
      this.cmd('+++', n, { raw: true, timeoutMs: this.t.guardTimeMs + 2000 }, (r, m) => {
        if (r.kind === 'ok' && this.phase === 'probing') this.cmd('ATH', m, {}, (_r, k) => then(k));
        else then(m);
      });
    });
  }

  private init(now: number): void {
    this.setPhase('init');
    this.simChecks = 0;
    const steps = ['ATE0', 'AT+CMEE=1'];
    if (this.ports.setDtr) steps.push('AT&D2'); // DTR drop hangs up and returns to command mode
    steps.push(...this.settings.profile.init);
    steps.forEach((text, i) =>
      this.cmd(text, now, {}, (r, n) => {
        if (r.kind === 'timeout') return this.initStalled(text, n);
        if (r.kind !== 'ok') this.log.warn(`${text}: ${r.final ? describeFinal(r.final) : r.kind}; continuing`);
        if (i === steps.length - 1) this.checkSim(n);
      }),
    );
  }

  private initStalled(what: string, now: number): void {
    this.initRestarts++;
    if (this.initRestarts > 3) return this.fail(`modem stopped answering during setup (${what})`, now, true);
    this.log.warn(`no answer to ${what}; probing again`);
    this.restart();
    this.beginProbing(now);
  }

  private checkSim(now: number): void {
    this.cmd('AT+CPIN?', now, { expect: '+CPIN:' }, (r, n) => {
      if (r.kind === 'timeout') return this.initStalled('AT+CPIN?', n);
      if (r.kind === 'ok') {
        const state = r.lines.map((l) => /^\+CPIN:\s*(.*)$/i.exec(l)?.[1]?.trim().toUpperCase()).find((s) => s);
        if (state === 'READY') return this.configure(n);
        if (state === 'SIM PIN') return this.pinSent ? this.simRetry('SIM still locked after its PIN was accepted', n) : this.enterPin(n);
        if (state === 'SIM PUK') return this.fail('SIM PUK required: the SIM is blocked after wrong PINs; unlock it with its PUK', n);
        if (state) return this.fail(`SIM asks for ${state}, which ikelet does not handle`, n);
        return this.simRetry('no +CPIN answer', n);
      }
      const code = r.final?.code;
      const why = r.final ? describeFinal(r.final) : r.kind;
      if (r.kind === 'cme' && code === CME_SIM_NOT_INSERTED) return this.fail(why, n);
      if (r.kind === 'cme' && code === CME_SIM_PUK_REQUIRED) return this.fail(`SIM PUK required (${why})`, n);
      if (r.kind === 'cme' && code === CME_SIM_PIN_REQUIRED && !this.pinSent) return this.enterPin(n);
      this.simRetry(why, n); // SIM busy / not ready yet right after boot
    });
  }

  private simRetry(why: string, now: number): void {
    this.simChecks++;
    if (this.simChecks > this.t.simRetries) return this.fail(`SIM not ready: ${why}`, now);
    this.after(1000, now, (n) => this.checkSim(n));
  }

  private enterPin(now: number): void {
    const pin = this.settings.simPin;
    if (!pin) return this.fail('SIM PIN required but config.simPin is empty', now);
    this.log.info('entering SIM PIN');
    this.cmd(`AT+CPIN="${pin}"`, now, { secret: true, timeoutMs: this.t.pinTimeoutMs }, (r, n) => {
      // Never retry a PIN on our own: three wrong PINs block the SIM.
      if (r.kind === 'timeout') return this.fail('no answer to AT+CPIN=<PIN>; not retried to protect the SIM', n);
      if (r.kind !== 'ok') return this.fail(`SIM PIN rejected: ${r.final ? describeFinal(r.final) : r.kind}`, n);
      this.pinSent = true;
      this.log.info('SIM PIN accepted');
      this.checkSim(n);
    });
  }

  private configure(now: number): void {
    const apn = this.settings.apn;
    this.cmd(`AT+CGDCONT=1,"IP","${apn}"`, now, {}, (r, n) => {
      if (r.kind === 'timeout') return this.initStalled('AT+CGDCONT', n);
      if (r.kind !== 'ok') return this.fail(`AT+CGDCONT failed: ${r.final ? describeFinal(r.final) : r.kind}`, n);
      this.initialized = true;
      // Location info in registration URCs helps field debugging; errors here are harmless.
      this.cmd('AT+CREG=2', n, {}, () => {});
      this.cmd('AT+CEREG=2', n, {}, (_r, m) => {
        if (this.wantOnline) this.startRegistration(m);
        else this.hungUp(m);
      });
    });
  }

  // --- registration ---------------------------------------------------------------------

  private startRegistration(now: number): void {
    this.setPhase('registering');
    this.regStats.clear();
    this.regDeadline = now + this.settings.registrationTimeoutMs;
    this.emit({ type: 'registering' }, now);
    this.pollRegistration(now);
  }

  /** One query per registration report the profile has (e.g. AT+CEREG?, AT+CREG?), then a verdict. */
  private pollRegistration(now: number, i = 0): void {
    const which = this.settings.profile.registration[i];
    if (!which) return this.evaluateRegistration(now, true);
    this.cmd(`AT+${which}?`, now, { expect: `+${which}:` }, (r, n) => {
      r.lines.forEach((l) => this.noteRegistration(l));
      this.pollRegistration(n, i + 1);
    });
  }

  private noteRegistration(line: string): boolean {
    const reg = parseRegistration(line);
    if (!reg) return false;
    this.regStats.set(reg.which, reg.stat);
    if (reg.area || reg.cell) this.log.debug(`${reg.which} stat ${reg.stat} area ${reg.area ?? '-'} cell ${reg.cell ?? '-'}`);
    return true;
  }

  private evaluateRegistration(now: number, fromPoll: boolean): void {
    if (this.phase !== 'registering') return;
    const stats = [...this.regStats.entries()];
    const registered = stats.find(([, s]) => isRegistered(s));
    if (registered) return this.onRegistered(isRoaming(registered[1]), now);
    if (!fromPoll) return; // decide denial on a full poll: CS may be denied while LTE still attaches
    const denied = stats.find(([, s]) => s === STAT_DENIED);
    if (denied && stats.every(([, s]) => s === STAT_DENIED || s === 0)) {
      return this.fail(`network registration denied (+${denied[0]}: ${STAT_DENIED})`, now);
    }
    if (now >= this.regDeadline) {
      const seen = stats.map(([w, s]) => `${w} ${s}`).join(', ') || 'no answer';
      return this.fail(`not registered within ${this.settings.registrationTimeoutMs / 1000} s (last stat: ${seen})`, now);
    }
    this.after(Math.min(this.t.registrationPollMs, this.regDeadline - now), now, (n) => this.pollRegistration(n));
  }

  private onRegistered(roaming: boolean, now: number): void {
    this.clearTimer();
    this.setPhase('registered');
    this.cmd('AT+CSQ', now, { expect: '+CSQ:' }, (r, n) => {
      const csq = r.lines.map(parseCsq).find((q) => q);
      const rssiDbm = csq?.dbm;
      this.log.info(`registered${roaming ? ' (roaming)' : ''}, signal ${rssiDbm === undefined ? 'unknown' : `${rssiDbm} dBm`}`);
      this.emit({ type: 'registered', roaming, rssiDbm }, n);
      if (this.wantOnline) this.dialNow(n);
      else this.hungUp(n);
    });
  }

  // --- data call ------------------------------------------------------------------------

  private dialNow(now: number): void {
    this.setPhase('dialing');
    this.emit({ type: 'dialing', attempt: ++this.dialAttempts }, now);
    this.cmd(`ATD${this.settings.dialString}`, now, { dial: true, timeoutMs: this.t.dialTimeoutMs }, (r, n) => {
      if (r.kind === 'connect') {
        this.setPhase('online');
        this.dialAttempts = 0;
        this.log.info(`online${r.final?.detail ? ` (${r.final.detail})` : ''}`);
        this.emit({ type: 'online', rate: r.final?.detail }, n);
        return;
      }
      const why = r.kind === 'timeout' ? `no CONNECT within ${this.t.dialTimeoutMs / 1000} s` : describeFinal(r.final!);
      this.log.warn(`dial failed: ${why}`);
      this.offlineAfter({ type: 'dial-failed', reason: why }, n);
    });
  }

  /** Back in command mode after a failed dial or a lost call: the agent decides when to dial again. */
  private offlineAfter(event: ModemEvent, now: number): void {
    this.wantOnline = false;
    this.setPhase('offline');
    this.emit(event, now);
  }

  private lost(reason: string, now: number): void {
    this.log.warn(`connection lost: ${reason}`);
    this.offlineAfter({ type: 'lost', reason }, now);
  }

  private dtrHangUp(now: number): void {
    this.ports.setDtr!(false);
    this.after(this.t.dtrDropMs, now, (n) => {
      this.ports.setDtr!(true);
      this.engine.leaveDataMode(n);
      this.cmd('ATH', n, {}, (r, m) => (r.kind === 'timeout' ? this.escapeHangUp(m) : this.hungUp(m)));
    });
  }

  private escapeHangUp(now: number): void {
    this.escapeThen(now, (n) =>
      this.cmd('ATH', n, {}, (r, m) => {
        if (r.kind !== 'timeout') return this.hungUp(m);
        // Silent to "+++" and ATH alike: a redial cannot help, the ladder starts at the reset.
        this.initialized = false;
        this.fail('hang-up not confirmed: no answer to "+++" and ATH', m, true);
      }),
    );
  }

  private hungUp(now: number): void {
    this.setPhase('offline');
    this.log.info('offline');
    this.emit({ type: 'offline' }, now);
  }

  // --- unsolicited ----------------------------------------------------------------------

  private onUrc(line: string, now: number): void {
    const upper = line.toUpperCase();
    if (upper === 'RDY' || this.settings.profile.bootUrcs.some((u) => u.toUpperCase() === upper)) return this.onReboot(line, now);
    if (upper === 'NO CARRIER') {
      if (this.phase === 'online') this.lost('NO CARRIER', now);
      return;
    }
    if (upper.startsWith('CONNECT')) {
      this.log.warn(`unexpected ${line}`); // a late CONNECT after our dial timed out
      return;
    }
    if (this.noteRegistration(line) && this.phase === 'registering') this.evaluateRegistration(now, false);
  }

  /** RDY: the modem restarted and forgot everything (echo, PIN, PDP context, the call). */
  private onReboot(line: string, now: number): void {
    if (this.phase === 'idle' || this.phase === 'failed') return;
    this.log.warn(`modem rebooted (${line})`);
    // During a power cycle RDY means it is on: restart() releases the lines, skipping the pulses left.
    // Before registration nothing was lost: a second boot line (BG96: RDY, then APP RDY) just probes again.
    if (this.phase !== 'probing' && this.phase !== 'init' && this.phase !== 'power') this.emit({ type: 'lost', reason: `modem rebooted (${line})` }, now);
    this.restart();
    this.initialized = false;
    this.pinSent = false;
    this.beginProbing(now);
  }
}
