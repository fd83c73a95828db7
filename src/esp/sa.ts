/**
 * ESP tunnel-mode SAs (RFC 4303) with 32-bit sequence numbers (no ESN).
 *
 *   packet = SPI | seq | IV | encrypt(inner IPv4 | pad 1,2,3.. | pad length | next header 4) | ICV
 *
 * AEAD (RFC 4106, RFC 7634): AAD = SPI | seq, IV = the 64-bit sequence number XOR a random per-SA mask
 * (unique per key; the IV on the wire is not a second copy of the sequence number).
 * AES-CBC + HMAC-SHA-256-128 (RFC 3602, RFC 4868): random IV, ICV over SPI | seq | IV | ciphertext.
 * Bad packets are dropped and counted in the DropCounter; nothing here throws on input.
 */
import type { AuthCipher } from '../crypto/auth-cipher.ts';
import { createAuthCipher } from '../crypto/auth-cipher.ts';
import type { EspSuite } from '../crypto/suites.ts';
import type { Random } from '../platform.ts';
import type { DropCounter } from '../util/log.ts';
import { readU32, writeU32 } from '../util/bytes.ts';
import { ESP_HEADER_LENGTH, EspDrop, MAX_SEQUENCE, NEXT_HEADER_IPV4, NEXT_HEADER_NONE } from './constants.ts';
import { ReplayWindow } from './replay.ts';

export interface EspSaParams {
  /** Outbound: the SPI the peer chose (its inbound SPI). Inbound: the SPI we chose. */
  spi: number;
  suite: EspSuite;
  /** For the initiator: outbound uses KEYMAT initiatorToResponder, inbound responderToInitiator. */
  encrKey: Uint8Array;
  integKey?: Uint8Array;
}

export interface EspSaDeps {
  random: Random;
  drops: DropCounter;
}

function makeCipher(params: EspSaParams, random: Random): AuthCipher {
  const { suite, encrKey, integKey } = params;
  if (suite.integ && integKey) return createAuthCipher({ encr: suite.encr, encrKey, integ: suite.integ, integKey, random });
  return createAuthCipher({ encr: suite.encr, encrKey, random });
}

/** Sequence number from which rekeyNeeded turns true: leaves 2^28 packets to finish a rekey. */
export const DEFAULT_REKEY_SEQUENCE = 0xf0000000;

export interface EspOutboundOptions {
  /** Sequence number from which rekeyNeeded is true (default DEFAULT_REKEY_SEQUENCE). */
  rekeySequence?: number;
  /** Sequence number of the last packet already sent (default 0); lets tests start near the wrap. */
  lastSequence?: number;
}

export class EspOutboundSa {
  readonly spi: number;
  private readonly cipher: AuthCipher;
  /** Plaintext alignment: the cipher block, and at least 4 so the ICV is 32-bit aligned (RFC 4303 2.4). */
  private readonly align: number;
  private readonly rekeySequence: number;
  private lastSeq: number;
  /** XORed into the AEAD IV: still unique per packet, but not seven zero bytes that PPP must escape on the UART. */
  private readonly ivMask: Uint8Array;
  packets = 0;
  bytes = 0;

  constructor(params: EspSaParams, private readonly deps: EspSaDeps, options: EspOutboundOptions = {}) {
    this.spi = params.spi >>> 0;
    this.ivMask = deps.random.bytes(8).slice();
    this.rekeySequence = options.rekeySequence ?? DEFAULT_REKEY_SEQUENCE;
    this.lastSeq = options.lastSequence ?? 0;
    this.cipher = makeCipher(params, deps.random);
    this.align = Math.max(4, this.cipher.blockSize);
  }

  /** The sequence number of the last packet sent. */
  get sequence(): number {
    return this.lastSeq;
  }

  /** True once the SA should be replaced (CREATE_CHILD_SA) before its sequence numbers run out. */
  get rekeyNeeded(): boolean {
    return this.lastSeq >= this.rekeySequence;
  }

  /** True when no sequence number is left: protect() refuses every packet. */
  get exhausted(): boolean {
    return this.lastSeq >= MAX_SEQUENCE;
  }

  /** The SA is gone: its keys are zeroed. */
  wipe(): void {
    this.cipher.wipe();
  }

