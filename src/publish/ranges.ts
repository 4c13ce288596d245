/** A `from`/`to` range as users write it: an empty range is a mistake worth naming, not an empty answer. */
import { CiyuanError } from "../errors.ts";
import { epochMillis, isDateOnly } from "./read/instants.ts";

/** Throws bad_request when `from` lies after `to` (a date `to` runs through the end of that day UTC). */
export function checkRangeOrder(from: string | undefined, to: string | undefined): void {
  if (from === undefined || to === undefined) return;
  const start = epochMillis(from);
  const empty = isDateOnly(to) ? start >= epochMillis(to) + 86_400_000 : start > epochMillis(to);
  if (empty) throw new CiyuanError("bad_request", `from (${from}) is after to (${to})`);
}
