/**
 * A cellular module for the lab. Two halves:
 * - `ModemModel`: the module's behaviour as a sans-IO state machine (AT commands, SIM PIN,
 *   registration, URCs, CONNECT/data mode, "+++" escape, reboot). Unit tests drive it in-process.
 * - `ModemEmulator`: puts the model behind a pty (socat PTY <-> our stdio), paces bytes at the
 *   baud rate, bridges data mode to a PPP peer command, and injects faults.
 * Every process it starts is remembered by PID and killed by PID in stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { PppLink } from '../../src/ppp/link.ts';
import { DEFAULT_FRAMING, HdlcDecoder, encodeFrame, parseFrame } from '../../src/ppp/hdlc.ts';
import { PROTO_IPV4 } from '../../src/ppp/protocols.ts';
import { DropCounter, Logger, silentLogger } from '../../src/util/log.ts';
import { cmeText } from '../../src/modem/cme-errors.ts';
import { generic } from '../../src/modem/profiles/generic.ts';
import type { ModemProfile } from '../../src/modem/profiles/profile.ts';
import { AirMeter } from './air-meter.ts';

// ---------------------------------------------------------------------------------------
// The behaviour (sans-IO)
// ---------------------------------------------------------------------------------------

export interface ModemModelOptions {
  /** SIM PIN the SIM asks for; undefined or '' = no PIN. */
  pin?: string;
  /** ms from SIM ready to the registration outcome. */
  registrationDelayMs?: number;
  registration?: 'home' | 'roaming' | 'denied' | 'never';
  /** +CSQ answer; [99, 99] = no signal. */
  csq?: [number, number];
  /** Commands (prefix match, e.g. 'AT+CGDCONT') answered with this +CME ERROR code. */
  cmeErrors?: Record<string, number>;
  /** Echo on until ATE0, like real modules. */
  echo?: boolean;
  /** ms the module is deaf and mute after power-on or reboot. */
  bootDelayMs?: number;
  /** Send RDY (and +CFUN/+CPIN URCs) when boot completes. */
  bootBanner?: boolean;
  connectRate?: string;
  /** "+++" guard time (S12). */
  guardMs?: number;
  /** Answers for successive ATD commands before CONNECT ('NO CARRIER', 'BUSY', 'ERROR', 'silent'). */
  dialResults?: string[];
  /** URC lines sent after the echo but before the answer of matching commands (prefix match). */
  urcsDuring?: Record<string, string[]>;
  /** Commands (prefix match) never answered, for timeout tests. */
  silentCommands?: string[];
  /** PWRKEY hold times (ms) that switch the module on and off (its hardware guide's minimums). */
  powerOnHoldMs?: number;
  powerOffHoldMs?: number;
  /** The module family it plays (src/modem/profiles): boot chatter, reset command. Default generic. */
  profile?: ModemProfile;
}

export interface ModemModelPorts {
  toAgent(bytes: Uint8Array): void;
  toPeer(bytes: Uint8Array): void;
  /** Data call up (start the PPP peer bridge) or down (kill it). */
  onCall(up: boolean): void;
  log?(line: string): void;
}

export type ModemModelState = 'off' | 'booting' | 'command' | 'data' | 'online-command';

const enc = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

export class ModemModel {
  state: ModemModelState = 'off';
  /** Every command line received, PIN masked. */
  readonly commands: string[] = [];
  private readonly o: Required<Omit<ModemModelOptions, 'pin'>> & { pin: string };
  private echo = true;
  private cmee = 0;
  private regUrc = { CREG: 0, CEREG: 0, CGREG: 0 };
  private simLocked = false;
  private simPuk = false;
  private wrongPins = 0;
  private stat = 0;
  private line = '';
  private dialResults: string[] = [];
  private timers: { at: number; fn: (now: number) => void; id: number }[] = [];
  private timerIds = 0;
  private lastRxAt = 0;
  private plusCount = 0;
  private escapeTimer: number | undefined;
  /** Firmware hung: deaf and mute until its power goes (PWRKEY off pulse or RESET). */
  private wedged = false;
  private radioOff = false;
  private pwrkeyDownAt: number | undefined;

  constructor(options: ModemModelOptions, private readonly ports: ModemModelPorts) {
    this.o = {
      pin: options.pin ?? '',
      registrationDelayMs: options.registrationDelayMs ?? 500,
      registration: options.registration ?? 'home',
      csq: options.csq ?? [20, 99],
      cmeErrors: options.cmeErrors ?? {},
      echo: options.echo ?? true,
      bootDelayMs: options.bootDelayMs ?? 0,
      bootBanner: options.bootBanner ?? true,
      connectRate: options.connectRate ?? '150000000',
      guardMs: options.guardMs ?? 1000,
      dialResults: options.dialResults ?? [],
      urcsDuring: options.urcsDuring ?? {},
      silentCommands: options.silentCommands ?? [],
      powerOnHoldMs: options.powerOnHoldMs ?? 500,
      powerOffHoldMs: options.powerOffHoldMs ?? 2500,
      profile: options.profile ?? generic,
    };
    this.dialResults = [...this.o.dialResults];
  }

