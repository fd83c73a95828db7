/**
 * The byte protocol between the Node host (XsAgentHost) and the XS side (xs-main.ts)
 * over xsnap's two synchronous channels. Shared by both sides: no Node API here.
 *
 * Each message is one opcode byte followed by its payload. Serial and random payloads are
 * raw bytes (the hot paths); the rest is UTF-8 JSON.
 */

/** Node -> XS, through the worker's `handleCommand`; each one is one XS turn. */
export const ToXs = {
  start: 0x53, // 'S' JSON StartMessage
  receive: 0x52, // 'R' serial bytes from the modem
  timer: 0x54, // 'T' JSON { id } the armed timer expired
  stop: 0x58, // 'X' no payload
  drained: 0x44, // 'D' no payload: the serial line's transmit queue shrank
  app: 0x41, // 'A' JSON: a command for the device module's appCommand (test and bench apps)
  udpSend: 0x55, // 'U' a test app's datagram into the tunnel: IPv4 address (4), port (2), payload
  gc: 0x47, // 'G' no payload: xsnap's full gc(), for heap sampling (an evaluate('gc()') would leave a slot behind each time)
} as const;

/** XS -> Node, through the synchronous global `issueCommand`. */
export const FromXs = {
  write: 0x57, // 'W' serial bytes to the modem
  queued: 0x51, // 'Q' -> reply: uint32 bytes the serial line has queued, not yet sent
  arm: 0x41, // 'A' JSON { id, at } (at null = disarm)
  now: 0x4e, // 'N' -> reply: float64 monotonic ms
  random: 0x47, // 'G' JSON { length } -> reply: that many random bytes
  log: 0x4c, // 'L' JSON { level, component, message }
  keyLog: 0x4b, // 'K' JSON { kind: 'ike'|'esp', entry } with byte fields as { hex }
  fault: 0x46, // 'F' JSON { where, message }: an exception escaped the agent
  report: 0x45, // 'E' JSON AgentEvent (Platform.report), byte fields as { hex }
  result: 0x52, // 'R' JSON: a value handed back by a test/bench script
  udpReceive: 0x75, // 'u' a datagram for the test app: source IPv4 address (4), source port (2), payload
} as const;

/** The address, port and payload of a udpSend / udpReceive message. */
export function udpFrame(op: number, address: string, port: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(7 + payload.length);
  out[0] = op;
  address.split('.').forEach((octet, i) => (out[1 + i] = Number(octet)));
  out[5] = (port >> 8) & 0xff;
  out[6] = port & 0xff;
  out.set(payload, 7);
  return out;
}

export function parseUdpFrame(message: Uint8Array): { address: string; port: number; payload: Uint8Array } {
  return { address: Array.from(message.subarray(1, 5)).join('.'), port: (message[5]! << 8) | message[6]!, payload: message.slice(7) };
}

export interface StartMessage {
  config: unknown; // AgentConfig, already validated by the Node side
  keyLog: boolean; // wire a KeyLog only when the host has one
  report: boolean; // wire Platform.report only when the host has a sink
}

/** JSON replacer/reviver pair that carries Uint8Array fields as { hex }. */
export function bytesToJson(_key: string, value: unknown): unknown {
  if (!(value instanceof Uint8Array)) return value;
  let hex = '';
  for (const b of value) hex += (b < 16 ? '0' : '') + b.toString(16);
  return { hex };
}
export function bytesFromJson(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Object.keys(value).length !== 1 || typeof (value as { hex?: unknown }).hex !== 'string') return value;
  const hex = (value as { hex: string }).hex;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function frame(op: number, payload?: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + (payload ? payload.length : 0));
  out[0] = op;
  if (payload) out.set(payload, 1);
  return out;
}

export function jsonFrame(op: number, value: unknown): Uint8Array {
  return frame(op, new TextEncoder().encode(JSON.stringify(value, bytesToJson)));
}

export function payloadJson<T>(message: Uint8Array): T {
  return JSON.parse(new TextDecoder().decode(message.subarray(1)), bytesFromJson) as T;
}
