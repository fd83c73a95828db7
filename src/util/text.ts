/**
 * Strings that came from the wire (peer identities, notify data, broker topics, HTTP headers)
 * go into logs and events only through printable(): control and non-ASCII characters escaped,
 * length bounded, so a hostile peer can neither forge log lines nor flood them.
 */
export function printable(text: string, max = 64): string {
  let out = '';
  for (const ch of text) {
    if (out.length >= max) return `${out}…`;
    const c = ch.codePointAt(0)!;
    out += c >= 0x20 && c < 0x7f && ch !== '\\' ? ch : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Bytes as printable text (Latin-1 view), for peer strings that are not known to be UTF-8. */
export function printableBytes(bytes: Uint8Array, max = 64): string {
  let s = '';
  for (let i = 0; i < bytes.length && i <= max; i++) s += String.fromCharCode(bytes[i]!);
  return printable(s, max);
}
