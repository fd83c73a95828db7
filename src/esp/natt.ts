/**
 * UDP encapsulation (RFC 3948) on port 4500: ESP packets are sent as the UDP payload unchanged,
 * IKE messages get a 4-byte zero non-ESP marker in front, and NAT keepalives are the single byte 0xFF.
 * ESP can never look like the marker because SPI 0 is reserved.
 */
export const NATT_PORT = 4500;
export const IKE_PORT = 500;
export const NON_ESP_MARKER_LENGTH = 4;

export type Udp4500Payload =
  | { kind: 'keepalive' }
  | { kind: 'ike'; message: Uint8Array }
  | { kind: 'esp'; packet: Uint8Array }
  | { kind: 'invalid'; reason: string };

export function classifyUdp4500(payload: Uint8Array): Udp4500Payload {
  if (payload.length === 1 && payload[0] === 0xff) return { kind: 'keepalive' };
  if (payload.length < NON_ESP_MARKER_LENGTH) return { kind: 'invalid', reason: `${payload.length}-byte UDP/4500 payload` };
  if (payload[0] === 0 && payload[1] === 0 && payload[2] === 0 && payload[3] === 0) {
    return { kind: 'ike', message: payload.subarray(NON_ESP_MARKER_LENGTH) };
  }
  if (payload.length < 8) return { kind: 'invalid', reason: 'ESP packet shorter than SPI + sequence number' };
  return { kind: 'esp', packet: payload };
}

/** An IKE message for UDP/4500: non-ESP marker + message. */
export function wrapIkeForNatt(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(NON_ESP_MARKER_LENGTH + message.length);
  out.set(message, NON_ESP_MARKER_LENGTH);
  return out;
}

/** The NAT-keepalive payload (RFC 3948 2.3). */
export function natKeepalive(): Uint8Array {
  return Uint8Array.of(0xff);
}
