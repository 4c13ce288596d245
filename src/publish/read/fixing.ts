/** One fixing revision, with its constituents and exclusions on request. */
import { sql, type SQL } from "drizzle-orm";
import { rows, type Db } from "../../db/index.ts";
import { FIXING_COLUMNS, FIXING_FROM, instantParam, toView, type ConstituentView, type ExclusionView, type FixingKind, type FixingRow, type FixingView } from "./fixing-row.ts";

export type FixingQuery = {
  index: string;
  kind?: FixingKind;
  /** ISO 8601 instant with offset; absent: the latest fixing of that kind. */
  fixingTime?: string;
  revision?: number;
  /** ISO 8601 instant: the revision current then (highest revision computed at or before it). */
  asOf?: string;
};

/**
 * One fixing revision. Without `fixingTime`, the latest fixing of that kind (as known at
 * `asOf` when given); the latest revision unless `revision` or `asOf` says otherwise.
 * Null when there is none.
 */
export async function loadFixing(db: Db, q: FixingQuery & { details: boolean }): Promise<FixingView | null> {
  const kind = q.kind ?? "final";
  const asOf = q.asOf === undefined ? undefined : instantParam("as_of", q.asOf);
  const known = asOf === undefined ? sql`` : sql` AND computed_at <= ${asOf}::timestamptz`;
  const time =
    q.fixingTime === undefined
      ? sql`(SELECT max(fixing_time) FROM fixings WHERE index_code = ${q.index} AND kind = ${kind}${known})`
      : sql`${instantParam("fixing_time", q.fixingTime)}::timestamptz`;
  const conditions: SQL[] = [sql`f.index_code = ${q.index}`, sql`f.kind = ${kind}`, sql`f.fixing_time = ${time}`];
  if (q.revision !== undefined) conditions.push(sql`f.revision = ${q.revision}`);
  if (asOf !== undefined) conditions.push(sql`f.computed_at <= ${asOf}::timestamptz`);
  const [row] = await rows<FixingRow>(
    db,
    sql`SELECT ${FIXING_COLUMNS} FROM ${FIXING_FROM} WHERE ${sql.join(conditions, sql` AND `)}
        ORDER BY f.revision DESC LIMIT 1`,
  );
  if (!row) return null;
  const view = toView(row);
  if (q.details) {
    view.constituents = await loadConstituents(db, view.id);
    view.exclusions = await loadExclusions(db, view.id);
  }
  return view;
}

type ConstituentRow = {
  provider: string;
  model: string;
  weight: string;
  price: string;
  input_price: string;
  output_price: string;
  input_tokens: string;
  cached_input_tokens: string;
  output_tokens: string;
  capped: boolean;
  held: string[];
  sheet_id: string;
  origins: string[] | null;
  estimated: boolean | null;
};

// Ordering by the exact weight (not its rounded text), ties by name in byte order so both
// engines agree whatever their default collation.
async function loadConstituents(db: Db, fixingId: string): Promise<ConstituentView[]> {
  const found = await rows<ConstituentRow>(
    db,
    sql`SELECT fc.provider, fc.model,
          round_half_even(fc.weight, 8)::text AS weight,
          round_half_even(fc.price, 6)::text AS price,
          round_half_even(fc.input_price, 6)::text AS input_price,
          round_half_even(fc.output_price, 6)::text AS output_price,
          fc.input_tokens::text AS input_tokens,
          fc.cached_input_tokens::text AS cached_input_tokens,
          fc.output_tokens::text AS output_tokens,
          fc.capped, to_jsonb(fc.held) AS held, fc.sheet_id::text AS sheet_id,
          to_jsonb(fc.origins) AS origins, fc.estimated
        FROM fixing_constituents fc
        WHERE fc.fixing_id = ${fixingId}::bigint
        ORDER BY fc.weight DESC, fc.provider COLLATE "C", fc.model COLLATE "C"`,
  );
  return found.map((r) => ({
    provider: r.provider,
    model: r.model,
    weight: r.weight,
    price: r.price,
    inputPrice: r.input_price,
    outputPrice: r.output_price,
    inputTokens: r.input_tokens,
    cachedInputTokens: r.cached_input_tokens,
    outputTokens: r.output_tokens,
    capped: r.capped,
    held: r.held,
    sheetId: r.sheet_id,
    origins: r.origins,
    estimated: r.estimated,
  }));
}

async function loadExclusions(db: Db, fixingId: string): Promise<ExclusionView[]> {
  return rows<ExclusionView>(
    db,
    sql`SELECT fe.provider, fe.model, fe.reason FROM fixing_exclusions fe
        WHERE fe.fixing_id = ${fixingId}::bigint
        ORDER BY fe.provider COLLATE "C", fe.model COLLATE "C"`,
  );
}

/** One fixing revision by its id, without constituents; null when there is none. */
export async function fixingById(db: Db, id: string): Promise<FixingView | null> {
  const [row] = await rows<FixingRow>(db, sql`SELECT ${FIXING_COLUMNS} FROM ${FIXING_FROM} WHERE f.id = ${id}::bigint`);
  return row ? toView(row) : null;
}
