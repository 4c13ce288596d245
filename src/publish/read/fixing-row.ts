/**
 * A stored fixing revision as every read of fixings shapes it: the published columns (rounded
 * half-even in SQL: 6 dp for values, levels and percentiles) and the typed view built from
 * them. fixing.ts and fixings.ts select with these; nothing else knows the row.
 */
import { sql, type SQL } from "drizzle-orm";
import { isoUtc } from "../../db/index.ts";
import type { StoredCoverage } from "../../engine/coverage.ts";
import { CiyuanError } from "../../errors.ts";
import { isDateOnly, parseInstant } from "./instants.ts";

export type FixingKind = "final" | "indicative";

export type ConstituentView = {
  provider: string;
  model: string;
  weight: string;
  price: string;
  inputPrice: string;
  outputPrice: string;
  inputTokens: string;
  cachedInputTokens: string;
  outputTokens: string;
  capped: boolean;
  held: string[];
  sheetId: string;
  /** Null for a fixing stored before origins were kept. */
  origins: string[] | null;
  estimated: boolean | null;
};

export type ExclusionView = { provider: string; model: string; reason: string };

export type FixingView = {
  id: string;
  index: string;
  fixingTime: string;
  kind: FixingKind;
  status: "ok" | "insufficient";
  value: string | null;
  level: string | null;
  p25: string | null;
  p50: string | null;
  p75: string | null;
  currency: string;
  methodologyVersion: string;
  revision: number;
  computedAt: string;
  inputsSha256: string;
  reason: string;
  constituentCount: number;
  providerCount: number;
  /** Insufficient fixings: the ok fixing whose value and level they carry. */
  carriedFrom: { fixingTime: string; revision: number } | null;
  /** The signature stored when the revision was computed (the first key's, if several). */
  signature: { kid: string; sig: string } | null;
  dataOrigin: "sample" | "real";
  /** Null for a fixing stored before coverage was kept. */
  coverage: StoredCoverage | null;
  constituents?: ConstituentView[];
  exclusions?: ExclusionView[];
};

export type FixingRow = {
  id: string;
  index_code: string;
  fixing_time: string;
  kind: FixingKind;
  status: "ok" | "insufficient";
  value: string | null;
  level: string | null;
  p25: string | null;
  p50: string | null;
  p75: string | null;
  currency: string;
  methodology_version: string;
  revision: number;
  computed_at: string;
  inputs_sha256: string;
  reason: string;
  constituent_count: number;
  provider_count: number;
  carried_fixing_time: string | null;
  carried_revision: number | null;
  sig_kid: string | null;
  sig: string | null;
  data_origin: "sample" | "real";
  coverage: StoredCoverage | null;
};

// `f` is the fixing revision, `cf` the fixing an insufficient one carries forward.
export const FIXING_COLUMNS = sql`
  f.id::text AS id, f.index_code, f.fixing_time, f.kind, f.status,
  round_half_even(f.value, 6)::text AS value, round_half_even(f.level, 6)::text AS level,
  round_half_even(f.p25, 6)::text AS p25, round_half_even(f.p50, 6)::text AS p50,
  round_half_even(f.p75, 6)::text AS p75,
  f.currency, f.methodology_version, f.revision::int AS revision, f.computed_at,
  f.inputs_sha256, f.reason, f.constituent_count::int AS constituent_count,
  f.provider_count::int AS provider_count,
  cf.fixing_time AS carried_fixing_time, cf.revision::int AS carried_revision,
  sg.kid AS sig_kid, sg.sig, f.data_origin, f.coverage`;
export const FIXING_FROM = sql`fixings f LEFT JOIN fixings cf ON cf.id = f.carried_from_fixing_id
  LEFT JOIN LATERAL (
    SELECT s.kid, s.sig FROM fixing_signatures s WHERE s.fixing_id = f.id ORDER BY s.signed_at, s.kid LIMIT 1
  ) sg ON true`;

export function toView(r: FixingRow): FixingView {
  return {
    id: r.id,
    index: r.index_code,
    fixingTime: isoUtc(r.fixing_time),
    kind: r.kind,
    status: r.status,
    value: r.value,
    level: r.level,
    p25: r.p25,
    p50: r.p50,
    p75: r.p75,
    currency: r.currency,
    methodologyVersion: r.methodology_version,
    revision: r.revision,
    computedAt: isoUtc(r.computed_at),
    inputsSha256: r.inputs_sha256,
    reason: r.reason,
    constituentCount: r.constituent_count,
    providerCount: r.provider_count,
    carriedFrom:
      r.carried_fixing_time === null || r.carried_revision === null
        ? null
        : { fixingTime: isoUtc(r.carried_fixing_time), revision: r.carried_revision },
    signature: r.sig_kid === null || r.sig === null ? null : { kid: r.sig_kid, sig: r.sig },
    dataOrigin: r.data_origin,
    coverage: r.coverage,
  };
}

export function instantParam(name: string, text: string): string {
  const instant = parseInstant(text);
  if (instant === null) throw new CiyuanError("bad_request", `${name}: not an ISO 8601 instant with offset: ${JSON.stringify(text)}`);
  return instant;
}

export type FixingRange = { index: string; from?: string; to?: string; kind?: FixingKind };

/** The conditions of a range (see listFixings for how dates and instants bound it). */
export function rangeConditions(q: FixingRange): SQL[] {
  const conditions: SQL[] = [sql`f.index_code = ${q.index}`, sql`f.kind = ${q.kind ?? "final"}`];
  if (q.from !== undefined) conditions.push(sql`f.fixing_time >= ${rangeStart(q.from)}`);
  if (q.to !== undefined) conditions.push(rangeEndCondition(q.to));
  return conditions;
}

function rangeStart(text: string): SQL {
  if (isDateOnly(text)) return sql`(${text}::date::timestamp AT TIME ZONE 'UTC')`;
  return sql`${instantParam("from", text)}::timestamptz`;
}

function rangeEndCondition(text: string): SQL {
  if (isDateOnly(text)) return sql`f.fixing_time < ((${text}::date + 1)::timestamp AT TIME ZONE 'UTC')`;
  return sql`f.fixing_time <= ${instantParam("to", text)}::timestamptz`;
}
