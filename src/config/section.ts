/**
 * One layer's share of the manifest `config`: its keys (flat, in manifest units: seconds,
 * bytes, counts, as a gateway admin writes them), their defaults and checks, and `parse`, which
 * turns the checked values into what the layer receives (milliseconds, address bytes, parsed
 * selectors). The one validator (src/config/validate.ts) composes every section; the build runs
 * it on the manifest and the hosts get its parsed result, so build time and run time cannot disagree.
 */

/** undefined when the value is fine, else the expected form ("an integer 1..10 seconds"). */
export type Check = (value: unknown) => string | undefined;

export interface Issues {
  error(message: string): void;
  warn(message: string): void;
}

export interface ConfigSection<R extends object, P> {
  /** Every key of the section with its default; keys listed in `required` have none. */
  readonly defaults: { readonly [K in keyof R]?: R[K] };
  readonly required?: readonly (keyof R & string)[];
  /** Keys whose values never enter a message (described by type and length only). */
  readonly secrets?: readonly (keyof R & string)[];
  /** A Check, or a list check that reports its own messages (one per bad entry). */
  readonly checks: { readonly [K in keyof R]: (value: unknown, key: string) => string | string[] | undefined };
  /** Rules across keys (after every single-key check passed). */
  cross?(raw: R, issues: Issues): void;
  /**
   * `raw` is the whole merged config at run time, typed as the section's share: take only what the
   * layer needs (`{ ...raw }` would keep a RAM copy of every key of every section; see ownKeys).
   */
  parse(raw: R): P;
}

/** The section's own keys of the merged config, for a layer that takes them as they are. */
export function ownKeys<R extends object>(raw: R, checks: { readonly [K in keyof R]: unknown }): R {
  const out: Partial<R> = {};
  for (const key of Object.keys(checks) as (keyof R)[]) out[key] = raw[key];
  return out as R;
}
