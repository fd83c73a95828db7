/** Ambient typings for the Moddable modules and globals the ESP32 host uses. */

declare function trace(...values: unknown[]): void;

declare module 'mc/config' {
  /** The manifest's `config` object, frozen (build:esp32 writes every ManifestConfig key). */
  const config: Readonly<Record<string, unknown>>;
  export default config;
}

declare module 'timer' {
  type TimerID = object;
  const Timer: {
    set(callback: (id: TimerID) => void, delay?: number, repeat?: number): TimerID;
    clear(id: TimerID): void;
  };
  export default Timer;
}

declare module 'time' {
  const Time: {
    /** Milliseconds from an arbitrary origin; wraps after ~24 days on some platforms. */
    readonly ticks: number;
    delta(start: number, end?: number): number;
  };
  export default Time;
}

declare module 'ikelet/uart' {
  export interface UARTOptions {
    port?: number;
    transmit: number;
    receive: number;
    rts?: number;
    cts?: number;
    baud?: number;
    receiveBufferSize?: number;
    transmitBufferSize?: number;
    onReadable: (this: UART, count: number) => void;
    /** Called as the transmit ring drains (every 512 bytes and when empty). */
    onWritable?: (this: UART) => void;
  }
  export default class UART {
    constructor(options: UARTOptions);
    read(count?: number): ArrayBuffer | undefined;
    /** Takes what fits the transmit ring now; returns that count (never waits). */
    write(buffer: ArrayBuffer | ArrayBufferView): number;
    /** Bytes in the transmit ring, not yet sent. */
    readonly queued: number;
    close(): void;
    readonly overflows: number;
    format: 'buffer';
  }
}

declare module 'ikelet/random' {
  export function fillRandom<T extends ArrayBuffer | ArrayBufferView>(buffer: T): T;
  export function randomBytes(length: number): Uint8Array;
}

/** Moddable's ESP32 OTA module ($(MODDABLE)/build/devices/esp32/modules/ota): the next OTA partition. */
declare module 'ota' {
  export default class OTA {
    /** Begins an update of the next OTA partition (erases it). */
    constructor();
    write(data: ArrayBuffer | ArrayBufferView): void;
    /** Ends the update and makes the partition the one to boot next. */
    complete(): void;
    cancel(): void;
  }
}

/** Moddable's preference module ($(MODULES)/files/preference): small values in NVS, kept across boots. */
declare module 'preference' {
  export default class Preference {
    static get(domain: string, key: string): string | number | boolean | ArrayBuffer | undefined;
    static set(domain: string, key: string, value: string | number | boolean | ArrayBuffer): void;
    static delete(domain: string, key: string): void;
  }
}

// The device bundle (build/device/ikelet.js), module "ikelet" in the manifest: typed from
// src/index.ts through `paths` in tsconfig.json.
