import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import { requireIndex } from "../publish/read/indices.ts";
import { printFixing } from "./print.ts";
import { withDatabase } from "./context.ts";

/** `ciyuan show`: the latest final fixing (or the one at --at, or the indicative one) as JSON. */
export async function show(opts: { index: string; at?: string; indicative?: boolean }): Promise<void> {
  await withDatabase(async ({ db }) => {
    await requireIndex(db, opts.index);
    const at = opts.at !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(opts.at) ? await finalOfDay(db, opts.index, opts.at) : opts.at;
    await printFixing(db, { index: opts.index, fixingTime: at, kind: opts.indicative ? "indicative" : "final" });
  });
}

/**
 * A date alone: the final fixing stored for that calendar day in its index's time zone
 * (looked up, so that `show` loads no engine); the date itself when there is none, which
 * then reads "no final fixing of CODE at DATE".
 */
async function finalOfDay(db: Db, index: string, date: string): Promise<string> {
  const [row] = await rows<{ at: string }>(
    db,
    sql`SELECT to_char(f.fixing_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at
        FROM fixings f JOIN index_definitions d ON d.code = f.index_code AND d.version = f.definition_version
        WHERE f.index_code = ${index} AND f.kind = 'final' AND (f.fixing_time AT TIME ZONE d.fixing_tz)::date = ${date}::date
        ORDER BY f.fixing_time LIMIT 1`,
  );
  return row?.at ?? date;
}
