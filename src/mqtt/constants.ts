/** MQTT 3.1.1 (OASIS 2014) control packet types, numbered as Moddable's MQTTClient statics. */
export const CONNECT = 1;
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const PUBREC = 5;
export const PUBREL = 6;
export const PUBCOMP = 7;
export const SUBSCRIBE = 8;
export const SUBACK = 9;
export const UNSUBSCRIBE = 10;
export const UNSUBACK = 11;
export const PINGREQ = 12;
export const PINGRESP = 13;
export const DISCONNECT = 14;

export type QoS = 0 | 1 | 2;

/** The largest remaining length MQTT can express (4 length bytes). */
export const MAX_REMAINING_LENGTH = 268_435_455;

/** Why the broker refused a CONNECT (3.2.2.3), as named errors. */
export const CONNACK_ERRORS: Readonly<Record<number, MqttErrorName>> = Object.freeze({
  1: 'unacceptable-protocol-version',
  2: 'identifier-rejected',
  3: 'server-unavailable',
  4: 'bad-user-name-or-password',
  5: 'not-authorized',
});

/** Named errors the codec reports for bytes from the wire. */
export type MqttDecodeErrorName =
  | 'malformed-remaining-length'
  | 'packet-too-large'
  | 'unknown-packet-type'
  | 'bad-flags'
  | 'malformed-packet'
  | 'bad-utf8'
  | 'invalid-topic';

/** Every error the client reports (onError's argument carries one of these as `name`). */
export type MqttErrorName =
  | MqttDecodeErrorName
  | 'unacceptable-protocol-version'
  | 'identifier-rejected'
  | 'server-unavailable'
  | 'bad-user-name-or-password'
  | 'not-authorized'
  | 'connack-refused'
  | 'protocol-error'
  | 'dns-failed'
  | 'socket-failed'
  | 'connection-lost'
  | 'connect-timeout'
  | 'ping-timeout'
  | 'ack-timeout'
  | 'outbox-full';
