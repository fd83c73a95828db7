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
  parse(raw: R): P;
}
