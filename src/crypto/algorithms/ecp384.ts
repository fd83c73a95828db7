/**
 * NIST P-384 (RFC 5903, group 20): KE data is x | y (96 bytes), the shared secret x.
 */
import { p384Key } from '../backend.ts';
import { nistGroup } from '../dh.ts';
import { DhId } from '../ids.ts';

// No published IKE vector for this group in a form the test can take: the answer was computed with
// OpenSSL (node:crypto, test/unit/crypto-suites.test.ts checks it again); (0, 0) is not on the curve.
export const ECP384 = /* @__PURE__ */ nistGroup(DhId.ECP_384, 'ecp384', 48, p384Key, {
  secret: 'b58fede8087721c3b0e6543c76b3fb5f7c555f22f8da32d429153bd5bdb6f5ba2ff358d3d3041ce582069c83229ce120',
  publicKey: '3b41edfe3ab3331f831c0c64a600460d5814a30534fe537875776c1e1a2a6acfdb0498fa9efaf81c4ce0fb4545790265deda2a60bdeb7dfb42235722c396a5201c23f65b1b9bf50364154215de344f2ca6ffcab3eaaa723d53483afcd254f348',
  peer: '3b0abfa292073229e10dc8e82df3810e5622d8852230fa180eb3833baa5699c3f5dbb105831c3846ec27ce4e490ce8f951c17fb468ac957d72bbd155899a54c5f006315d93796dd45afdee3a54db7dc7b0eff1708cd52fe7b53f500ffba0052c',
  shared: '63275f71028d45be93698d7cbe88a567dac1655bc50edc12f724c310e8064d6d79a31c73d55a0def8d9c4a9ad181deaa', degenerate: '00'.repeat(96),
});
