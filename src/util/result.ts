/**
 * The one result type of every parser and fallible step under src/: a value or the reason.
 * Bad wire input never throws; it yields `{ ok: false, error }` and the caller drops and counts it.
 */
export type Result<T, E = string> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });
