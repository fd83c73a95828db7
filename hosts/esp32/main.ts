/**
 * ESP32 host (Moddable): wires the device bundle to the board.
 *   modem UART -> ikelet/uart (ring buffer + RTS/CTS), pins and baud from config
 *   timer      -> one re-armable Moddable Timer
 *   clock      -> Time.ticks
 *   random     -> ikelet/random (hardware RNG with entropy source)
 *   logs       -> trace()
 * build:esp32 compiles this file to build/esp32/main.js; `mc/config` is the manifest's config,
 * validated and completed with defaults at build time (src/config-check.ts).
 */
import config from 'mc/config';
import Timer from 'timer';
import Time from 'time';
import UART from 'ikelet/uart';
import { fillRandom, randomBytes } from 'ikelet/random';
import { startAgent } from 'ikelet';
import type { ManifestConfig } from '../../src/config/validate.ts';
import type { Platform } from '../../src/platform.ts';

const agentConfig = config as unknown as ManifestConfig;

// noble falls back to crypto.getRandomValues when code asks it for randomness; Moddable has none.
const g = globalThis as { crypto?: { getRandomValues?: <T extends ArrayBufferView>(a: T) => T } };
if (!g.crypto?.getRandomValues) g.crypto = { ...(g.crypto ?? {}), getRandomValues: (a) => fillRandom(a) };

let receiver: (bytes: Uint8Array) => void = () => {};
const uart = new UART({
  port: agentConfig.uartPort,
  transmit: agentConfig.uartTx,
  receive: agentConfig.uartRx,
  rts: agentConfig.uartRts,
  cts: agentConfig.uartCts,
  baud: agentConfig.uartBaud,
  receiveBufferSize: 8192, // ~0.7 s of 115200 baud: longer than the longest turn (x25519)
  onReadable() {
    // Drain everything: the native side posts again only when new bytes arrive.
    for (let chunk = this.read(); chunk; chunk = this.read()) receiver(new Uint8Array(chunk));
  },
});

let armed: object | undefined;
const platform: Platform = {
  config: agentConfig,
  serial: {
    write: (bytes) => uart.write(bytes),
    onReceive: (handler) => { receiver = handler; },
  },
  clock: { now: () => Time.ticks },
  timer: {
    schedule(at, fire) {
      if (armed) Timer.clear(armed);
      armed = undefined;
      if (at === undefined) return;
      armed = Timer.set(() => {
        armed = undefined;
        fire();
      }, Math.max(0, at - Time.ticks));
    },
  },
  random: { bytes: (length) => randomBytes(length) },
  log: (level, component, message) => trace(`${level} ${component}: ${message}\n`),
};

trace(`ikelet: gateway ${agentConfig.gateway}, modem on UART${agentConfig.uartPort} at ${agentConfig.uartBaud} baud\n`);
startAgent(platform);
