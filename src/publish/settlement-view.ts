/**
 * A published monthly settlement price: one stored revision read back with the fixing
 * revisions it averaged, and its JSON. Numbers leave the database as 6-decimal text and
 * are written into the JSON digit for digit.
 */
import { sql, type SQL } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../db/index.ts";
import { CiyuanError } from "../errors.ts";
import { ALG, settlementPayload, type Signer } from "../signing/index.ts";
import { parseInstant } from "./instants.ts";
import { exact } from "./json.ts";

export type SettlementQuery = {
  index: string;
  month: string; // YYYY-MM
  revision?: number | undefined;
  /** ISO 8601 instant: the revision current then (highest revision computed at or before it). */
  asOf?: string | undefined;
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
  const fixings = await rows<{ fixing_time: string; revision: number; value: string; status: "ok" | "insufficient" }>(
    db,
    sql`SELECT f.fixing_time, f.revision::int AS revision, round_half_even(f.value, 6)::text AS value, f.status
        FROM settlement_fixings sf JOIN fixings f ON f.id = sf.fixing_id
        WHERE sf.settlement_id = ${row.id}::bigint
        ORDER BY f.fixing_time`,
  );
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

/** The published settlement object. */
export function settlementJson(view: SettlementView, signer?: Signer): object {
  return {
    index: view.index,
    month: view.month,
    value: exact(view.value),
    provisional: view.provisional,
    revision: view.revision,
    computed_at: view.computedAt,
    reason: view.reason,
    fixings: view.fixings.map((f) => ({
      fixing_time: f.fixingTime,
      revision: f.revision,
      value: exact(f.value),
      status: f.status,
    })),
    signature: settlementSignature(view, signer),
  };
}
