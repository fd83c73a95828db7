/**
 * Whole IKEv2 messages: encodeMessage(msg, cipher?) and decodeMessage(bytes, cipher?).
 * The SK payload (RFC 7296 3.14, RFC 5282) is encrypted with an AuthCipher from src/crypto:
 * the authenticated prefix is everything from the IKE header through the SK generic header.
 */
import type { AuthCipher } from '../../crypto/auth-cipher.ts';
import { writeU16 } from '../../util/bytes.ts';
import { encodeChain, decodeChain, firstType } from './chain.ts';
import { IKE_HEADER_LENGTH, PAYLOAD_HEADER_LENGTH, PayloadType } from './constants.ts';
import { fail } from './errors.ts';
import { decodeHeader, writeHeader } from './header.ts';
import type { DecodeResult, IkeHeader, IkeMessage } from './types.ts';

/**
 * Encodes a message. With `msg.encrypted` set, `cipher` (the sender's SK_e/SK_a) is required.
 * Throws only on programming errors (missing cipher, oversize fields).
 */
export function encodeMessage(msg: IkeMessage, cipher?: AuthCipher): Uint8Array {
  if (msg.encrypted === undefined) {
    const chain = encodeChain(msg.payloads, PayloadType.NONE);
    const out = new Uint8Array(IKE_HEADER_LENGTH + chain.length);
    writeHeader(out, msg, firstType(msg.payloads, PayloadType.NONE), out.length);
    out.set(chain, IKE_HEADER_LENGTH);
    return out;
  }
  if (!cipher) throw new Error('encodeMessage: encrypted payloads need a cipher');
  const outer = encodeChain(msg.payloads, PayloadType.SK);
  const inner = encodeChain(msg.encrypted, PayloadType.NONE);
  // Padding: any value, enough to reach the block size (RFC 7296 3.14); zero bytes for the AEADs.
  const padLength = (cipher.blockSize - ((inner.length + 1) % cipher.blockSize)) % cipher.blockSize;
  const plaintext = new Uint8Array(inner.length + padLength + 1);
  plaintext.set(inner, 0);
  plaintext[plaintext.length - 1] = padLength;
  const skLength = PAYLOAD_HEADER_LENGTH + cipher.ivLength + plaintext.length + cipher.icvLength;
  if (skLength > 0xffff) throw new Error('SK payload too long');
  const skOffset = IKE_HEADER_LENGTH + outer.length;
  const total = skOffset + skLength;
  const out = new Uint8Array(total);
  writeHeader(out, msg, firstType(msg.payloads, PayloadType.SK), total);
  out.set(outer, IKE_HEADER_LENGTH);
  out[skOffset] = firstType(msg.encrypted, PayloadType.NONE);
  writeU16(out, skOffset + 2, skLength);
  const prefixEnd = skOffset + PAYLOAD_HEADER_LENGTH;
  const iv = cipher.nextIv();
  const sealed = cipher.seal(out.subarray(0, prefixEnd), iv, plaintext);
  out.set(iv, prefixEnd);
  out.set(sealed, prefixEnd + iv.length);
  return out;
}

export interface DecodedMessage {
  header: IkeHeader;
  message: IkeMessage;
}

/**
 * Decodes and, when there is an SK payload, verifies and decrypts it with `cipher` (the peer's SK_e/SK_a).
 * Never throws: every malformed input yields a typed error.
 */
export function decodeMessage(bytes: Uint8Array, cipher?: AuthCipher): DecodeResult<DecodedMessage> {
  const h = decodeHeader(bytes);
  if (!h.ok) return h;
  const header = h.value;
  if (header.majorVersion !== 2) return fail('bad-version', `IKE major version ${header.majorVersion}`);
  const outer = decodeChain(bytes, IKE_HEADER_LENGTH, bytes.length, header.nextPayload, true);
  if (!outer.ok) return outer;
  const message: IkeMessage = {
    spiI: header.spiI,
    spiR: header.spiR,
    exchange: header.exchange,
    initiator: header.initiator,
    response: header.response,
    messageId: header.messageId,
    payloads: outer.value.payloads,
  };
  const skOffset = outer.value.skOffset;
  if (skOffset !== undefined) {
    if (!cipher) return fail('no-keys', 'message has an SK payload but no keys were given');
    const inner = decryptSk(bytes, skOffset, outer.value.skNext ?? PayloadType.NONE, cipher);
    if (!inner.ok) return inner;
    message.encrypted = inner.value;
  }
  return { ok: true, value: { header, message } };
}

function decryptSk(bytes: Uint8Array, skOffset: number, skNext: number, cipher: AuthCipher): DecodeResult<NonNullable<IkeMessage['encrypted']>> {
  const prefixEnd = skOffset + PAYLOAD_HEADER_LENGTH;
  const ivEnd = prefixEnd + cipher.ivLength;
  if (bytes.length - ivEnd < cipher.icvLength + 1) return fail('truncated', 'SK payload shorter than IV + ICV + pad length');
  const plaintext = cipher.open(bytes.subarray(0, prefixEnd), bytes.subarray(prefixEnd, ivEnd), bytes.subarray(ivEnd));
  if (!plaintext) return fail('icv', 'SK payload integrity check failed');
  if (plaintext.length < 1) return fail('bad-padding', 'SK payload without pad length');
  const padLength = plaintext[plaintext.length - 1]!;
  if (padLength + 1 > plaintext.length) return fail('bad-padding', `pad length ${padLength} exceeds the plaintext`);
  const innerEnd = plaintext.length - 1 - padLength;
  const chain = decodeChain(plaintext, 0, innerEnd, skNext, false);
  if (!chain.ok) return chain;
  return { ok: true, value: chain.value.payloads };
}
