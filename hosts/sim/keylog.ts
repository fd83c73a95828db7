/**
 * `--keylog DIR`: writes Wireshark's IKEv2 decryption table and ESP SA table, so a capture
 * of the link (`--pcap`) can be decrypted. Only wired when the user asks: keys never go
 * to the normal log.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EspSaKeys, IkeSaKeys, KeyLog } from '../../src/platform.ts';
import { toHex } from '../../src/util/bytes.ts';

/** Wireshark's names for our IKE encryption/integrity algorithms (ikev2_decryption_table UAT). */
const IKE_ENCRYPTION: Record<string, string> = {
  aes128gcm16: 'AES-GCM-128 with 16 octet ICV [RFC5282]',
  aes256gcm16: 'AES-GCM-256 with 16 octet ICV [RFC5282]',
  aes128: 'AES-CBC-128 [RFC3602]',
  aes256: 'AES-CBC-256 [RFC3602]',
};
const IKE_INTEGRITY: Record<string, string> = {
  none: 'NONE [RFC4306]',
  sha256: 'HMAC_SHA2_256_128 [RFC4868]',
};
/** Wireshark's names for ESP algorithms (esp_sa UAT). */
const ESP_ENCRYPTION: Record<string, string> = {
  aes128gcm16: 'AES-GCM with 16 octet ICV [RFC4106]',
  aes256gcm16: 'AES-GCM with 16 octet ICV [RFC4106]',
  chacha20poly1305: 'ChaCha20 with Poly1305 [RFC7634]',
  aes128: 'AES-CBC [RFC3602]',
  aes256: 'AES-CBC [RFC3602]',
};
const ESP_INTEGRITY: Record<string, string> = {
  none: 'NULL',
  sha256: 'HMAC-SHA-256-128 [RFC4868]',
};

export class WiresharkKeyLog implements KeyLog {
  readonly ikeTable: string;
  readonly espTable: string;

  constructor(dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.ikeTable = path.join(dir, 'ikev2_decryption_table');
    this.espTable = path.join(dir, 'esp_sa');
    fs.writeFileSync(this.ikeTable, '', { mode: 0o600 });
    fs.writeFileSync(this.espTable, '', { mode: 0o600 });
  }

  ikeSa(k: IkeSaKeys): void {
    const line = [
      toHex(k.spiI),
      toHex(k.spiR),
      toHex(k.skEi),
      toHex(k.skEr),
      `"${IKE_ENCRYPTION[k.encryption] ?? k.encryption}"`,
      toHex(k.skAi),
      toHex(k.skAr),
      `"${IKE_INTEGRITY[k.integrity] ?? k.integrity}"`,
    ].join(',');
    fs.appendFileSync(this.ikeTable, `${line}\n`);
  }

  espSa(k: EspSaKeys): void {
    const line = [
      '"IPv4"',
      `"${k.source}"`,
      `"${k.destination}"`,
      `"0x${(k.spi >>> 0).toString(16).padStart(8, '0')}"`,
      `"${ESP_ENCRYPTION[k.encryption] ?? k.encryption}"`,
      `"0x${toHex(k.encryptionKey)}"`,
      `"${ESP_INTEGRITY[k.integrity] ?? k.integrity}"`,
      k.integrityKey.length ? `"0x${toHex(k.integrityKey)}"` : '""',
    ].join(',');
    fs.appendFileSync(this.espTable, `${line}\n`);
  }
}
