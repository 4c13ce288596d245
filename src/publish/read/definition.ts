/**
 * One index's definition as the engine uses it: the stored row of index_definitions (the
 * rulebook's defaults are only defaults; a definition is data, versioned), plus the fixing
 * schedule the scheduler and calendar apply to it, and its latest final fixing as
 * GET /v1/indices lists it. Numbers (cap, base level) leave the database as decimal text.
 */
import { sql } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../../db/index.ts";
import type { Weighting } from "../../engine/definitions.ts";
import { CiyuanError } from "../../errors.ts";
import { INDICATIVE_MINUTES } from "../../schedule/times.ts";

/** The price an index averages, which follows from its weighting (engine/prices.ts `indexCost`). */
export type PriceBasis = "blended" | "effective_input" | "output";

export const PRICE_BASIS: Record<Weighting, PriceBasis> = {
  total: "blended",
  input: "effective_input",
  output: "output",
};

export type IndexDefinitionView = {
  code: string;
  name: string;
  description: string;
  currency: string;
  methodologyVersion: string;
  /** The definition's version number and the moment it is in force from (ISO UTC). */
  definitionVersion: number;
  validFrom: string;
  /** Providers whose country is this one (ISO 3166 alpha-2); null: every provider. */
  universeCountry: string | null;
  weighting: Weighting;
  priceBasis: PriceBasis;
  /** Decimal text, e.g. "0.25". */
  cap: string;
  minConstituents: number;
  minProviders: number;
  /** A Postgres interval as stored, e.g. "7 days". */
  usageWindow: string;
  /** Decimal text, e.g. "1000". */
  baseLevel: string;
  lateDataDays: number;
  fixingLocalTime: string;
  fixingTz: string;
  indicativeEveryMinutes: number;
  latest: { fixingTime: string; value: string | null; level: string | null; status: "ok" | "insufficient" } | null;
};

type Row = {
  code: string;
  version: number;
  name: string;
  description: string;
  currency: string;
  universe_country: string | null;
  weighting: Weighting;
  cap: string;
  min_constituents: number;
  min_providers: number;
  fixing_local_time: string;
  fixing_tz: string;
  usage_window: string;
  base_level: string;
  methodology_version: string;
  late_data_days: number;
  valid_from: string;
  fixing_time: string | null;
  value: string | null;
  level: string | null;
  status: "ok" | "insufficient" | null;
};

/**
 * The definition of `code` in force at `at` (its highest version valid from `at` or
 * earlier, as the engine picks it: engine/definitions.ts `definitionAt`); when no version is
 * in force yet, the highest version (its valid_from then says when it starts). An unknown
 * code is a CiyuanError `unknown_index`.
 */
export async function loadDefinition(db: Db, code: string, at: Date): Promise<IndexDefinitionView> {
  const now = at.toISOString();
  const [r] = await rows<Row>(
    db,
    sql`SELECT d.code, d.version::int AS version, d.name, d.description, d.currency, d.universe_country,
          d.weighting, d.cap::text AS cap, d.min_constituents::int AS min_constituents,
          d.min_providers::int AS min_providers, d.fixing_local_time, d.fixing_tz, d.usage_window,
          d.base_level::text AS base_level, d.methodology_version, d.late_data_days::int AS late_data_days,
          d.valid_from, l.fixing_time, l.value, l.level, l.status
        FROM (
          SELECT * FROM index_definitions WHERE code = ${code}
          ORDER BY (valid_from <= ${now}::timestamptz) DESC, version DESC LIMIT 1
        ) d
        LEFT JOIN LATERAL (
          SELECT f.fixing_time, round_half_even(f.value, 6)::text AS value,
                 round_half_even(f.level, 6)::text AS level, f.status
          FROM fixings f
          WHERE f.index_code = d.code AND f.kind = 'final'
          ORDER BY f.fixing_time DESC, f.revision DESC
          LIMIT 1
        ) l ON true`,
  );
  if (!r) throw new CiyuanError("unknown_index", `unknown index: ${code}`);
  return {
    code: r.code,
    name: r.name,
    description: r.description,
    currency: r.currency,
    methodologyVersion: r.methodology_version,
    definitionVersion: r.version,
    validFrom: isoUtc(r.valid_from),
    universeCountry: r.universe_country,
    weighting: r.weighting,
    priceBasis: PRICE_BASIS[r.weighting],
    cap: r.cap,
    minConstituents: r.min_constituents,
    minProviders: r.min_providers,
    usageWindow: r.usage_window,
    baseLevel: r.base_level,
    lateDataDays: r.late_data_days,
    fixingLocalTime: r.fixing_local_time,
    fixingTz: r.fixing_tz,
    indicativeEveryMinutes: INDICATIVE_MINUTES,
    latest:
      r.fixing_time === null || r.status === null
        ? null
        : { fixingTime: isoUtc(r.fixing_time), value: r.value, level: r.level, status: r.status },
  };
}
