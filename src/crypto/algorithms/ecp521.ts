/**
 * NIST P-521 (RFC 5903, group 21): KE data is x | y (132 bytes), the shared secret x.
 */
import { p521Key } from '../backend.ts';
import { nistGroup } from '../dh.ts';
import { DhId } from '../ids.ts';

// No published IKE vector for this group in a form the test can take: the answer was computed with
// OpenSSL (node:crypto, test/unit/crypto-suites.test.ts checks it again); (0, 0) is not on the curve.
export const ECP521 = /* @__PURE__ */ nistGroup(DhId.ECP_521, 'ecp521', 66, p521Key, {
  secret: '00816caf5f972e418cecc75acadad53767b746cba4c459da762756c07f61072e05e68d2c65dc7f088e31b9ccffdc8bfe3c7691530cce80c016f9fee534f5ea080e05',
  publicKey: '003ce3d2371baa9b297e23532c0862634d4afa1dc891f0561cbefc734f4323c15bf5d322a6b8c8ed21e95c7280fe97ba0cdbd0261f941286620d9446d6b87238af9101902d2cbfa1ef3b5a3b5276e7aa8f3e46b0d0699f1ca903a2b032edb8601d2dc35afd9a2916275acf17b98c67c9e487b3e822def2e5f04ad02a82440e10f1a434de',
  peer: '0042810c584422957e0133e9ca5a2c76bde15320f521cc08c84a7a4fc71e9ab64a5223b90c16b418c5fb7869d9943efe35aba1b85e269e00fe17cd20485282dcd3f7018651ad5febbe3806ca3143c41dc776d772ac07cbe8f2a4af2ac23cf7322e3e8adca5e59a973e57b4824005ff1338c5865119f34fa3c67654cf2f4896910ae2ccb3',
  shared: '015222b728f84b6a635b2c5de3d5aa426ef472e651ab3dd6aeef21141c25bce004c7c6abb65d7a71d5b48cb54511c57e89deab6947aed1bcc6acddf6e40bc4f69db5', degenerate: '00'.repeat(132),
});
