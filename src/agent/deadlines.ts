/** The earliest of several optional deadlines (undefined = none). */
export function earliest(...deadlines: Array<number | undefined>): number | undefined {
  let at: number | undefined;
  for (const d of deadlines) if (d !== undefined && (at === undefined || d < at)) at = d;
  return at;
}
