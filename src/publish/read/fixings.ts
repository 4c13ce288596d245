/** Fixings of an index over a range, every revision of one fixing, and the feed the stream replays. */
import { sql, type SQL } from "drizzle-orm";
import { rows, type Db } from "../../db/index.ts";
import { FIXING_COLUMNS, FIXING_FROM, instantParam, rangeConditions, toView, type FixingKind, type FixingRange, type FixingRow, type FixingView } from "./fixing-row.ts";

const PAGE = 500;

/**
 * Fixings of one index in [from, to], oldest first, the latest revision of each. `from`
 * and `to` are instants or dates (a date `from` starts at 00:00 UTC; a date `to` runs
 * through the end of that day UTC). Read in pages, so a long range is never held in
 * memory at once.
 */
export async function* listFixings(db: Db, q: FixingRange): AsyncGenerator<FixingView> {
  const conditions = rangeConditions(q);
  let after: string | null = null;
  for (;;) {
    const page: FixingRow[] = await rows<FixingRow>(
      db,
      sql`SELECT DISTINCT ON (f.fixing_time) ${FIXING_COLUMNS} FROM ${FIXING_FROM}
          WHERE ${sql.join(conditions, sql` AND `)}
            ${after === null ? sql`` : sql`AND f.fixing_time > ${after}::timestamptz`}
          ORDER BY f.fixing_time, f.revision DESC
          LIMIT ${PAGE}`,
    );
    for (const r of page) yield toView(r);
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.fixing_time;
  }
}

/**
 * What the fixings of a range (as listFixings reads them) depend on, cheaply: fixing rows
 * and signatures are only ever added, so their count and highest id change whenever the
 * list could. An ETag for the range, without building it.
 */
export async function fixingRangeFingerprint(db: Db, q: FixingRange): Promise<string> {
  const [row] = await rows<{ revisions: string; max_id: string | null; signatures: string }>(
    db,
    sql`SELECT count(DISTINCT f.id)::text AS revisions, max(f.id)::text AS max_id, count(s.fixing_id)::text AS signatures
        FROM fixings f LEFT JOIN fixing_signatures s ON s.fixing_id = f.id
        WHERE ${sql.join(rangeConditions(q), sql` AND `)}`,
  );
  return `${row!.revisions}/${row!.max_id ?? 0}/${row!.signatures}`;
}

/** Every revision of one fixing, oldest first, without constituents; empty when there is none. */
export async function listRevisions(db: Db, q: { index: string; kind?: FixingKind; fixingTime: string }): Promise<FixingView[]> {
  const found = await rows<FixingRow>(
    db,
    sql`SELECT ${FIXING_COLUMNS} FROM ${FIXING_FROM}
        WHERE f.index_code = ${q.index} AND f.kind = ${q.kind ?? "final"}
          AND f.fixing_time = ${instantParam("fixing_time", q.fixingTime)}::timestamptz
        ORDER BY f.revision`,
  );
  return found.map(toView);
}

export type FixingFeed = { afterId: string; index?: string | undefined; kind?: FixingKind | undefined; limit: number };

/** Fixing revisions (every kind, every revision) stored after `afterId`, in id order: what /v1/stream replays. */
export async function fixingsAfter(db: Db, q: FixingFeed): Promise<FixingView[]> {
  const conditions: SQL[] = [sql`f.id > ${q.afterId}::bigint`];
  if (q.index !== undefined) conditions.push(sql`f.index_code = ${q.index}`);
  if (q.kind !== undefined) conditions.push(sql`f.kind = ${q.kind}`);
  const found = await rows<FixingRow>(
    db,
    sql`SELECT ${FIXING_COLUMNS} FROM ${FIXING_FROM} WHERE ${sql.join(conditions, sql` AND `)} ORDER BY f.id LIMIT ${q.limit}`,
  );
  return found.map(toView);
}
