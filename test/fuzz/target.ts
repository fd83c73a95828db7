/** What a fuzz target is: how to build its state, make an input, feed it, and what must hold after. */
import type { Rand } from './rand.ts';

/**
 * Inputs come in episodes: a fresh state every `episode` inputs, made from the episode's own
 * generator, so input i is replayed by building its episode's state and feeding the inputs before it.
 * Stateless parsers keep no state worth the name and use long episodes.
 */
export interface FuzzTarget<S, I> {
  readonly name: string;
  /** One line: what is fed and what must hold. */
  readonly about: string;
  readonly episode: number;
  /** Most bytes `retained(state)` may hold at any time (see retained.ts); default 256 KiB. */
  readonly retainedLimit?: number;
  /** Most bytes one input may allocate (see runner.ts); default 1 MiB. */
  readonly allocationLimit?: number;
  setup(rand: Rand): S;
  /** Makes one input; may look at the state (what the layer just sent) to answer it as a peer would. Not timed. */
  make(rand: Rand, state: S): I;
  /** Hands the input to the code under test; timed. Throws only if the code under test throws (or a Violation). */
  feed(state: S, input: I): void;
  /** Invariants after the input (throws Violation); then any untimed work of the harness (a peer's answers). */
  check?(state: S, input: I): void;
  /** The layer's own state, whose size is bounded by retainedLimit. */
  retained?(state: S): unknown;
  /** Harness objects reachable from it that are not the layer's (fake sockets, clocks): not counted. */
  retainedSkip?(state: S): readonly object[];
  /** Invariants at the end of an episode (liveness: the layer still recovers). */
  end?(state: S): void;
  /** A coverage label after each input (a phase, an outcome), counted in the report. */
  label?(state: S, input: I): string;
  /** The input for a report: hex and what it was made from. */
  show(input: I): string;
}

/** A property of the target that did not hold (as opposed to an exception from the code under test). */
export class Violation extends Error {
  override name = 'Violation';
}

export function violated(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Violation(message);
}

export type AnyTarget = FuzzTarget<unknown, unknown>;

/** Registers a typed target in the untyped registry. */
export function fuzzTarget<S, I>(t: FuzzTarget<S, I>): AnyTarget {
  return t as unknown as AnyTarget;
}
