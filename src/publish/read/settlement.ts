/**
 * A published monthly settlement price: one stored revision read back with the fixing
 * revisions it averaged, and its signature. Numbers leave the database as 6-decimal text and
 * are written into the JSON digit for digit.
 */
import { sql, type SQL } from "drizzle-orm";
import { DateTime } from "luxon";
import { isoUtc, rows, type Db } from "../../db/index.ts";
import { datesBetween, finalFixingTime } from "../../engine/schedule-times.ts";
import { settlementCutoff } from "../../engine/settlement.ts";
import { CiyuanError } from "../../errors.ts";
import { ALG, settlementPayload, type Signer } from "../../signing/index.ts";
import { parseInstant } from "./instants.ts";

export type SettlementQuery = {
  index: string;
  month: string; // YYYY-MM
  revision?: number | undefined;
  /** ISO 8601 instant: the revision current then (highest revision computed at or before it). */
  asOf?: string | undefined;
  /** The moment coverage and the cut-off are judged at (default: the clock). */
  now?: Date | undefined;
};

/**
 * [1.1] Coverage and cut-off, derived from the revision's fixings and the clock: a day is
 * expected once its final fixing time has passed; `complete` once the month is over with no
 * day missing; `final` from the cut-off on, for the latest revision (no revision is added
 * after it); `restated_after_cutoff` lists the averaged fixings restated since.
 */
export type SettlementCoverage = {
  fixingsExpected: number;
  fixingsUsed: number;
  /** Calendar days (YYYY-MM-DD, index zone) expected but without a final fixing averaged. */
  fixingsMissing: string[];
  complete: boolean;
  cutoff: string;
  final: boolean;
  restatedAfterCutoff: { fixingTime: string; settledRevision: number; revision: number }[];
};

export type SettlementFixingView = { fixingTime: string; revision: number; value: string; status: "ok" | "insufficient" };

export type SettlementView = {
  id: string;
  index: string;
  month: string;
  value: string | null;
  provisional: boolean;
  revision: number;
  computedAt: string;
  reason: string;
  fixings: SettlementFixingView[];
  /** The signature stored when the revision was computed; null for one stored unsigned. */
  signature: { kid: string; sig: string } | null;
  coverage: SettlementCoverage;
};

type SettlementRow = {
  id: string;
  index_code: string;
  month: string;
  value: string | null;
  provisional: boolean;
  revision: number;
  computed_at: string;
  reason: string;
  kid: string | null;
  sig: string | null;
};