  /** Power on (or reboot): forget everything, stay deaf for bootDelayMs, then RDY. */
  powerOn(now: number): void {
    if (this.state === 'data' || this.state === 'online-command') this.ports.onCall(false);
    this.state = 'booting';
    this.wedged = false;
    this.radioOff = false;
    this.timers = [];
    this.echo = this.o.echo;
    this.cmee = 0;
    this.regUrc = { CREG: 0, CEREG: 0, CGREG: 0 };
    this.simLocked = this.o.pin !== '' && !this.simPuk;
    this.stat = 0;
    this.line = '';
    this.log(`power on (boot ${this.o.bootDelayMs} ms)`);
    this.at(now + this.o.bootDelayMs, (t) => {
      this.state = 'command';
      if (this.o.bootBanner) for (const line of this.o.profile.bootChatter) this.urc(line.startsWith('+CPIN:') ? `+CPIN: ${this.simState()}` : line);
      if (!this.simLocked && !this.simPuk) this.simReady(t);
    });
  }

  reboot(now: number): void {
    this.log('reboot');
    this.powerOn(now);
  }

  /** The firmware hangs: no answer to anything, data call included, until a power cycle. */
  wedge(): void {
    this.log('wedged');
    this.wedged = true;
  }

  /** The module's PWRKEY or RESET input (`active`: asserted). */
  setPin(line: 'power' | 'reset', active: boolean, now: number): void {
    if (line === 'reset') {
      if (active) this.powerOff('RESET held');
      else this.powerOn(now);
      return;
    }
    if (active) {
      this.pwrkeyDownAt ??= now;
      return;
    }
    const held = now - (this.pwrkeyDownAt ?? now);
    this.pwrkeyDownAt = undefined;
    if (this.state === 'off' && held >= this.o.powerOnHoldMs) this.powerOn(now);
    else if (this.state !== 'off' && held >= this.o.powerOffHoldMs) {
      if (!this.wedged) this.urc('NORMAL POWER DOWN');
      this.powerOff('PWRKEY off pulse');
    }
  }

  private powerOff(why: string): void {
    if (this.state === 'data' || this.state === 'online-command') this.ports.onCall(false);
    this.log(`power off (${why})`);
    this.state = 'off';
    this.wedged = false;
    this.timers = [];
  }

  fromAgent(bytes: Uint8Array, now: number): void {
    if (this.wedged) return;
    if (this.state === 'data') return this.dataFromAgent(bytes, now);
    if (this.state === 'off' || this.state === 'booting') return;
    for (const b of bytes) {
      if (this.echo) this.send(Uint8Array.of(b));
      if (b === 0x0d) {
        const line = this.line;
        this.line = '';
        this.commandLine(line, now);
        if ((this.state as ModemModelState) === 'data') return; // ATO/ATD: the rest would be data; agents wait for CONNECT
      } else if (b === 0x08) this.line = this.line.slice(0, -1);
      else if (b !== 0x0a && this.line.length < 1024) this.line += String.fromCharCode(b);
    }
  }

  fromPeer(bytes: Uint8Array): void {
    if (this.state === 'data' && !this.wedged) this.send(bytes);
  }

  /** The PPP peer went away (bridge exited): like a network-side hang-up. */
  peerGone(): void {
    if (this.state !== 'data' && this.state !== 'online-command') return;
    this.log('peer gone');
    this.endCall(true);
  }

  dropCarrier(): void {
    if (this.state !== 'data' && this.state !== 'online-command') return;
    this.log('drop carrier');
    this.ports.onCall(false);
    this.endCall(true);
  }

  /** DTR drop with AT&D2 semantics: hang up and return to command mode. */
  setDtr(asserted: boolean): void {
    if (asserted || (this.state !== 'data' && this.state !== 'online-command')) return;
    this.log('DTR drop');
    this.ports.onCall(false);
    this.endCall(true);
  }

  injectUrc(text: string): void {
    this.urc(text);
  }

  /** Changes the registration outcome now (e.g. lose coverage) and sends URCs. */
  setRegistration(stat: number): void {
    this.setStat(stat);
  }

  deadline(): number | undefined {
    return this.timers.length ? Math.min(...this.timers.map((t) => t.at)) : undefined;
  }

