/** ESP numbers (RFC 4303). */
export const ESP_HEADER_LENGTH = 8; // SPI + sequence number
/** Next Header for tunnel mode: the inner packet is IPv4. */
export const NEXT_HEADER_IPV4 = 4;
/** Next Header of a dummy (TFC) packet, which receivers discard (RFC 4303 2.6). */
export const NEXT_HEADER_NONE = 59;
export const MAX_SEQUENCE = 0xffffffff;

/** Drop reasons, as counted in the DropCounter. */
export const EspDrop = Object.freeze({
  TRUNCATED: 'esp: truncated packet',
  UNKNOWN_SPI: 'esp: unknown SPI',
  ZERO_SEQUENCE: 'esp: sequence number 0',
  REPLAY: 'esp: replayed packet',
  TOO_OLD: 'esp: sequence number left of the replay window',
  BAD_ICV: 'esp: ICV verification failed',
  BAD_PADDING: 'esp: bad padding',
  DUMMY: 'esp: dummy packet',
  NOT_IPV4: 'esp: next header is not IPv4',
  SEQ_EXHAUSTED: 'esp: sequence numbers exhausted, SA needs a rekey',
} as const);
