/** Deadlines are absolute monotonic milliseconds; undefined means "no turn needed". */

/** The earliest of several optional deadlines (undefined = none). */
export function earliest(...deadlines: Array<number | undefined>): number | undefined {
  let at: number | undefined;
  for (const d of deadlines) if (d !== undefined && (at === undefined || d < at)) at = d;
  return at;
}

/** Whether an optional deadline has come. */
export const due = (at: number | undefined, now: number): at is number => at !== undefined && now >= at;
