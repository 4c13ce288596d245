/**
 * The rulebook's "Settlement prices": a month's settlement price is the arithmetic mean of
 * the published (6-decimal) values of the index's final fixings whose fixing_time falls in
 * that calendar month in the index's fixing time zone, latest revision of each, an
 * insufficient fixing counting with the value it carries and one with no value left out;
 * rounded half-even to 6 decimals. It is provisional until the month's last scheduled
 * final fixing is published.
 *
 * Settled right after a final fixing commits, in a transaction of its own under the
 * (index, month) lock, so it sees every final of the month committed so far. Like fixings, settlements are never changed in place:
 * a different result is stored as revision n+1 with the fixing revisions it averaged.
 *
 * [1.1] Cut-off: at 16:00 (the index's final time) on the 5th calendar day of the next
 * month, in the index's zone, the latest revision becomes final: no revision is added
 * after it. A month with no settlement at all by then (a backfill of history) gets exactly
 * one, which is final as soon as it is stored. Coverage (expected, used, missing days) is
 * derived when a revision is read (publish/settlement-view.ts), since it depends on the clock.
 */
import { sql } from "drizzle-orm";
import { DateTime } from "luxon";
import { isoUtc, rows, type Db } from "../db/index.ts";
import { CiyuanError } from "../errors.ts";
import { settlementPayload, type Signer } from "../signing/index.ts";
import { roundHalfEven, roundRatio } from "./decimal.ts";
import type { IndexDefinition } from "./definitions.ts";
import { finalFixingTime } from "./schedule-times.ts";
import { recordKey } from "./seal.ts";

export type SettledFixing = { fixingId: string; fixingTime: string; revision: number };

export type StoredSettlement = {
  id: string;
  index: string;
  month: string;
  revision: number;
  value: string | null;
  provisional: boolean;
  fixings: SettledFixing[];
  reason: string;
  computedAt: string;
};

type SettlementDefinition = Pick<IndexDefinition, "code" | "fixingLocalTime" | "fixingTz">;

const MONTH = /^(?!0000)\d{4}-(0[1-9]|1[0-2])$/;

/** The cut-off of a month's settlement: the index's final time on the 5th day of the next month. */
export function settlementCutoff(def: Pick<IndexDefinition, "fixingLocalTime" | "fixingTz">, month: string): string {
  const fifth = DateTime.fromFormat(month, "yyyy-MM", { zone: "utc" }).plus({ months: 1 }).set({ day: 5 }).toISODate()!;
  return finalFixingTime(def, fifth);
}

/**
 * Restates the settlement of the month a just-stored final fixing falls in. Returns the new
 * settlement revision, or null when the month's result is the same as its latest one.
 */
export async function settleAfterFixing(
  db: Db,
  def: SettlementDefinition,
  fixingId: string,
  signer?: Signer,
  now?: Date,
): Promise<StoredSettlement | null> {
  return db.transaction((tx) => settleFixingMonth(tx, def, fixingId, signer, now));
}

async function settleFixingMonth(
  tx: Db,
  def: SettlementDefinition,
  fixingId: string,
  signer?: Signer,
  now?: Date,
): Promise<StoredSettlement | null> {
  const [f] = await rows<{ month: string; fixing_time: string; revision: number; reason: string }>(
    tx,
    sql`SELECT to_char(fixing_time AT TIME ZONE ${def.fixingTz}, 'YYYY-MM') AS month, fixing_time,
               revision::int AS revision, reason
        FROM fixings WHERE id = ${fixingId}::bigint AND kind = 'final'`,
  );
  if (!f) throw new Error(`final fixing ${fixingId} not found to settle`);
  const reason = `fixing ${isoUtc(f.fixing_time)} revision ${f.revision}: ${f.reason}`;
  return settleMonth(tx, def, { month: f.month, reason, signer, now });
}

type Candidate = {
  value: string | null;
  provisional: boolean;
  changed: boolean;
  fixing_id: string | null;
  fixing_time: string | null;
  revision: number | null;
};

export type SettleRequest = {
  month: string;
  reason: string;
  signer?: Signer | undefined;
  /** The moment of settling, compared with the cut-off (default: the clock). */
  now?: Date | undefined;
};

/**
 * Computes the month's settlement from the fixings stored now and stores it as a new
 * revision when value, provisional or the set of fixing revisions averaged differ from
 * the latest stored revision (null when nothing changed, or when the month is past its
 * cut-off and already settled). Call it inside a transaction.
 */
