/**
 * Price versus mix (operations-and-users.md section 8): how much of an index's move between
 * two final fixings came from listed prices (the level: the basket is frozen between
 * fixings) and how much from the usage mix (the value moves with weights, entries and
 * exits; the level does not).
 *
 *   value_change_pct = value_to / value_from - 1
 *   price_effect_pct = level_to / level_from - 1
 *   mix_effect_pct   = (value_to / value_from) / (level_to / level_from) - 1
 *
 * Computed in SQL numeric from the published numbers (value and level rounded half-even to
 * 6 dp, as every route publishes them), each ratio kept as numerator over denominator and
 * rounded once with round_ratio_half_even (migrations 0006/0008), so the half-even decision
 * is exact: a - b over b for the first two, vt x lf - vf x lt over vf x lt for the mix.
 * Nothing passes through a JS number.
 */
import { sql, type SQL } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../../db/index.ts";
import { CiyuanError } from "../../errors.ts";
import { isDateOnly, parseInstant } from "./instants.ts";

export type AttributionQuery = {
  index: string;
  /** ISO date or instant; absent: from the index's first final fixing. A date starts at 00:00 UTC. */
  from?: string | undefined;
  /** ISO date or instant; absent: up to the latest final fixing. A date runs through the end of that day UTC. */
  to?: string | undefined;
};

export type Attribution = {
  index: string;
  /** The first final fixing in the range whose latest revision is `ok` (ISO UTC). */
  fromFixing: string;
  fromRevision: number;
  /** The last final fixing in the range whose latest revision is `ok` (ISO UTC). */
  toFixing: string;
  toRevision: number;
  /** Published decimal text, 6 dp. */
  valueFrom: string;
  valueTo: string;
  levelFrom: string;
  levelTo: string;
  /** Fractions (not percent points), rounded half-even to 6 dp. */
  valueChangePct: string;
  priceEffectPct: string;
  mixEffectPct: string;
};

type Row = {
  from_time: string;
  from_revision: number;
  to_time: string;
  to_revision: number;
  value_from: string;
  value_to: string;
  level_from: string;
  level_to: string;
  value_change_pct: string;
  price_effect_pct: string;
  mix_effect_pct: string;
};

function instant(name: string, text: string): string {
  const parsed = parseInstant(text);
  if (parsed === null) throw new CiyuanError("bad_request", `${name}: not an ISO 8601 instant with offset: ${JSON.stringify(text)}`);
  return parsed;
}

// The same range rules as GET /v1/indices/{code}/fixings (views.ts), so one from/to pair
// names the same fixings on both routes.
function rangeConditions(q: AttributionQuery): SQL[] {
  const conditions: SQL[] = [sql`f.index_code = ${q.index}`, sql`f.kind = 'final'`];
  if (q.from !== undefined) {
    conditions.push(
      isDateOnly(q.from)
        ? sql`f.fixing_time >= (${q.from}::date::timestamp AT TIME ZONE 'UTC')`
        : sql`f.fixing_time >= ${instant("from", q.from)}::timestamptz`,
    );
  }
  if (q.to !== undefined) {
    conditions.push(
      isDateOnly(q.to)
        ? sql`f.fixing_time < ((${q.to}::date + 1)::timestamp AT TIME ZONE 'UTC')`
        : sql`f.fixing_time <= ${instant("to", q.to)}::timestamptz`,
    );
  }
  return conditions;
}

/**
 * The attribution between the first and the last final `ok` fixing in [from, to], judged on
 * the latest revision of each fixing (a fixing restated to insufficient is skipped; one
 * restated to ok counts). Null when the range holds none; the caller knows the index exists.
 */
export async function loadAttribution(db: Db, q: AttributionQuery): Promise<Attribution | null> {
  const [row] = await rows<Row>(
    db,
    sql`WITH latest AS (
          SELECT DISTINCT ON (f.fixing_time) f.fixing_time, f.revision, f.status,
                 round_half_even(f.value, 6) AS value, round_half_even(f.level, 6) AS level
          FROM fixings f
          WHERE ${sql.join(rangeConditions(q), sql` AND `)}
          ORDER BY f.fixing_time, f.revision DESC
        ),
        ok AS (SELECT * FROM latest WHERE status = 'ok' AND value IS NOT NULL AND level IS NOT NULL),
        a AS (SELECT * FROM ok ORDER BY fixing_time LIMIT 1),
        b AS (SELECT * FROM ok ORDER BY fixing_time DESC LIMIT 1)
        SELECT a.fixing_time AS from_time, a.revision::int AS from_revision,
               b.fixing_time AS to_time, b.revision::int AS to_revision,
               a.value::text AS value_from, b.value::text AS value_to,
               a.level::text AS level_from, b.level::text AS level_to,
               round_ratio_half_even(b.value - a.value, a.value, 6)::text AS value_change_pct,
               round_ratio_half_even(b.level - a.level, a.level, 6)::text AS price_effect_pct,
               round_ratio_half_even(b.value * a.level - a.value * b.level, a.value * b.level, 6)::text AS mix_effect_pct
        FROM a CROSS JOIN b`,
  );
  if (!row) return null;
  return {
    index: q.index,
    fromFixing: isoUtc(row.from_time),
    fromRevision: row.from_revision,
    toFixing: isoUtc(row.to_time),
    toRevision: row.to_revision,
    valueFrom: row.value_from,
    valueTo: row.value_to,
    levelFrom: row.level_from,
    levelTo: row.level_to,
    valueChangePct: row.value_change_pct,
    priceEffectPct: row.price_effect_pct,
    mixEffectPct: row.mix_effect_pct,
  };
}