  onTimer(now: number): void {
    for (;;) {
      const due = this.timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.timers = this.timers.filter((t) => t !== due);
      due.fn(now);
    }
  }

  // --- internals ------------------------------------------------------------------------

  private log(line: string): void {
    this.ports.log?.(line);
  }

  private at(when: number, fn: (now: number) => void): number {
    const id = ++this.timerIds;
    this.timers.push({ at: when, fn, id });
    return id;
  }

  private cancel(id: number | undefined): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  private send(bytes: Uint8Array): void {
    if (this.wedged || this.state === 'off') return;
    this.ports.toAgent(bytes);
  }

  private urc(text: string): void {
    this.send(enc(`\r\n${text}\r\n`));
  }

  private info(text: string): void {
    this.urc(text);
  }

  private ok(): void {
    this.urc('OK');
  }

  private error(code: number): void {
    if (this.cmee === 1) this.urc(`+CME ERROR: ${code}`);
    else if (this.cmee === 2) this.urc(`+CME ERROR: ${cmeText(code) ?? 'unknown'}`);
    else this.urc('ERROR');
  }

  private simState(): string {
    return this.simPuk ? 'SIM PUK' : this.simLocked ? 'SIM PIN' : 'READY';
  }

  private simReady(now: number): void {
    this.setStat(2);
    const outcome = { home: 1, roaming: 5, denied: 3, never: 2 }[this.o.registration];
    this.at(now + this.o.registrationDelayMs, () => this.setStat(outcome));
  }

  private setStat(stat: number): void {
    if (stat === this.stat) return;
    this.stat = stat;
    for (const which of ['CREG', 'CEREG', 'CGREG'] as const) {
      const n = this.regUrc[which];
      if (n === 1) this.urc(`+${which}: ${stat}`);
      if (n >= 2) this.urc(`+${which}: ${stat}${this.location(stat)}`);
    }
  }

  private location(stat: number): string {
    return stat === 1 || stat === 5 ? ',"1A2B","01A2B3C4",7' : '';
  }

  private commandLine(raw: string, now: number): void {
    const start = raw.toUpperCase().indexOf('AT');
    if (start < 0) return; // V.250: text before "AT" is ignored
    const text = raw.slice(start).trim();
    const upper = text.toUpperCase();
    this.commands.push(upper.startsWith('AT+CPIN=') ? 'AT+CPIN=<hidden>' : text);
    this.log(`< ${this.commands[this.commands.length - 1]}`);
    if (this.o.silentCommands.some((p) => upper.startsWith(p.toUpperCase()))) return;
    for (const [prefix, urcs] of Object.entries(this.o.urcsDuring)) if (upper.startsWith(prefix.toUpperCase())) urcs.forEach((u) => this.urc(u));
    for (const [prefix, code] of Object.entries(this.o.cmeErrors)) if (upper.startsWith(prefix.toUpperCase())) return this.error(code);
    this.execute(text.slice(2), upper.slice(2), now);
  }

