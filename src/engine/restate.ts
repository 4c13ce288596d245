/**
 * The rulebook's "Restatement": a published final fixing is recomputed as revision n+1 with
 * its reason; there must be a published fixing to restate (a first fixing is not a
 * restatement) and a reason.
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import { CiyuanError } from "../errors.ts";
import type { Signer } from "../signing/index.ts";
import { assertOnCalendar } from "./calendar.ts";
import { definitionAt } from "./definitions.ts";
import { computeFixing, type StoredFixing } from "./fixing.ts";

export async function restateFixing(
  db: Db,
  req: { index: string; at: string; reason: string; signer?: Signer | undefined; now?: Date | undefined },
): Promise<StoredFixing> {
  if (req.reason.trim() === "") throw new CiyuanError("bad_request", "a restatement needs a reason");
  // An unknown index is named as such, and a time off the calendar or in the future is
  // refused as such, even where no fixing exists.
  assertOnCalendar(await definitionAt(db, req.index, req.at), "final", req.at, req.now);
  const published = await rows(
    db,
    sql`SELECT 1 FROM fixings WHERE index_code = ${req.index} AND kind = 'final' AND fixing_time = ${req.at}::timestamptz LIMIT 1`,
  );
  if (published.length === 0) throw new CiyuanError("not_found", `no final fixing of ${req.index} at ${req.at} to restate`);
  // The new revision cascades to the finals chained from it and restates their settlements.
  return computeFixing(db, { index: req.index, at: req.at, kind: "final", reason: req.reason, signer: req.signer, now: req.now });
}