export async function settleMonth(tx: Db, def: SettlementDefinition, req: SettleRequest): Promise<StoredSettlement | null> {
  if (!MONTH.test(req.month)) throw new CiyuanError("bad_request", `not a month (YYYY-MM): ${JSON.stringify(req.month)}`);
  // Settlement revisions of one (index, month) are numbered one writer at a time, and the
  // writer that waited sees the fixings the one before it committed. The two-key lock space
  // is separate from the one-key space the fixing lock uses.
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('ciyuan settlement'), hashtext(${`${def.code}|${req.month}`}))`);
  const now = req.now ?? new Date();
  if (now.getTime() >= Date.parse(settlementCutoff(def, req.month))) {
    // Past the cut-off the settlement is final: a restated fixing gets its revision as usual
    // and the settlement names it (restated_after_cutoff) without changing.
    const settled = await rows(tx, sql`SELECT 1 FROM settlements WHERE index_code = ${def.code} AND month = ${req.month} LIMIT 1`);
    if (settled.length > 0) return null;
  }
  const lastFixing = finalFixingTime(def, lastDayOf(req.month));
  // One row per averaged fixing (oldest first), each carrying the month's result; a single
  // row with null fixing columns when no fixing of the month has a value.
  const found = await rows<Candidate>(
    tx,
    sql`
    WITH bounds AS (
      SELECT (${req.month} || '-01')::timestamp AT TIME ZONE ${def.fixingTz} AS starts,
             ((${req.month} || '-01')::timestamp + interval '1 month') AT TIME ZONE ${def.fixingTz} AS ends
    ), latest AS (
      SELECT DISTINCT ON (f.fixing_time) f.id, f.fixing_time, f.revision, f.value
      FROM fixings f, bounds b
      WHERE f.index_code = ${def.code} AND f.kind = 'final' AND f.fixing_time >= b.starts AND f.fixing_time < b.ends
      ORDER BY f.fixing_time, f.revision DESC
    ), averaged AS (
      SELECT id, fixing_time, revision, ${roundHalfEven(sql`value`, 6)} AS value FROM latest WHERE value IS NOT NULL
    ), result AS (
      SELECT ${roundRatio(sql`sum(value)`, sql`nullif(count(*), 0)`, 6)} AS value,
             NOT EXISTS (SELECT 1 FROM fixings WHERE index_code = ${def.code} AND kind = 'final'
                                                 AND fixing_time = ${lastFixing}::timestamptz) AS provisional,
             coalesce(array_agg(id ORDER BY id), '{}'::bigint[]) AS ids
      FROM averaged
    ), previous AS (
      SELECT s.value, s.provisional,
             coalesce((SELECT array_agg(sf.fixing_id ORDER BY sf.fixing_id) FROM settlement_fixings sf
                       WHERE sf.settlement_id = s.id), '{}'::bigint[]) AS ids
      FROM settlements s
      WHERE s.index_code = ${def.code} AND s.month = ${req.month}
      ORDER BY s.revision DESC
      LIMIT 1
    )
    SELECT r.value::text AS value, r.provisional,
           NOT EXISTS (SELECT 1 FROM previous p WHERE p.value IS NOT DISTINCT FROM r.value
                         AND p.provisional = r.provisional AND p.ids = r.ids) AS changed,
           a.id::text AS fixing_id, a.fixing_time, a.revision::int AS revision
    FROM result r LEFT JOIN averaged a ON true
    ORDER BY a.fixing_time`,
  );
  const head = found[0]!;
  if (!head.changed) return null;
  const fixings: SettledFixing[] = found
    .filter((r) => r.fixing_id !== null)
    .map((r) => ({ fixingId: r.fixing_id!, fixingTime: isoUtc(r.fixing_time!), revision: r.revision! }));
  return store(tx, def, req, { value: head.value, provisional: head.provisional, fixings });
}

async function store(
  tx: Db,
  def: SettlementDefinition,
  req: SettleRequest,
  s: { value: string | null; provisional: boolean; fixings: SettledFixing[] },
): Promise<StoredSettlement> {
  let signature: { kid: string; sig: string } | null = null;
  if (req.signer) {
    const text = settlementPayload({ index: def.code, month: req.month, value: s.value, provisional: s.provisional, fixings: s.fixings });
    signature = { kid: req.signer.kid, sig: req.signer.sign(text) };
    await recordKey(tx, req.signer);
  }
  const [row] = await rows<{ id: string; revision: number; computed_at: string }>(
    tx,
    sql`
    INSERT INTO settlements (index_code, month, revision, value, provisional, fixing_count, reason, kid, sig)
    SELECT ${def.code}, ${req.month}, coalesce(max(revision), 0) + 1, ${s.value}::numeric, ${s.provisional},
           ${s.fixings.length}, ${req.reason}, ${signature?.kid ?? null}, ${signature?.sig ?? null}
    FROM settlements
    WHERE index_code = ${def.code} AND month = ${req.month}
    RETURNING id::text, revision::int AS revision, computed_at`,
  );
  const id = row!.id;
  if (s.fixings.length > 0) {
    const ids = `{${s.fixings.map((f) => f.fixingId).join(",")}}`;
    await tx.execute(sql`INSERT INTO settlement_fixings (settlement_id, fixing_id) SELECT ${id}::bigint, unnest(${ids}::bigint[])`);
  }
  return {
    id,
    index: def.code,
    month: req.month,
    revision: row!.revision,
    value: s.value,
    provisional: s.provisional,
    fixings: s.fixings,
    reason: req.reason,
    computedAt: isoUtc(row!.computed_at),
  };
}

/** The last calendar day (YYYY-MM-DD) of a month given as YYYY-MM. */
function lastDayOf(month: string): string {
  return DateTime.fromFormat(month, "yyyy-MM", { zone: "utc" }).endOf("month").toISODate()!;
}