  private execute(body: string, cmd: string, now: number): void {
    const needSim = (): boolean => {
      if (this.simPuk) this.error(12);
      else if (this.simLocked) this.error(11);
      return this.simPuk || this.simLocked;
    };
    let m: RegExpExecArray | null;
    if (cmd === '' || /^(V1|Q0|&D[0-2]|&C[01]|&K[03]|S0=0|\+IPR=\d+|\+IFC=.*)$/.test(cmd)) return this.ok();
    if ((m = /^E([01]?)$/.exec(cmd))) return (this.echo = m[1] === '1'), this.ok();
    if (cmd === 'Z' || cmd === '&F') return (this.echo = this.o.echo), (this.cmee = 0), this.ok();
    if (cmd === 'I') return this.info('Quectel\r\nBG96\r\nRevision: BG96MAR02A07M1G (ikelet lab)'), this.ok();
    if (cmd === '+CGMI') return this.info('Quectel'), this.ok();
    if (cmd === '+CGMM') return this.info('BG96'), this.ok();
    if (cmd === '+CGSN') return this.info('866425031234567'), this.ok();
    if (cmd === '+CIMI') return needSim() ? undefined : (this.info('001010123456789'), this.ok());
    if ((m = /^\+CMEE=([012])$/.exec(cmd))) return (this.cmee = Number(m[1])), this.ok();
    if (cmd === '+CMEE?') return this.info(`+CMEE: ${this.cmee}`), this.ok();
    if (cmd === '+CPIN?') return this.info(`+CPIN: ${this.simState()}`), this.ok();
    if ((m = /^\+CPIN="?([^",]*)"?$/.exec(body))) return this.enterPin(m[1]!, now);
    if (/^\+CGDCONT=/.test(cmd)) return this.ok();
    if (cmd === '+CGDCONT?') return this.info('+CGDCONT: 1,"IP","internet","0.0.0.0",0,0'), this.ok();
    if ((m = /^\+(CREG|CEREG|CGREG)=([0-2])$/.exec(cmd))) return (this.regUrc[m[1] as 'CREG'] = Number(m[2])), this.ok();
    if ((m = /^\+(CREG|CEREG|CGREG)\?$/.exec(cmd))) {
      const n = this.regUrc[m[1] as 'CREG'];
      return this.info(`+${m[1]}: ${n},${this.stat}${n >= 2 ? this.location(this.stat) : ''}`), this.ok();
    }
    if (cmd === '+CSQ') return this.info(`+CSQ: ${this.o.csq[0]},${this.o.csq[1]}`), this.ok();
    if (cmd === '+COPS?') return this.info(this.registered() ? '+COPS: 0,0,"Lab Mobile",7' : '+COPS: 0'), this.ok();
    if (cmd === '+CGATT?') return this.info(`+CGATT: ${this.registered() ? 1 : 0}`), this.ok();
    if (cmd === '+CFUN=1,1' || cmd === this.o.profile.resetCommand.slice(2).toUpperCase()) return this.ok(), this.reboot(now);
    if (/^\+(CPSMS|CEDRXS)=0$/.test(cmd)) return this.ok();
    if (cmd === '+CFUN=0' || cmd === '+CFUN=4') return (this.radioOff = true), this.setStat(0), this.ok();
    if (cmd === '+CFUN=1') {
      this.ok();
      if (this.radioOff && !this.simLocked && !this.simPuk) this.simReady(now);
      this.radioOff = false;
      return;
    }
    if (cmd === '+CFUN?') return this.info(`+CFUN: ${this.radioOff ? 0 : 1}`), this.ok();
    if (cmd.startsWith('D')) return this.dial(now);
    if (cmd === 'H' || cmd === 'H0') {
      if (this.state === 'online-command') {
        this.ports.onCall(false);
        this.state = 'command';
      }
      return this.ok();
    }
    if (cmd === 'O' || cmd === 'O0') {
      if (this.state !== 'online-command') return this.urc('NO CARRIER');
      return this.enterData(now);
    }
    this.error(4);
  }

  private registered(): boolean {
    return this.stat === 1 || this.stat === 5;
  }

  private enterPin(pin: string, now: number): void {
    if (this.simPuk) return this.error(12);
    if (!this.simLocked) return this.error(3);
    if (pin === this.o.pin) {
      this.simLocked = false;
      this.wrongPins = 0;
      this.ok();
      this.urc('+CPIN: READY');
      return this.simReady(now);
    }
    this.wrongPins++;
    if (this.wrongPins >= 3) {
      this.simPuk = true;
      return this.error(12);
    }
    this.error(16);
  }

  private dial(now: number): void {
    if (this.state === 'online-command') return this.error(3);
    if (this.simPuk || this.simLocked) return this.error(this.simPuk ? 12 : 11);
    const scripted = this.dialResults.shift();
    if (scripted === 'silent') return;
    if (scripted) return scripted === 'ERROR' ? this.error(30) : this.urc(scripted);
    if (!this.registered()) return this.urc('NO CARRIER');
    this.urc(`CONNECT ${this.o.connectRate}`);
    this.ports.onCall(true);
    this.enterData(now, true);
  }

  private enterData(now: number, fresh = false): void {
    if (!fresh) this.urc(`CONNECT ${this.o.connectRate}`);
    this.state = 'data';
    this.lastRxAt = now;
    this.plusCount = 0;
  }

  private endCall(noCarrier: boolean): void {
    this.cancel(this.escapeTimer);
    this.state = 'command';
    if (noCarrier) this.urc('NO CARRIER');
  }

  /** "+++" counts only with guard-time silence before and after it (V.250 S2/S12). */
  private dataFromAgent(bytes: Uint8Array, now: number): void {
    const forward: number[] = [];
    for (const b of bytes) {
      if (b === 0x2b && this.plusCount < 3 && (this.plusCount > 0 || now - this.lastRxAt >= this.o.guardMs)) {
        this.plusCount++;
        continue;
      }
      for (; this.plusCount > 0; this.plusCount--) forward.push(0x2b);
      forward.push(b);
    }
    this.lastRxAt = now;
    this.cancel(this.escapeTimer);
    if (forward.length) this.ports.toPeer(Uint8Array.from(forward));
    if (this.plusCount === 3) {
      this.escapeTimer = this.at(now + this.o.guardMs, () => {
        this.plusCount = 0;
        this.state = 'online-command';
        this.log('escape: online command mode');
        this.ok();
      });
    }
  }
}

