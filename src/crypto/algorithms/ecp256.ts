/**
 * NIST P-256 (RFC 5903, group 19): KE data is x | y (64 bytes, no 0x04 prefix), and the shared
 * secret is the x coordinate only (RFC 5903 7).
 */
import { p256Key } from '../backend.ts';
import { nistGroup } from '../dh.ts';
import { DhId } from '../ids.ts';

// RFC 5903 8.1 (the initiator's key, the responder's public value); (0, 0) is not on the curve.
export const ECP256 = /* @__PURE__ */ nistGroup(DhId.ECP_256, 'ecp256', 32, p256Key, {
  secret: 'c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433',
  publicKey: 'dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c37725811805271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3',
  peer: 'd12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf6356fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab',
  shared: 'd6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de', degenerate: '00'.repeat(64),
});
