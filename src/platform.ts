/**
 * The only door between the agent and the machine it runs on.
 * Every host (sim on Node, xs under xsnap, esp32 under Moddable) implements these
 * small interfaces; nothing under src/ touches an OS API directly.
 * It imports nothing: every layer may depend on it, it depends on no layer.
 */

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(['error', 'warn', 'info', 'debug'] as const);

/** Where log lines go. The agent never passes secrets here (keys go to KeyLog only). */
export type LogSink = (level: LogLevel, component: string, message: string) => void;

/** The modem UART: a byte stream plus optional modem control lines. */
export interface Serial {
  /** Takes the bytes at once (the host queues what the line has not sent yet); never blocks for long. */
  write(bytes: Uint8Array): void;
  /**
   * Bytes written but not yet on the line (the host's transmit queue). The agent keeps this
   * bounded: TCP sends only while it is small. Hosts that cannot tell omit it.
   */
  queued?(): number;
  /** The host calls `handler` when its transmit queue shrank (bytes left the line). */
  onWritable?(handler: () => void): void;
  /** The host calls `handler` with each chunk of received bytes. */
  onReceive(handler: (bytes: Uint8Array) => void): void;
  /** DTR drop makes most modems leave data mode; hosts without control lines omit this. */
  setDtr?(asserted: boolean): void;
}

/**
 * The modem's power lines, GPIOs the manifest names (modemPowerPin, modemResetPin). The agent
 * times the pulses; the host only sets levels. `active` true: the line is asserted (PWRKEY or RESET
 * pulled low at the modem, through whatever transistor the board has). Hosts without them omit this.
 */
export interface ModemPins {
  set(line: 'power' | 'reset', active: boolean): void;
}

/** Monotonic milliseconds; only differences are meaningful. */
export interface Clock {
  now(): number;
}

/** One re-armable one-shot timer is all the agent needs: it always knows its next deadline. */
export interface Timer {
  /** Arm for absolute monotonic time `at` (ms), replacing any earlier arming; undefined disarms. */
  schedule(at: number | undefined, fire: () => void): void;
}

/** Cryptographically secure random bytes. */
export interface Random {
  bytes(length: number): Uint8Array;
}

/**
 * A few short strings that survive a reboot (the highest firmware version installed): NVS on the
 * ESP32 (Moddable's preference module), a file in the simulator. Keys are at most 15 characters.
 */
export interface Store {
  get(key: string): string | undefined;
  /** Throws when the value could not be kept. */
  set(key: string, value: string): void;
}

/**
 * The device's certificate key, kept by whoever holds it (issue 19: a key from the config/NVS by
 * default; the ESP32 Digital Signature peripheral or an ATECC608 next): only digests go in, only
 * signatures come out, so the private key never enters the agent.
 */
export interface Signer {
  /** The key's algorithm: ECDSA P-256 over SHA-256 digests. */
  readonly algorithm: 'ecdsa-p256';
  /** The DER ECDSA signature (X.509's Ecdsa-Sig-Value) of a 32-byte SHA-256 digest; undefined when the keeper fails. */
  sign(digest: Uint8Array): Uint8Array | undefined;
}

/** Optional sink for session keys, only wired when the user asks for a key log. */
export interface KeyLog {
  ikeSa(entry: IkeSaKeys): void;
  espSa(entry: EspSaKeys): void;
}

export interface IkeSaKeys {
  spiI: Uint8Array;
  spiR: Uint8Array;
  skEi: Uint8Array;
  skEr: Uint8Array;
  skAi: Uint8Array;
  skAr: Uint8Array;
  encryption: string;
  integrity: string;
}

export interface EspSaKeys {
  spi: number;
  source: string;
  destination: string;
  encryption: string;
  encryptionKey: Uint8Array;
  integrity: string;
  integrityKey: Uint8Array;
}

export interface Platform {
  serial: Serial;
  clock: Clock;
  timer: Timer;
  random: Random;
  log: LogSink;
  /** The manifest's `config` as the host has it (mc/config on the device); the agent validates and parses it once at start. */
  config: unknown;
  keyLog?: KeyLog;
  /** The modem's PWRKEY/RESET lines, when the board wires them: the last rung of the recovery ladder. */
  modemPins?: ModemPins;
  /** Optional structured sink for the agent's events (AgentEvent: status for the app or a test host). */
  report?(event: Readonly<{ type: string }>): void;
}