// ---------------------------------------------------------------------------------------
// The model behind a pty, paced, with a PPP peer bridge and faults
// ---------------------------------------------------------------------------------------

export interface ModemFaults {
  /** Probability per byte of flipping a random bit / of losing the byte. */
  corruptRate?: number;
  dropRate?: number;
  /** Apply faults to AT chatter too, not only to data mode. */
  inCommandMode?: boolean;
}

export interface ModemEmulatorOptions extends ModemModelOptions, ModemFaults {
  /** Path of the pty symlink the agent opens. */
  link: string;
  /** Bytes leave at baud/10 bytes per second, both ways (the agent's side of the UART). */
  baud?: number;
  /**
   * The module's receive buffer for bytes from the agent, drained at the baud rate: an agent that
   * writes faster than the line overruns it and the excess is lost (counted), as on a modem
   * without flow control. Default 16 KiB.
   */
  uplinkBuffer?: number;
  /** PPP peer started on CONNECT: a shell command line (run with `sh -c 'exec …'`) or argv. */
  bridge?: string | string[];
  random?: () => number;
  log?: (line: string) => void;
  /** How many frames the air meter keeps (default 200,000); a long soak keeps few. */
  meterFrames?: number;
}

export interface ModemEmulatorStats {
  bytesToAgent: number;
  bytesFromAgent: number;
  bytesToPeer: number;
  bytesFromPeer: number;
  corruptedToAgent: number;
  droppedToAgent: number;
  corruptedToPeer: number;
  droppedToPeer: number;
  /** Bytes from the agent lost because they came faster than the baud rate and the buffer was full. */
  uplinkOverrun: number;
  /** Most bytes ever waiting in the uplink buffer. */
  uplinkPeak: number;
  calls: number;
  /** Carrier NAT rebindings (rebindPeer) and the uplink bytes lost while one was under way. */
  rebinds: number;
  lostInRebind: number;
}

const PACE_TICK_MS = 4;
/**
 * Time a late timer may catch up on: the UART kept sending while this process was busy, so the
 * rate over any 25 ms stays the baud rate but timer jitter does not eat into it.
 */
const CATCH_UP_MS = 25;

export class ModemEmulator {
  readonly model: ModemModel;
  readonly link: string;
  /** Every PPP frame of every call, both ways, as it crosses the air (see air-meter.ts). */
  readonly meter: AirMeter;
  private socat: ChildProcess | undefined;
  private bridge: ChildProcess | undefined;
  private readonly out: Uint8Array[] = [];
  private outTimer: NodeJS.Timeout | undefined;
  private readonly up: Uint8Array[] = [];
  private upBytes = 0;
  private upTimer: NodeJS.Timeout | undefined;
  private upCredit = 0;
  private upLast = 0;
  private modelTimer: NodeJS.Timeout | undefined;
  private lastPace = 0;
  private credit = 0;
  private stalledUntil = 0;
  /** While set (blackholeIp, until the call ends): IPv4 frames are lost, PPP control frames pass. */
  private ipFilter: { up: IpFrameFilter; down: IpFrameFilter } | undefined;
  private uplinkHold: Uint8Array[] | undefined;
  private faults: Required<ModemFaults>;
  private readonly random: () => number;
  private readonly logLine: (line: string) => void;
  private readonly counters: ModemEmulatorStats = {
    bytesToAgent: 0, bytesFromAgent: 0, bytesToPeer: 0, bytesFromPeer: 0,
    corruptedToAgent: 0, droppedToAgent: 0, corruptedToPeer: 0, droppedToPeer: 0, uplinkOverrun: 0, uplinkPeak: 0, calls: 0, rebinds: 0, lostInRebind: 0,
  };
  /** While rebindPeer() negotiates PPP with the new peer, the peer's bytes go to it. */
  private splice: PppLink | undefined;
  private stopped = false;
  private readonly bytesPerMs: number;

  private constructor(private readonly options: ModemEmulatorOptions) {
    this.link = options.link;
    this.meter = new AirMeter(undefined, options.meterFrames);
    this.bytesPerMs = (options.baud ?? 115200) / 10 / 1000;
    this.random = options.random ?? Math.random;
    this.logLine = options.log ?? (() => {});
    this.faults = { corruptRate: options.corruptRate ?? 0, dropRate: options.dropRate ?? 0, inCommandMode: options.inCommandMode ?? false };
    this.model = new ModemModel(options, {
      toAgent: (b) => this.toAgent(b),
      toPeer: (b) => this.toPeer(b),
      onCall: (up) => (up ? this.startBridge() : this.stopBridge()),
      log: (l) => this.logLine(l),
    });
  }