  /** Encapsulates one inner IPv4 packet; undefined (and counted) once sequence numbers are exhausted. */
  protect(inner: Uint8Array): Uint8Array | undefined {
    if (this.exhausted) {
      this.deps.drops.drop(EspDrop.SEQ_EXHAUSTED, `SPI ${hexSpi(this.spi)}`);
      return undefined;
    }
    const seq = ++this.lastSeq;
    const c = this.cipher;
    const padLength = (this.align - ((inner.length + 2) % this.align)) % this.align;
    const plaintext = new Uint8Array(inner.length + padLength + 2);
    plaintext.set(inner, 0);
    for (let i = 0; i < padLength; i++) plaintext[inner.length + i] = i + 1; // RFC 4303 2.4 default padding
    plaintext[plaintext.length - 2] = padLength;
    plaintext[plaintext.length - 1] = NEXT_HEADER_IPV4;
    const header = new Uint8Array(ESP_HEADER_LENGTH);
    writeU32(header, 0, this.spi);
    writeU32(header, 4, seq);
    const iv = c.encr.aead ? sequenceIv(seq, this.ivMask) : c.nextIv();
    const sealed = c.seal(header, iv, plaintext);
    const packet = new Uint8Array(ESP_HEADER_LENGTH + iv.length + sealed.length);
    packet.set(header, 0);
    packet.set(iv, ESP_HEADER_LENGTH);
    packet.set(sealed, ESP_HEADER_LENGTH + iv.length);
    this.packets++;
    this.bytes += inner.length;
    return packet;
  }
}

/**
 * The AEAD explicit IV: the sequence number as a 64-bit counter XOR a per-SA mask — unique for the
 * life of the key, as RFC 4106 3.1 / RFC 7634 2 require, whatever the mask.
 */
function sequenceIv(seq: number, mask: Uint8Array): Uint8Array {
  const iv = mask.slice();
  iv[4]! ^= (seq >>> 24) & 0xff;
  iv[5]! ^= (seq >>> 16) & 0xff;
  iv[6]! ^= (seq >>> 8) & 0xff;
  iv[7]! ^= seq & 0xff;
  return iv;
}

export class EspInboundSa {
  readonly spi: number;
  private readonly cipher: AuthCipher;
  private readonly window: ReplayWindow;
  private readonly minLength: number;
  packets = 0;
  bytes = 0;

  constructor(params: EspSaParams, private readonly deps: EspSaDeps, windowSize = 128) {
    this.spi = params.spi >>> 0;
    this.cipher = makeCipher(params, deps.random);
    this.window = new ReplayWindow(windowSize);
    // Header, IV, ICV and at least pad length + next header (one whole block for CBC).
    this.minLength = ESP_HEADER_LENGTH + this.cipher.ivLength + this.cipher.icvLength + Math.max(2, this.cipher.blockSize);
  }

  /** Highest authenticated sequence number seen. */
  get highestSequence(): number {
    return this.window.highest;
  }

  wipe(): void {
    this.cipher.wipe();
  }

  /** Verifies and decapsulates one ESP packet addressed to this SA; undefined (and counted) when dropped. */
  open(packet: Uint8Array): Uint8Array | undefined {
    const drops = this.deps.drops;
    if (packet.length < this.minLength) return dropped(drops, EspDrop.TRUNCATED, `${packet.length} bytes`);
    if (readU32(packet, 0) !== this.spi) return dropped(drops, EspDrop.UNKNOWN_SPI, hexSpi(readU32(packet, 0)));
    const seq = readU32(packet, 4);
    const verdict = this.window.check(seq);
    if (verdict === 'zero') return dropped(drops, EspDrop.ZERO_SEQUENCE);
    if (verdict === 'duplicate') return dropped(drops, EspDrop.REPLAY, `seq ${seq}`);
    if (verdict === 'too-old') return dropped(drops, EspDrop.TOO_OLD, `seq ${seq}`);
    const ivEnd = ESP_HEADER_LENGTH + this.cipher.ivLength;
    const plaintext = this.cipher.open(packet.subarray(0, ESP_HEADER_LENGTH), packet.subarray(ESP_HEADER_LENGTH, ivEnd), packet.subarray(ivEnd));
    if (!plaintext) return dropped(drops, EspDrop.BAD_ICV, `SPI ${hexSpi(this.spi)}`);
    this.window.update(seq); // only authenticated packets move the window
    const n = plaintext.length;
    const padLength = plaintext[n - 2]!;
    const nextHeader = plaintext[n - 1]!;
    if (padLength + 2 > n) return dropped(drops, EspDrop.BAD_PADDING, `pad length ${padLength}`);
    const innerLength = n - 2 - padLength;
    for (let i = 0; i < padLength; i++) {
      if (plaintext[innerLength + i] !== i + 1) return dropped(drops, EspDrop.BAD_PADDING, 'pad bytes');
    }
    if (nextHeader === NEXT_HEADER_NONE) return dropped(drops, EspDrop.DUMMY);
    if (nextHeader !== NEXT_HEADER_IPV4) return dropped(drops, EspDrop.NOT_IPV4, `next header ${nextHeader}`);
    this.packets++;
    this.bytes += innerLength;
    return plaintext.subarray(0, innerLength);
  }
}

/** Counts a drop and yields undefined, so each check stays one line. */
export function dropped(drops: DropCounter, reason: string, detail?: string): undefined {
  drops.drop(reason, detail);
  return undefined;
}

export function hexSpi(spi: number): string {
  return `0x${(spi >>> 0).toString(16).padStart(8, '0')}`;
}
