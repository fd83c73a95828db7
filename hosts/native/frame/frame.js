/*
 * ikelet/frame: the per-byte loops of PPP framing and the internet checksum in C (frame.c), for
 * builds made by Moddable's tools. The same exports as src/ppp/hdlc-bytes.ts and
 * src/ip/checksum-words.ts (the reference, with the documentation), which scripts/device-modules.ts
 * replaces with this module.
 */
export const SYNCED = 1;
export const ESCAPED = 2;
export const OVERFLOW = 4;

// `this` (undefined in a module) is passed through so xsc can bind the host function directly.
export function fcs16(bytes, fcs, start, end) { return native("xs_ikelet_frame_fcs16").call(this, bytes, fcs, start, end); }
export function fcs32(bytes, fcs, start, end) { return native("xs_ikelet_frame_fcs32").call(this, bytes, fcs, start, end); }
export function unescapeUntilFlag(bytes, from, frame, state) { return native("xs_ikelet_frame_unescape_until_flag").call(this, bytes, from, frame, state); }
export function escapedLength(bytes, accm) { return native("xs_ikelet_frame_escaped_length").call(this, bytes, accm); }
export function escapeInto(bytes, accm, out, at) { return native("xs_ikelet_frame_escape_into").call(this, bytes, accm, out, at); }
export function addWords(data, offset, length, acc) { return native("xs_ikelet_frame_add_words").call(this, data, offset, length, acc); }
