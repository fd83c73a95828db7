/** The modem UART of the ESP32 host: pins, baud rate, flow control. */
import { intIn, isInt, oneOf } from './checks.ts';
import { ownKeys, type ConfigSection } from './section.ts';

export interface UartManifest {
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

const ESP32_GPIO_MAX = 39;
const ESP32_INPUT_ONLY = Object.freeze([34, 35, 36, 37, 38, 39]); // cannot drive TX or RTS

const pin = (v: unknown, output: boolean): string | undefined => {
  const form = `-1 (unused) or an ESP32 GPIO number 0..${ESP32_GPIO_MAX}${output ? ' that can drive an output (not 34..39)' : ''}`;
  if (!isInt(v) || v < -1 || v > ESP32_GPIO_MAX) return form;
  return output && ESP32_INPUT_ONLY.includes(v) ? form : undefined;
};

export const uartSection: ConfigSection<UartManifest, UartSettings> = {
  defaults: { uartPort: 1, uartTx: 17, uartRx: 16, uartRts: -1, uartCts: -1, uartBaud: 115200 },
  checks: {
    uartPort: (v) => intIn(v, 0, 2, ' (ESP32 UART number)'),
    uartTx: (v) => pin(v, true),
    uartRx: (v) => pin(v, false),
    uartRts: (v) => pin(v, true),
    uartCts: (v) => pin(v, false),
    uartBaud: (v) => oneOf(v, BAUD_RATES, `one of ${BAUD_RATES[0]}..${BAUD_RATES[BAUD_RATES.length - 1]} (${BAUD_RATES.join(', ')})`),
  },
  cross: (c, issues) => {
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