  /** Spawns socat with a pty at `options.link` and powers the modem on. */
  static async start(options: ModemEmulatorOptions): Promise<ModemEmulator> {
    const emu = new ModemEmulator(options);
    await emu.open();
    return emu;
  }

  get state(): ModemModelState {
    return this.model.state;
  }

  stats(): ModemEmulatorStats {
    return { ...this.counters };
  }

  setFaults(faults: ModemFaults): void {
    this.faults = { ...this.faults, ...faults };
  }

  injectUrc(text: string): void {
    this.model.injectUrc(text);
  }

  /** Puts raw bytes on the line toward the agent, as if the network side sent them (e.g. a PPP frame). */
  sendToAgent(bytes: Uint8Array): void {
    this.toAgent(bytes);
  }

  dropCarrier(): void {
    this.model.dropCarrier();
    this.kick();
  }

  reboot(): void {
    this.forget();
    this.model.reboot(now());
    this.kick();
  }

  /** The module's PWRKEY or RESET line, driven by the device's GPIO (platform.modemPins). */
  setPin(line: 'power' | 'reset', active: boolean): void {
    if (line === 'reset' && active) this.forget();
    this.model.setPin(line, active, now());
    this.kick();
  }

  /** The firmware hangs until a power cycle: no AT, no data, nothing queued goes out. */
  wedge(): void {
    this.forget();
    this.model.wedge();
  }

  /**
   * A silent stall: the call stays up and PPP control frames (LCP echo) pass, but IPv4 frames are
   * lost both ways until the call ends.
   */
  blackholeIp(): void {
    this.ipFilter = { up: new IpFrameFilter(), down: new IpFrameFilter() };
  }

  /** Sends nothing toward the agent for `ms` (bytes queue up meanwhile). */
  stall(ms: number): void {
    this.stalledUntil = now() + ms;
  }

  /**
   * Holds what the agent sends toward the network (a congested uplink) until the returned
   * function releases it all, in order. The downlink keeps flowing.
   */
  holdUplink(): () => void {
    const held: Uint8Array[] = [];
    this.uplinkHold = held;
    return () => {
      if (this.uplinkHold !== held) return;
      this.uplinkHold = undefined;
      for (const b of held) this.toPeer(b);
    };
  }

  /** A rebooting or hung module forgets what it had not sent yet. */
  private forget(): void {
    this.out.length = 0;
    this.up.length = 0;
    this.upBytes = 0;
  }

