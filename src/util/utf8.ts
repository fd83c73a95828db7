/**
 * Strict UTF-8 decoding without TextDecoder (not every XS build has one): overlong forms,
 * surrogates, code points above U+10FFFF and truncated sequences are refused, so a string
 * that came from the wire is well-formed before anything compares, logs or stores it.
 */
import { err, ok, type Result } from './result.ts';

export function decodeUtf8(bytes: Uint8Array, options: { allowNull?: boolean } = {}): Result<string, 'bad-utf8'> {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let cp: number;
    let n: number; // continuation bytes
    if (b < 0x80) [cp, n] = [b, 0];
    else if (b >= 0xc2 && b <= 0xdf) [cp, n] = [b & 0x1f, 1];
    else if (b >= 0xe0 && b <= 0xef) [cp, n] = [b & 0x0f, 2];
    else if (b >= 0xf0 && b <= 0xf4) [cp, n] = [b & 0x07, 3];
    else return err('bad-utf8');
    if (i + n >= bytes.length && n > 0) return err('bad-utf8');
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) return err('bad-utf8');
      cp = (cp << 6) | (c & 0x3f);
    }
    if ((n === 2 && cp < 0x800) || (n === 3 && (cp < 0x10000 || cp > 0x10ffff))) return err('bad-utf8'); // overlong / too large
    if (cp >= 0xd800 && cp <= 0xdfff) return err('bad-utf8'); // surrogates are not characters
    if (cp === 0 && !options.allowNull) return err('bad-utf8');
    out += String.fromCodePoint(cp);
    i += n + 1;
  }
  return ok(out);
}

/** Whether a JS string encodes to well-formed UTF-8 (no lone surrogates). */
export function wellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}