/** One settlement revision: the latest, or `revision`, or the one current at `asOf`; null when none. */
export async function loadSettlement(db: Db, q: SettlementQuery): Promise<SettlementView | null> {
  const conditions: SQL[] = [sql`s.index_code = ${q.index}`, sql`s.month = ${q.month}`];
  if (q.revision !== undefined) conditions.push(sql`s.revision = ${q.revision}`);
  if (q.asOf !== undefined) {
    const asOf = parseInstant(q.asOf);
    if (asOf === null) throw new CiyuanError("bad_request", `as_of: not an ISO 8601 instant with offset: ${JSON.stringify(q.asOf)}`);
    conditions.push(sql`s.computed_at <= ${asOf}::timestamptz`);
  }
  const [row] = await rows<SettlementRow>(
    db,
    sql`SELECT s.id::text AS id, s.index_code, s.month, round_half_even(s.value, 6)::text AS value, s.provisional,
               s.revision::int AS revision, s.computed_at, s.reason, s.kid, s.sig
        FROM settlements s
        WHERE ${sql.join(conditions, sql` AND `)}
        ORDER BY s.revision DESC
        LIMIT 1`,
  );
  if (!row) return null;
  const fixings = await rows<{ fixing_time: string; revision: number; value: string; status: "ok" | "insufficient"; latest_revision: number }>(
    db,
    sql`SELECT f.fixing_time, f.revision::int AS revision, round_half_even(f.value, 6)::text AS value, f.status,
               (SELECT max(l.revision)::int FROM fixings l
                WHERE l.index_code = f.index_code AND l.kind = 'final' AND l.fixing_time = f.fixing_time) AS latest_revision
        FROM settlement_fixings sf JOIN fixings f ON f.id = sf.fixing_id
        WHERE sf.settlement_id = ${row.id}::bigint
        ORDER BY f.fixing_time`,
  );
  const [calendar] = await rows<{ fixing_local_time: string; fixing_tz: string; latest: boolean }>(
    db,
    sql`SELECT d.fixing_local_time, d.fixing_tz,
               NOT EXISTS (SELECT 1 FROM settlements s WHERE s.index_code = ${row.index_code} AND s.month = ${row.month}
                             AND s.revision > ${row.revision}) AS latest
        FROM index_definitions d WHERE d.code = ${row.index_code}
        ORDER BY (d.valid_from <= ((${row.month} || '-01')::date + interval '1 month'))::int DESC, d.version DESC LIMIT 1`,
  );
  const def = { fixingLocalTime: calendar!.fixing_local_time, fixingTz: calendar!.fixing_tz };
  const coverage = settlementCoverage(def, row.month, q.now ?? new Date(), calendar!.latest, fixings.map((f) => ({
    fixingTime: isoUtc(f.fixing_time),
    revision: f.revision,
    latestRevision: f.latest_revision,
  })));
  return {
    id: row.id,
    index: row.index_code,
    month: row.month,
    value: row.value,
    provisional: row.provisional,
    revision: row.revision,
    computedAt: isoUtc(row.computed_at),
    reason: row.reason,
    fixings: fixings.map((f) => ({ fixingTime: isoUtc(f.fixing_time), revision: f.revision, value: f.value, status: f.status })),
    signature: row.kid === null || row.sig === null ? null : { kid: row.kid, sig: row.sig },
    coverage,
  };
}

/** Coverage of one settlement revision at `now` (see SettlementCoverage). */
export function settlementCoverage(
  def: { fixingLocalTime: string; fixingTz: string },
  month: string,
  now: Date,
  latestRevision: boolean,
  fixings: { fixingTime: string; revision: number; latestRevision: number }[],
): SettlementCoverage {
  const first = DateTime.fromFormat(month, "yyyy-MM", { zone: "utc" });
  const days = datesBetween(first.toISODate()!, first.endOf("month").toISODate()!);
  const expected = days.filter((d) => Date.parse(finalFixingTime(def, d)) <= now.getTime());
  const used = new Set(fixings.map((f) => DateTime.fromISO(f.fixingTime, { zone: def.fixingTz }).toISODate()));
  const missing = expected.filter((d) => !used.has(d));
  const monthOver = now.getTime() >= DateTime.fromFormat(month, "yyyy-MM", { zone: def.fixingTz }).plus({ months: 1 }).toMillis();
  const cutoff = settlementCutoff(def, month);
  const final = latestRevision && now.getTime() >= Date.parse(cutoff);
  return {
    fixingsExpected: expected.length,
    fixingsUsed: fixings.length,
    fixingsMissing: missing,
    complete: monthOver && missing.length === 0,
    cutoff,
    final,
    restatedAfterCutoff: final
      ? fixings
          .filter((f) => f.latestRevision > f.revision)
          .map((f) => ({ fixingTime: f.fixingTime, settledRevision: f.revision, revision: f.latestRevision }))
      : [],
  };
}

/**
 * The settlement's signature: the one stored with it; for a revision stored unsigned, the
 * signer's over the same ciyuan-settlement/1 text (Ed25519 is deterministic).
 */
export function settlementSignature(view: SettlementView, signer?: Signer): { kid: string; alg: string; sig: string } | null {
  if (view.signature) return { kid: view.signature.kid, alg: ALG, sig: view.signature.sig };
  if (!signer) return null;
  return { kid: signer.kid, alg: ALG, sig: signer.sign(settlementPayload(view)) };
}
