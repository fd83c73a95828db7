/** The object identifiers ikelet reads in certificates, as the hex of their DER content. */
export const Oid = Object.freeze({
  rsaEncryption: '2a864886f70d010101', // 1.2.840.113549.1.1.1
  rsassaPss: '2a864886f70d01010a', // 1.2.840.113549.1.1.10
  mgf1: '2a864886f70d010108', // 1.2.840.113549.1.1.8
  sha256WithRsa: '2a864886f70d01010b',
  sha384WithRsa: '2a864886f70d01010c',
  sha512WithRsa: '2a864886f70d01010d',
  ecPublicKey: '2a8648ce3d0201', // 1.2.840.10045.2.1
  p256: '2a8648ce3d030107', // 1.2.840.10045.3.1.7
  p384: '2b81040022', // 1.3.132.0.34
  ecdsaSha256: '2a8648ce3d040302',
  ecdsaSha384: '2a8648ce3d040303',
  ecdsaSha512: '2a8648ce3d040304',
  ed25519: '2b6570', // 1.3.101.112
  sha256: '608648016503040201', // 2.16.840.1.101.3.4.2.1
  sha384: '608648016503040202',
  sha512: '608648016503040203',
  commonName: '550403', // 2.5.4.3
  subjectKeyIdentifier: '551d0e',
  keyUsage: '551d0f',
  subjectAltName: '551d11',
  basicConstraints: '551d13',
  authorityKeyIdentifier: '551d23',
  extKeyUsage: '551d25',
} as const);

export type HashName = 'sha256' | 'sha384' | 'sha512';

export const HASH_OF_OID: Readonly<Record<string, HashName>> = Object.freeze({ [Oid.sha256]: 'sha256', [Oid.sha384]: 'sha384', [Oid.sha512]: 'sha512' });
