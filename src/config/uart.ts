/** The modem UART of the ESP32 host: pins, baud rate, flow control. */
import { intIn, oneOf } from './checks.ts';
import { ownKeys, type ConfigSection } from './section.ts';

export type UartChip = 'esp32' | 'esp32s3' | 'esp32c3' | 'esp32c6';

export interface UartManifest {
  /** Which ESP32 the board carries (the one mcconfig's -p names): its GPIOs and UARTs. */
  uartChip: UartChip;
  uartPort: number;
  uartTx: number;
  uartRx: number;
  uartRts: number; // -1 = no hardware flow control
  uartCts: number;
  uartBaud: number;
}

export type UartSettings = UartManifest;

/** Baud rates the ESP32 UART and common cellular modems (AT+IPR) both offer. */
export const BAUD_RATES: readonly number[] = Object.freeze([9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600]);

/** What each chip offers the modem line (ESP-IDF's technical reference manuals): GPIOs, pins that cannot drive an output, UARTs. */
const CHIPS: Readonly<Record<UartChip, { gpioMax: number; inputOnly: readonly number[]; uarts: number }>> = Object.freeze({
  esp32: Object.freeze({ gpioMax: 39, inputOnly: Object.freeze([34, 35, 36, 37, 38, 39]), uarts: 3 }),
  esp32s3: Object.freeze({ gpioMax: 48, inputOnly: Object.freeze([]), uarts: 3 }),
  esp32c3: Object.freeze({ gpioMax: 21, inputOnly: Object.freeze([]), uarts: 2 }),
  esp32c6: Object.freeze({ gpioMax: 30, inputOnly: Object.freeze([]), uarts: 2 }),
});
const GPIO_MAX = 48;
const CHIP_NAMES = Object.freeze(Object.keys(CHIPS));

/** The chip decides which numbers are GPIOs (cross-checked below); alone, a pin is -1 or 0..48. */
const pin = (v: unknown): string | undefined => intIn(v, -1, GPIO_MAX, ' (-1 = unused; which GPIOs exist and drive outputs depends on uartChip)');

export const uartSection: ConfigSection<UartManifest, UartSettings> = {
  defaults: { uartChip: 'esp32', uartPort: 1, uartTx: 17, uartRx: 16, uartRts: -1, uartCts: -1, uartBaud: 115200 },
  checks: {
    uartChip: (v) => oneOf(v, CHIP_NAMES),
    uartPort: (v) => intIn(v, 0, 2, ' (UART number; the C3 and C6 have 0 and 1)'),
    uartTx: pin,
    uartRx: pin,
    uartRts: pin,
    uartCts: pin,
    uartBaud: (v) => oneOf(v, BAUD_RATES, `one of ${BAUD_RATES[0]}..${BAUD_RATES[BAUD_RATES.length - 1]} (${BAUD_RATES.join(', ')})`),
  },
  cross: (c, issues) => {
    const chip = CHIPS[c.uartChip];
    if (c.uartPort >= chip.uarts) issues.error(`config.uartPort: expected a UART of the ${c.uartChip} (0..${chip.uarts - 1}), got ${c.uartPort}`);
    for (const [key, output] of [['uartTx', true], ['uartRx', false], ['uartRts', true], ['uartCts', false]] as const) {
      const gpio = c[key];
      if (gpio > chip.gpioMax) issues.error(`config.${key}: expected a GPIO of the ${c.uartChip} (0..${chip.gpioMax}), got ${gpio}`);
      else if (output && chip.inputOnly.includes(gpio)) issues.error(`config.${key}: GPIO ${gpio} of the ${c.uartChip} cannot drive an output (input only: ${chip.inputOnly.join(', ')})`);
    }
    if ((c.uartRts === -1) !== (c.uartCts === -1)) issues.error('config.uartRts: expected RTS and CTS both set (hardware flow control) or both -1');
    const pins = [['uartTx', c.uartTx], ['uartRx', c.uartRx], ['uartRts', c.uartRts], ['uartCts', c.uartCts]] as const;
    for (let i = 0; i < pins.length; i++) {
      for (let j = i + 1; j < pins.length; j++) {
        if (pins[i]![1] !== -1 && pins[i]![1] === pins[j]![1]) issues.error(`config.${pins[j]![0]}: expected a GPIO different from config.${pins[i]![0]} (both ${pins[i]![1]})`);
      }
    }
    if (c.uartTx === -1 || c.uartRx === -1) issues.error('config.uartTx: expected both uartTx and uartRx to be GPIO numbers (the modem needs both lines)');
    if (c.uartRts === -1 && c.uartBaud > 115200) issues.warn(`config.uartBaud: ${c.uartBaud} without RTS/CTS flow control risks receive overruns`);
  },
  parse: (r) => ownKeys(r, uartSection.checks),
};
