/** SA payload body: proposals, transforms and attributes (RFC 7296 3.3). */
import type { Transform } from '../../crypto/ids.ts';
import { ATTR_KEY_LENGTH } from '../../crypto/ids.ts';
import { concatBytes, readU16, writeU16 } from '../../util/bytes.ts';
import { fail } from './errors.ts';
import type { DecodeResult, Proposal } from './types.ts';

const LAST = 0;
const MORE_PROPOSALS = 2;
const MORE_TRANSFORMS = 3;
const PROPOSAL_HEADER = 8;
const TRANSFORM_HEADER = 8;

export function encodeSaBody(proposals: readonly Proposal[]): Uint8Array {
  return concatBytes(...proposals.map((p, i) => encodeProposal(p, i === proposals.length - 1)));
}

function encodeProposal(p: Proposal, last: boolean): Uint8Array {
  const transforms = concatBytes(...p.transforms.map((t, i) => encodeTransform(t, i === p.transforms.length - 1)));
  const length = PROPOSAL_HEADER + p.spi.length + transforms.length;
  if (length > 0xffff || p.transforms.length > 255 || p.spi.length > 255) throw new Error('proposal too large');
  const out = new Uint8Array(length);
  out[0] = last ? LAST : MORE_PROPOSALS;
  writeU16(out, 2, length);
  out[4] = p.number;
  out[5] = p.protocolId;
  out[6] = p.spi.length;
  out[7] = p.transforms.length;
  out.set(p.spi, PROPOSAL_HEADER);
  out.set(transforms, PROPOSAL_HEADER + p.spi.length);
  return out;
}

function encodeTransform(t: Transform, last: boolean): Uint8Array {
  const length = TRANSFORM_HEADER + (t.keyLength === undefined ? 0 : 4);
  const out = new Uint8Array(length);
  out[0] = last ? LAST : MORE_TRANSFORMS;
  writeU16(out, 2, length);
  out[4] = t.type;
  writeU16(out, 6, t.id);
  if (t.keyLength !== undefined) {
    writeU16(out, 8, 0x8000 | ATTR_KEY_LENGTH); // AF = 1: TV format
    writeU16(out, 10, t.keyLength);
  }
  return out;
}

export function decodeSaBody(body: Uint8Array): DecodeResult<Proposal[]> {
  const proposals: Proposal[] = [];
  let at = 0;
  if (body.length === 0) return fail('bad-syntax', 'SA payload without proposals');
  while (at < body.length) {
    if (body.length - at < PROPOSAL_HEADER) return fail('truncated', 'proposal header');
    const lastByte = body[at]!;
    const length = readU16(body, at + 2);
    if (length < PROPOSAL_HEADER || at + length > body.length) return fail('bad-length', `proposal length ${length}`);
    const end = at + length;
    if (lastByte !== LAST && lastByte !== MORE_PROPOSALS) return fail('bad-syntax', `proposal last-substruc ${lastByte}`);
    if ((lastByte === LAST) !== (end === body.length)) return fail('bad-length', 'proposal last-substruc disagrees with the payload length');
    const spiSize = body[at + 6]!;
    const count = body[at + 7]!;
    if (PROPOSAL_HEADER + spiSize > length) return fail('bad-length', 'proposal SPI');
    const spi = body.slice(at + PROPOSAL_HEADER, at + PROPOSAL_HEADER + spiSize);
    const transforms = decodeTransforms(body.subarray(at + PROPOSAL_HEADER + spiSize, end), count);
    if (!transforms.ok) return transforms;
    proposals.push({ number: body[at + 4]!, protocolId: body[at + 5]!, spi, transforms: transforms.value });
    at = end;
  }
  return { ok: true, value: proposals };
}

function decodeTransforms(b: Uint8Array, count: number): DecodeResult<Transform[]> {
  const out: Transform[] = [];
  let at = 0;
  while (at < b.length) {
    if (b.length - at < TRANSFORM_HEADER) return fail('truncated', 'transform header');
    const lastByte = b[at]!;
    const length = readU16(b, at + 2);
    if (length < TRANSFORM_HEADER || at + length > b.length) return fail('bad-length', `transform length ${length}`);
    const end = at + length;
    if (lastByte !== LAST && lastByte !== MORE_TRANSFORMS) return fail('bad-syntax', `transform last-substruc ${lastByte}`);
    if ((lastByte === LAST) !== (end === b.length)) return fail('bad-length', 'transform last-substruc disagrees with the proposal length');
    const t: Transform = { type: b[at + 4]!, id: readU16(b, at + 6) };
    const attrs = decodeAttributes(b.subarray(at + TRANSFORM_HEADER, end), t);
    if (!attrs.ok) return attrs;
    out.push(t);
    at = end;
  }
  if (out.length !== count) return fail('bad-syntax', `proposal announces ${count} transforms but holds ${out.length}`);
  return { ok: true, value: out };
}

function decodeAttributes(b: Uint8Array, t: Transform): DecodeResult<true> {
  let at = 0;
  while (at < b.length) {
    if (b.length - at < 4) return fail('truncated', 'transform attribute');
    const word = readU16(b, at);
    const tv = (word & 0x8000) !== 0;
    const type = word & 0x7fff;
    if (tv) {
      if (type === ATTR_KEY_LENGTH) t.keyLength = readU16(b, at + 2);
      else t.unknownAttribute = true;
      at += 4;
    } else {
      const length = readU16(b, at + 2);
      if (at + 4 + length > b.length) return fail('bad-length', 'TLV attribute');
      t.unknownAttribute = true; // Key Length is always TV; any TLV attribute is one we do not know
      at += 4 + length;
    }
  }
  return { ok: true, value: true };
}
