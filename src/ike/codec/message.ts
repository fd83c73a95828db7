/**
 * Whole IKEv2 messages: encodeMessage(msg, cipher?) and decodeMessage(bytes, cipher?).
 * The SK payload (RFC 7296 3.14, RFC 5282) is encrypted with an AuthCipher from src/crypto:
 * the authenticated prefix is everything from the IKE header through the SK generic header.
 */
import type { AuthCipher } from '../../crypto/auth-cipher.ts';
import { writeU16 } from '../../util/bytes.ts';
import { decodeChain, decodeEntries, encodeChain, firstType, walkChain } from './chain.ts';
import { IKE_HEADER_LENGTH, PAYLOAD_HEADER_LENGTH, PayloadType } from './constants.ts';
import { fail } from './errors.ts';
import { decodeHeader, writeHeader } from './header.ts';
import type { DecodeResult, IkeHeader, IkeMessage, Payload } from './types.ts';

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
  const skLength = PAYLOAD_HEADER_LENGTH + sealedLength(cipher, inner.length);
  if (skLength > 0xffff) throw new Error('SK payload too long');
  const skOffset = IKE_HEADER_LENGTH + outer.length;
  const total = skOffset + skLength;
  const out = new Uint8Array(total);
  writeHeader(out, msg, firstType(msg.payloads, PayloadType.SK), total);
  out.set(outer, IKE_HEADER_LENGTH);
  out[skOffset] = firstType(msg.encrypted, PayloadType.NONE);
  writeU16(out, skOffset + 2, skLength);
  sealInto(out, skOffset + PAYLOAD_HEADER_LENGTH, cipher, inner);
  return out;
}

/** Padding: any value, enough to reach the block size (RFC 7296 3.14); zero bytes for the AEADs. */
function padLengthOf(cipher: AuthCipher, innerLength: number): number {
  return (cipher.blockSize - ((innerLength + 1) % cipher.blockSize)) % cipher.blockSize;
}

/** IV + encrypted (inner, padding, pad length) + ICV: the body of an SK or SKF payload after its header. */
export function sealedLength(cipher: AuthCipher, innerLength: number): number {
  return cipher.ivLength + innerLength + padLengthOf(cipher, innerLength) + 1 + cipher.icvLength;
}

/** Pads and seals `inner` into out[prefixEnd, ...): everything before prefixEnd is the authenticated prefix. */
export function sealInto(out: Uint8Array, prefixEnd: number, cipher: AuthCipher, inner: Uint8Array): void {
  const padLength = padLengthOf(cipher, inner.length);
  const plaintext = new Uint8Array(inner.length + padLength + 1);
  plaintext.set(inner, 0);
  plaintext[plaintext.length - 1] = padLength;
  const iv = cipher.nextIv();
  const sealed = cipher.seal(out.subarray(0, prefixEnd), iv, plaintext);
  out.set(iv, prefixEnd);
  out.set(sealed, prefixEnd + iv.length);
}

export interface DecodedMessage {
  header: IkeHeader;
  message: IkeMessage;
}

/**
 * Decodes and, when there is an SK payload, verifies and decrypts it with `cipher` (the peer's SK_e/SK_a)
 * before any payload body is parsed: nothing from the wire is interpreted before its integrity check
 * (only the generic headers are walked to find SK). Never throws: malformed input yields a typed error,
 * marked `authenticated` when the SK payload had verified.
 */
export function decodeMessage(bytes: Uint8Array, cipher?: AuthCipher): DecodeResult<DecodedMessage> {
  const h = decodeHeader(bytes);
  if (!h.ok) return h;
  const header = h.value;
  if (header.majorVersion !== 2) return fail('bad-version', `IKE major version ${header.majorVersion}`);
  const outer = walkChain(bytes, IKE_HEADER_LENGTH, bytes.length, header.nextPayload, true);
  if (!outer.ok) return outer;
  const skOffset = outer.value.skOffset;
  if (outer.value.skType === PayloadType.SKF) return fail('fragment', 'an Encrypted Fragment payload (reassembled elsewhere)');
  let inner: DecodeResult<Payload[]> | undefined;
  if (skOffset !== undefined) {
    if (!cipher) return fail('no-keys', 'message has an SK payload but no keys were given');
    const plain = openSealed(bytes, skOffset + PAYLOAD_HEADER_LENGTH, cipher);
    if (!plain.ok) return plain;
    inner = decodeChain(plain.value, 0, plain.value.length, outer.value.skNext ?? PayloadType.NONE);
  }
  const payloads = decodeEntries(bytes, outer.value.entries);
  const failed = !payloads.ok ? payloads : inner && !inner.ok ? inner : undefined;
  if (failed) return { ok: false, error: { ...failed.error, authenticated: skOffset !== undefined } };
  const message: IkeMessage = {
    spiI: header.spiI,
    spiR: header.spiR,
    exchange: header.exchange,
    initiator: header.initiator,
    response: header.response,
    messageId: header.messageId,
    payloads: (payloads as { ok: true; value: Payload[] }).value,
  };
  if (inner?.ok) message.encrypted = inner.value;
  return { ok: true, value: { header, message } };
}

/** The plaintext of an SK or SKF payload (its header ends at prefixEnd) without padding, once the ICV verified. */
export function openSealed(bytes: Uint8Array, prefixEnd: number, cipher: AuthCipher): DecodeResult<Uint8Array> {
  const ivEnd = prefixEnd + cipher.ivLength;
  if (bytes.length - ivEnd < cipher.icvLength + 1) return fail('truncated', 'SK payload shorter than IV + ICV + pad length');
  const plaintext = cipher.open(bytes.subarray(0, prefixEnd), bytes.subarray(prefixEnd, ivEnd), bytes.subarray(ivEnd));
  if (!plaintext) return fail('icv', 'SK payload integrity check failed');
  if (plaintext.length < 1) return { ok: false, error: { code: 'bad-padding', message: 'SK payload without pad length', authenticated: true } };
  const padLength = plaintext[plaintext.length - 1]!;
  if (padLength + 1 > plaintext.length) return { ok: false, error: { code: 'bad-padding', message: `pad length ${padLength} exceeds the plaintext`, authenticated: true } };
  return { ok: true, value: plaintext.subarray(0, plaintext.length - 1 - padLength) };
}
