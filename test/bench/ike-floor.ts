/**
 * The RFC 7296 floor: the fewest bytes an IKE_SA_INIT and IKE_AUTH exchange can take for the
 * payloads this tunnel needs, computed from the payload formats (RFC 7296 section 3), not
 * measured. Every payload at its minimum: one proposal, the shortest nonce the PRF allows
 * (2.10: at least 128 bits and at least half the PRF key), no optional payload or notify.
 *
 *   IKE_SA_INIT  HDR, SA, KE, N(i|r), N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP)
 *   IKE_AUTH     HDR, SK { ID(i|r), AUTH, CP(REQUEST: IP4_ADDRESS, IP4_DNS | REPLY: both with values),
 *                          SA (ESP, 4-byte SPI, ESN), TSi, TSr, [N(INITIAL_CONTACT) in the request] }
 *                IDr in the request is optional (2.15) and left out; INITIAL_CONTACT is kept: a device
 *                that reboots needs it to clear its old SAs at the gateway.
 */

const HDR = 28;
const GENERIC = 4; // next payload, critical, reserved, length
const PROPOSAL = 8;
const TRANSFORM = 8;
const KEY_LENGTH_ATTR = 4;
const NOTIFY = GENERIC + 4; // protocol id, SPI size, notify type
const NAT_DETECTION = NOTIFY + 20; // SHA-1 hash
const CP_ATTR = 4;
const TS_IPV4 = 16;

interface Cipher {
  keyLengthAttr: boolean;
  /** AEAD: ICV and no separate integrity transform. */
  aead: boolean;
  iv: number;
  icv: number;
  block: number;
}

const CIPHERS: Record<string, Cipher> = {
  aes128gcm16: { keyLengthAttr: true, aead: true, iv: 8, icv: 16, block: 1 },
  aes256gcm16: { keyLengthAttr: true, aead: true, iv: 8, icv: 16, block: 1 },
  chacha20poly1305: { keyLengthAttr: false, aead: true, iv: 8, icv: 16, block: 1 },
  aes128: { keyLengthAttr: true, aead: false, iv: 16, icv: 0, block: 16 },
  aes256: { keyLengthAttr: true, aead: false, iv: 16, icv: 0, block: 16 },
};
const PRF_BYTES: Record<string, number> = { prfsha256: 32, prfsha384: 48, prfsha512: 64 };
const INTEG_ICV: Record<string, number> = { sha256: 16, sha384: 24, sha512: 32 };
const KE_BYTES: Record<string, number> = { x25519: 32, ecp256: 64, ecp384: 96, curve25519: 32 };

export interface FloorInputs {
  ikeProposal: string; // e.g. aes128gcm16-prfsha256-x25519
  espProposal: string; // e.g. aes128gcm16, aes128-sha256
  idi: string;
  idr: string;
  /** Traffic selectors the device asks for (TSr) and gets (TSi = its virtual IP). */
  tsrCount: number;
}

export interface IkeFloor {
  initRequest: number;
  initResponse: number;
  authRequest: number;
  authResponse: number;
}

function split(proposal: string): string[] {
  return proposal.toLowerCase().split('-');
}

function sa(transforms: number, spi: number): number {
  return GENERIC + PROPOSAL + spi + transforms;
}

export function ikeFloor(o: FloorInputs): IkeFloor {
  const [encr, prf, dh] = split(o.ikeProposal) as [string, string, string];
  const cipher = CIPHERS[encr];
  const prfBytes = PRF_BYTES[prf];
  const ke = KE_BYTES[dh];
  if (!cipher || !cipher.aead || !prfBytes || !ke) throw new Error(`ike-floor: no formats for ${o.ikeProposal}`);
  const [espEncr, espInteg] = split(o.espProposal) as [string, string | undefined];
  const espCipher = CIPHERS[espEncr];
  if (!espCipher || (!espCipher.aead && !(espInteg && INTEG_ICV[espInteg]))) throw new Error(`ike-floor: no formats for ${o.espProposal}`);

  const nonce = Math.max(16, prfBytes / 2);
  const ikeSa = sa(TRANSFORM + (cipher.keyLengthAttr ? KEY_LENGTH_ATTR : 0) + 2 * TRANSFORM, 0); // ENCR, PRF, DH
  const init = HDR + ikeSa + (GENERIC + 4 + ke) + (GENERIC + nonce) + 2 * NAT_DETECTION;

  const espSa = sa(TRANSFORM + (espCipher.keyLengthAttr ? KEY_LENGTH_ATTR : 0) + (espCipher.aead ? 0 : TRANSFORM) + TRANSFORM, 4); // ENCR, [INTEG], ESN
  const id = (s: string) => GENERIC + 4 + s.length;
  const auth = GENERIC + 4 + prfBytes;
  const ts = (n: number) => GENERIC + 4 + n * TS_IPV4;
  const sk = (inner: number) => {
    const pad = (cipher.block - ((inner + 1) % cipher.block)) % cipher.block;
    return HDR + GENERIC + cipher.iv + inner + pad + 1 + cipher.icv;
  };
  const cpRequest = GENERIC + 4 + 2 * CP_ATTR;
  const cpReply = GENERIC + 4 + 2 * (CP_ATTR + 4);
  return {
    initRequest: init,
    initResponse: init,
    authRequest: sk(id(o.idi) + auth + cpRequest + espSa + ts(1) + ts(o.tsrCount) + NOTIFY),
    authResponse: sk(id(o.idr) + auth + cpReply + espSa + ts(1) + ts(o.tsrCount)),
  };
}