  /** Kills socat and the bridge (by PID) and removes the link. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.outTimer);
    clearTimeout(this.upTimer);
    clearTimeout(this.modelTimer);
    const { bridge, socat } = this;
    this.bridge = undefined; // its exit is ours, not the peer hanging up
    this.socat = undefined;
    await Promise.all([killChild(bridge), killChild(socat)]);
    try {
      if (fs.lstatSync(this.link).isSymbolicLink()) fs.unlinkSync(this.link);
    } catch {
      /* socat removed it already */
    }
  }

  private async open(): Promise<void> {
    try {
      if (fs.lstatSync(this.link).isSymbolicLink()) fs.unlinkSync(this.link); // stale link of a killed run
    } catch {
      /* none */
    }
    // rawer: no line discipline on the pty, so all 256 byte values pass both ways.
    const socat = spawn('socat', ['-d', `PTY,link=${this.link},rawer,echo=0`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.socat = socat;
    let err = '';
    socat.stderr.on('data', (d: Buffer) => (err += d.toString()));
    socat.stdout.on('data', (d: Buffer) => this.fromAgent(d));
    socat.on('exit', (code) => {
      if (!this.stopped) this.logLine(`socat exited (${code}): ${err.trim()}`);
    });
    socat.stdin.on('error', () => {}); // EPIPE after socat died; reported by 'exit'
    const until = Date.now() + 5000;
    while (!fs.existsSync(this.link)) {
      if (socat.exitCode !== null || Date.now() > until) {
        await killChild(socat);
        throw new Error(`socat did not create ${this.link}: ${err.trim() || 'timeout'}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    this.logLine(`pty ready at ${this.link} (socat pid ${socat.pid})`);
    this.model.powerOn(now());
    this.kick();
  }

  private fromAgent(bytes: Uint8Array): void {
    this.counters.bytesFromAgent += bytes.length;
    const room = (this.options.uplinkBuffer ?? 16384) - this.upBytes;
    const kept = bytes.length <= room ? bytes : bytes.subarray(0, Math.max(0, room));
    this.counters.uplinkOverrun += bytes.length - kept.length;
    if (kept.length) {
      this.up.push(kept.slice());
      this.upBytes += kept.length;
      this.counters.uplinkPeak = Math.max(this.counters.uplinkPeak, this.upBytes);
    }
    this.paceUp();
  }

  /** Hands the model what the baud rate let through since the last call. */
  private paceUp(): void {
    if (this.stopped) return;
    const t = now();
    // The line carries at most baud/10 bytes per second; a sender that paces itself at that rate
    // arrives in bursts with gaps, so the credit is kept across short idle gaps (up to CATCH_UP_MS).
    this.upCredit = Math.min(this.upCredit + (t - this.upLast) * this.bytesPerMs, Math.max(1, CATCH_UP_MS * this.bytesPerMs));
    this.upLast = t;
    if (this.up.length === 0) return;
    const data = takeFront(this.up, Math.floor(this.upCredit));
    if (data.length) {
      this.upCredit -= data.length;
      this.upBytes -= data.length;
      this.model.fromAgent(data, t);
      this.kick();
    }
    if (this.up.length && !this.upTimer) {
      this.upTimer = setTimeout(() => {
        this.upTimer = undefined;
        this.paceUp();
      }, PACE_TICK_MS);
    }
  }

  private faultsApply(): boolean {
    return this.model.state === 'data' || this.faults.inCommandMode;
  }

  private damage(bytes: Uint8Array, dir: 'Agent' | 'Peer'): Uint8Array {
    const { corruptRate, dropRate } = this.faults;
    if ((!corruptRate && !dropRate) || !this.faultsApply()) return bytes;
    const out: number[] = [];
    for (const b of bytes) {
      if (this.random() < dropRate) {
        this.counters[`droppedTo${dir}`]++;
        continue;
      }
      if (this.random() < corruptRate) {
        this.counters[`corruptedTo${dir}`]++;
        out.push(b ^ (1 << Math.floor(this.random() * 8)));
      } else out.push(b);
    }
    return Uint8Array.from(out);
  }

  private toAgent(bytes: Uint8Array): void {
    const b = this.damage(bytes, 'Agent');
    if (b.length) this.out.push(b);
    this.pace();
  }

  private toPeer(bytes: Uint8Array): void {
    if (this.uplinkHold) return void this.uplinkHold.push(bytes.slice());
    if (this.splice) return void (this.counters.lostInRebind += bytes.length);
    this.meter.push('up', bytes);
    const b = this.damage(this.ipFilter ? this.ipFilter.up.pass(bytes) : bytes, 'Peer');
    this.counters.bytesToPeer += b.length;
    if (b.length && this.bridge?.stdin?.writable) this.bridge.stdin.write(b);
  }

  /** Writes as many queued bytes as the baud rate allows since the last write. */
  private pace(): void {
    if (this.stopped || !this.socat) return;
    const t = now();
    if (this.out.length === 0) {
      this.credit = 0;
      this.lastPace = t;
      return;
    }
    if (t < this.stalledUntil) return this.armPace(this.stalledUntil - t);
    // Idle time earns no burst credit (the queue was empty: credit reset above); a late timer may catch up.
    this.credit = Math.min(this.credit + (t - this.lastPace) * this.bytesPerMs, Math.max(1, CATCH_UP_MS * this.bytesPerMs));
    this.lastPace = t;
    const data = takeFront(this.out, Math.floor(this.credit));
    if (data.length) {
      this.credit -= data.length;
      this.counters.bytesToAgent += data.length;
      this.socat.stdin?.write(data);
    }
    if (this.out.length) this.armPace(PACE_TICK_MS);
  }

  private armPace(ms: number): void {
    if (this.outTimer) return;
    this.outTimer = setTimeout(() => {
      this.outTimer = undefined;
      this.pace();
    }, Math.max(1, ms));
  }

  /** Re-arms the model's timer and pushes output after every model interaction. */
  private kick(): void {
    if (this.stopped) return;
    clearTimeout(this.modelTimer);
    const at = this.model.deadline();
    if (at !== undefined) {
      this.modelTimer = setTimeout(() => {
        this.model.onTimer(now());
        this.kick();
      }, Math.max(0, at - now()));
    }
    this.pace();
  }

  private startBridge(): void {
    this.counters.calls++;
    this.meter.newCall();
    this.bridge = this.spawnBridge();
  }

  private spawnBridge(): ChildProcess | undefined {
    const cmd = this.options.bridge;
    if (!cmd) {
      this.logLine('data mode without a bridge: data from the agent is discarded');
      return undefined;
    }
    // exec: the PID we hold is the bridge itself, not a shell around it.
    const child = typeof cmd === 'string' ? spawn('sh', ['-c', `exec ${cmd}`], { stdio: ['pipe', 'pipe', 'pipe'] }) : spawn(cmd[0]!, cmd.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.logLine(`bridge started (pid ${child.pid})`);
    child.stdin.on('error', () => {});
    child.stdout.on('data', (d: Buffer) => {
      if (this.splice) return this.splice.input(d, now());
      this.counters.bytesFromPeer += d.length;
      if (this.model.state === 'data') this.meter.push('down', d);
      this.model.fromPeer(this.ipFilter ? this.ipFilter.down.pass(d) : d);
      this.kick();
    });
    child.stderr.on('data', (d: Buffer) => this.logLine(`bridge: ${d.toString().trim()}`));
    child.on('exit', (code, signal) => {
      if (this.bridge !== child) return; // we stopped it
      this.bridge = undefined;
      this.logLine(`bridge exited (${code ?? signal})`);
      this.model.peerGone();
      this.kick();
    });
    return child;
  }

  /**
   * The carrier's NAT forgets the device under a live call: the PPP peer (slirp, the NAT) is
   * restarted, so the device's packets leave from a new outer port. The device's PPP session
   * is not touched, as in a real rebinding: the emulator negotiates LCP and IPCP with the new
   * peer itself (ikelet's own src/ppp, as a client with the device's settings), then passes
   * the frames through again. Uplink bytes meanwhile are lost (counted in lostInRebind).
   */
  async rebindPeer(timeoutMs = 15_000): Promise<void> {
    if (this.model.state !== 'data' || !this.bridge) throw new Error('rebindPeer: no data call');
    const old = this.bridge;
    this.bridge = undefined;
    await killChild(old);
    const log = new Logger((_level, component, message) => this.logLine(`rebind ${component}: ${message}`), 'ppp', 'info');
    const up = new Promise<string>((resolve, reject) => {
      const splice = new PppLink(
        { auth: 'none', user: '', password: '', echoIntervalMs: 0, echoFailures: 1, mru: 1500 },
        { random: { bytes: (n) => new Uint8Array(randomBytes(n)) }, log },
        {
          writeSerial: (b) => void child?.stdin?.write(b),
          deliverIpv4: () => {},
          onEvent: (ev) => (ev.type === 'up' ? resolve(ev.localAddress) : reject(new Error(`rebindPeer: PPP with the new peer went down: ${ev.reason}`))),
        },
      );
      this.splice = splice;
      const child = this.spawnBridge();
      this.bridge = child;
      const tick = (): void => {
        if (this.splice !== splice) return;
        splice.onTimer(now());
        const at = splice.deadline();
        if (at !== undefined) setTimeout(tick, Math.max(0, at - now())).unref();
      };
      splice.open(now());
      tick();
      setTimeout(() => reject(new Error('rebindPeer: the new peer did not bring PPP up')), timeoutMs).unref();
    });
    try {
      const address = await up;
      this.logLine(`rebind: new peer up, address ${address}; passing frames through again`);
    } finally {
      this.splice = undefined;
      this.meter.resync('down');
    }
    this.counters.rebinds++;
  }

  private stopBridge(): void {
    this.ipFilter = undefined;
    const child = this.bridge;
    this.bridge = undefined;
    if (child) {
      this.logLine(`bridge stopped (pid ${child.pid})`);
      void killChild(child);
    }
  }
}

/** Passes a PPP byte stream on frame by frame, without its IPv4 frames (re-encoded with full escaping, which every peer takes). */
class IpFrameFilter {
  private readonly out: Uint8Array[] = [];
  private readonly decoder = new HdlcDecoder(4096, new DropCounter(silentLogger()), (frame) => {
    const p = parseFrame(frame);
    if (p && p.protocol !== PROTO_IPV4) this.out.push(encodeFrame(p.protocol, p.info, DEFAULT_FRAMING));
  });

  constructor() {
    this.decoder.rxAccm = 0;
  }

  pass(bytes: Uint8Array): Uint8Array {
    this.decoder.push(bytes);
    const frames = this.out.splice(0);
    return Uint8Array.from(frames.flatMap((f) => [...f]));
  }
}

function now(): number {
  return performance.now();
}

/** Removes up to `max` bytes from the front of a queue of chunks and returns them as one. */
function takeFront(queue: Uint8Array[], max: number): Buffer {
  const chunks: Uint8Array[] = [];
  let budget = max;
  while (budget > 0 && queue.length) {
    const head = queue[0]!;
    const n = Math.min(head.length, budget);
    chunks.push(head.subarray(0, n));
    if (n === head.length) queue.shift();
    else queue[0] = head.subarray(n);
    budget -= n;
  }
  return Buffer.concat(chunks);
}

/** SIGTERM the child by its PID, SIGKILL after 2 s. */
async function killChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 2000).unref());
  if ((await Promise.race([exited, timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}
