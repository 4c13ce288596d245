/**
 * One evaluation of the rulebook [1.1]: (index definition, fixing time T, watermark W,
 * previous fixing) in, a typed result out — constituents with exact weights, exclusions
 * with reasons, value, level, percentiles and the aggregated inputs. Final, indicative,
 * backfill, restate and verify all call it; storing, signing and publishing come after.
 *
 * It is ONE SQL statement (a CTE per rule, each beside its rule: inputs.ts, holds.ts,
 * constituents.ts, capping.ts, value.ts, level.ts), so it reads one snapshot and scans
 * the usage window once. Every published number is rounded once, from its exact value.
 */
import { sql } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../db/index.ts";
import { cappedWeights } from "./capping.ts";
import { constituents, type ExclusionReason } from "./constituents.ts";
import { roundRatio } from "./decimal.ts";
import type { IndexDefinition } from "./definitions.ts";
import { acceptedPrices } from "./holds.ts";
import { coverageOfInputs, fxInForce, sheetsInForce, usageInWindow } from "./inputs.ts";
import { chainLevel, type PreviousFixing } from "./level.ts";
import { basketStats } from "./value.ts";

export type ComponentInput = { price: string; currency: string; sheet: string; held: boolean } | null;

export type Constituent = {
  provider: string;
  model: string;
  country: string;
  sheetId: string;
  /** Published: weight to 8 decimals, prices to 6, in the index currency. */
  rawWeight: string;
  weight: string;
  capped: boolean;
  price: string;
  inputPrice: string;
  outputPrice: string;
  blendedPrice: string;
  listInputPrice: string;
  listCachedInputPrice: string | null;
  /** Exact: weight = weightNum / weightDen; price = costCny / (volume x fx_target). */
  weightNum: string;
  weightDen: string;
  volume: string;
  costCny: string;
  inputTokens: string;
  cachedInputTokens: string;
  outputTokens: string;
  held: ("input" | "cached_input" | "output")[];
  fxRateId: string | null;
  /** The origin kinds of its window's usage, and whether any of it was estimated. */
  origins: string[];
  estimated: boolean;
  components: { input: ComponentInput; cached_input: ComponentInput; output: ComponentInput };
};

export type Exclusion = {
  provider: string;
  model: string;
  reason: ExclusionReason;
  sheetId: string | null;
  inputTokens: string | null;
  cachedInputTokens: string | null;
  outputTokens: string | null;
};

export type FxUsed = { id: string; currency: string; cnyPerUnit: string; asOf: string };
export type SheetUsed = { id: string; provider: string; country: string; asOf: string; contentSha256: string };

export type Published = { value: string | null; level: string | null; p25: string | null; p50: string | null; p75: string | null };

export type Evaluation = Published & {
  index: string;
  definitionVersion: number;
  methodologyVersion: string;
  fixingTime: string;
  watermark: string;
  status: "ok" | "insufficient";
  /** The ok final fixing the level chains from (ok) or whose value is carried (insufficient). */
  prev: PreviousFixing | null;
  fxTarget: string | null;
  constituents: Constituent[];
  exclusions: Exclusion[];
  sheets: SheetUsed[];
  fx: FxUsed[];
  providers: number;
  /** sample when any input read is sample data (operations-and-users.md section 4). */
  dataOrigin: "sample" | "real";
  coverage: Coverage;
};

/**
 * The window's tokens (input + output) by origin kind, each kind's share of `total`
 * (6 places, half-even), and the listed providers without usage.
 */
export type Coverage = { tokens: Record<string, string>; shares: Record<string, string>; total: string; providersWithoutUsage: string[] };

type Row = {
  provider: string | null;
  model: string | null;
  exclusion: ExclusionReason | null;
  sheet_id: string | null;
  country: string | null;
  v_in: string | null;
  v_c: string | null;
  v_out: string | null;
  has_usage: boolean | null;
  listed: boolean | null;
  in_price: string | null;
  in_currency: string | null;
  in_sheet: string | null;
  in_held: boolean | null;
  c_price: string | null;
  c_currency: string | null;
  c_sheet: string | null;
  c_held: boolean | null;
  out_price: string | null;
  out_currency: string | null;
  out_sheet: string | null;
  out_held: boolean | null;
  fx_rate_id: string | null;
  capped: boolean | null;
  weight_num: string | null;
  weight_den: string | null;
  volume: string | null;
  cost: string | null;
  weight: string | null;
  raw_weight: string | null;
  price: string | null;
  input_price: string | null;
  output_price: string | null;
  blended_price: string | null;
  list_input_price: string | null;
  list_cached_input_price: string | null;
  // the basket, the same on every row
  n: number;
  n_providers: number;
  value: string | null;
  p25: string | null;
  p50: string | null;
  p75: string | null;
  level: string;
  fx_target: string | null;
  origins: string[] | null;
  usage_estimated: boolean | null;
  coverage: { tokens: Record<string, string>; shares: Record<string, string>; total: string };
  any_sample: boolean;
  providers_without_usage: string[];
};

export async function evaluate(
  tx: Db,
  def: IndexDefinition,
  req: { at: string; watermark: string; prev: PreviousFixing | null },
): Promise<Evaluation> {
  const a = { at: req.at, watermark: req.watermark };
  const fxT = sql`(SELECT cny_per_unit FROM target)`;
  const r6 = (num: ReturnType<typeof sql>, den: ReturnType<typeof sql>) => roundRatio(num, den, 6);
  const found = await rows<Row>(
    tx,
    sql`
    WITH ${sheetsInForce(a)},
    ${fxInForce(a)},
    ${acceptedPrices(a)},
    ${usageInWindow(def, a)},
    ${coverageOfInputs()},
    ${constituents(def, a)},
    ${cappedWeights(def)},
    ${basketStats(def)},
    ${chainLevel(def, req.prev)},
    items AS (
      SELECT j.provider, j.model, j.exclusion, j.sheet_id::text, j.country,
             j.v_in::text, j.v_c::text, j.v_out::text, j.has_usage, j.listed,
             j.in_price::text, j.in_currency, j.in_sheet::text, j.in_held,
             j.c_price::text, j.c_currency, j.c_sheet::text, j.c_held,
             j.out_price::text, j.out_currency, j.out_sheet::text, j.out_held,
             j.fx_rate_id::text, j.origins, j.usage_estimated,
             w.capped, w.weight_num::text, w.weight_den::text, w.volume::text, w.cost::text,
             ${roundRatio(sql`w.weight_num`, sql`w.weight_den`, 8)}::text AS weight,
             ${roundRatio(sql`w.volume`, sql`w.s`, 8)}::text AS raw_weight,
             ${r6(sql`w.cost`, sql`w.volume * ${fxT}`)}::text AS price,
             CASE WHEN w.v_in > 0 THEN ${r6(sql`w.cost_in`, sql`w.v_in * ${fxT}`)} ELSE ${r6(sql`w.in_cny`, fxT)} END::text AS input_price,
             ${r6(sql`w.out_cny`, fxT)}::text AS output_price,
             CASE WHEN w.v_in + w.v_out > 0 THEN ${r6(sql`w.cost_in + w.cost_out`, sql`(w.v_in + w.v_out) * ${fxT}`)} END::text AS blended_price,
             ${r6(sql`w.in_cny`, fxT)}::text AS list_input_price,
             CASE WHEN w.c_price IS NOT NULL THEN ${r6(sql`w.cached_cny`, fxT)} END::text AS list_cached_input_price
      FROM judged j LEFT JOIN weights w ON w.provider = j.provider AND w.model = j.model)
    SELECT i.*, b.n, b.providers AS n_providers, b.value::text, b.p25::text, b.p50::text, b.p75::text,
           ch.level::text AS level, (SELECT cny_per_unit FROM target)::text AS fx_target,
           cv.figures AS coverage, cv.sample AS any_sample,
           (SELECT coalesce(array_agg(s.provider ORDER BY s.provider COLLATE "C"), '{}') FROM sheets s
            WHERE (${def.universeCountry}::text IS NULL OR s.country = ${def.universeCountry}::text)
              AND NOT EXISTS (SELECT 1 FROM usage u WHERE u.provider = s.provider)) AS providers_without_usage
    FROM basket b CROSS JOIN chain ch CROSS JOIN coverage cv LEFT JOIN items i ON true
    ORDER BY i.provider COLLATE "C", i.model COLLATE "C"`,
  );
  const head = found[0]!;
  const items = found.filter((r) => r.provider !== null);
  const sufficient = head.n >= def.minConstituents && head.n_providers >= def.minProviders;
  const published: Published = sufficient
    ? { value: head.value, level: head.level, p25: head.p25, p50: head.p50, p75: head.p75 }
    : // Sufficiency: carry the previous ok fixing's value and level (null when there is none
      // yet) and name it; the dispersion of a thin basket is not published.
      { value: req.prev?.value ?? null, level: req.prev?.level ?? null, p25: null, p50: null, p75: null };
  const { sheets, fx } = await inputsInForce(tx, a, items);
  return {
    index: def.code,
    definitionVersion: def.version,
    methodologyVersion: def.methodologyVersion,
    fixingTime: req.at,
    watermark: req.watermark,
    status: sufficient ? "ok" : "insufficient",
    prev: req.prev,
    fxTarget: head.fx_target,
    ...published,
    providers: head.n_providers,
    dataOrigin: head.any_sample ? "sample" : "real",
    coverage: { ...head.coverage, providersWithoutUsage: head.providers_without_usage },
    constituents: items.filter((r) => r.exclusion === null).map(toConstituent),
    exclusions: items.filter((r) => r.exclusion !== null).map(toExclusion),
    sheets,
    fx,
  };
}

function component(price: string | null, currency: string | null, sheet: string | null, held: boolean | null): ComponentInput {
  return price === null ? null : { price, currency: currency!, sheet: sheet!, held: held === true };
}

function toConstituent(r: Row): Constituent {
  const held = (
    [
      ["input", r.in_held],
      ["cached_input", r.c_held],
      ["output", r.out_held],
    ] as const
  )
    .filter(([, h]) => h === true)
    .map(([c]) => c);
  return {
    provider: r.provider!,
    model: r.model!,
    country: r.country!,
    sheetId: r.sheet_id!,
    rawWeight: r.raw_weight!,
    weight: r.weight!,
    capped: r.capped!,
    price: r.price!,
    inputPrice: r.input_price!,
    outputPrice: r.output_price!,
    blendedPrice: r.blended_price!,
    listInputPrice: r.list_input_price!,
    listCachedInputPrice: r.list_cached_input_price,
    weightNum: r.weight_num!,
    weightDen: r.weight_den!,
    volume: r.volume!,
    costCny: r.cost!,
    inputTokens: r.v_in!,
    cachedInputTokens: r.v_c!,
    outputTokens: r.v_out!,
    held,
    fxRateId: r.fx_rate_id,
    origins: r.origins ?? [],
    estimated: r.usage_estimated === true,
    components: {
      input: component(r.in_price, r.in_currency, r.in_sheet, r.in_held),
      cached_input: component(r.c_price, r.c_currency, r.c_sheet, r.c_held),
      output: component(r.out_price, r.out_currency, r.out_sheet, r.out_held),
    },
  };
}

function toExclusion(r: Row): Exclusion {
  return {
    provider: r.provider!,
    model: r.model!,
    reason: r.exclusion!,
    sheetId: r.sheet_id,
    inputTokens: r.has_usage ? r.v_in : null,
    cachedInputTokens: r.has_usage ? r.v_c : null,
    outputTokens: r.has_usage ? r.v_out : null,
  };
}

/** The sheets in force for the providers a fixing looked at and the FX rates its prices used. */
async function inputsInForce(tx: Db, a: { at: string; watermark: string }, items: Row[]): Promise<{ sheets: SheetUsed[]; fx: FxUsed[] }> {
  const sheetIds = new Set<string>();
  for (const r of items) for (const s of [r.sheet_id, r.in_sheet, r.c_sheet, r.out_sheet]) if (s !== null) sheetIds.add(s);
  const sheets = await rows<SheetUsed>(
    tx,
    sql`SELECT id::text, provider, country, as_of AS "asOf", content_sha256 AS "contentSha256"
        FROM price_sheets WHERE id = ANY(${`{${[...sheetIds].join(",")}}`}::bigint[]) ORDER BY id`,
  );
  const currencies = new Set<string>();
  for (const r of items) for (const c of [r.in_currency, r.c_currency, r.out_currency]) if (c !== null && c !== "CNY") currencies.add(c);
  const fx = await rows<FxUsed>(
    tx,
    sql`SELECT DISTINCT ON (currency) id::text, currency, cny_per_unit::text AS "cnyPerUnit", as_of AS "asOf"
        FROM fx_rates
        WHERE currency = ANY(${`{${[...currencies].map((c) => `"${c}"`).join(",")}}`}::text[])
          AND as_of <= ${a.at}::timestamptz AND batch_id <= ${a.watermark}::bigint
        ORDER BY currency, as_of DESC, id DESC`,
  );
  return {
    sheets: sheets.map((s) => ({ ...s, asOf: isoUtc(s.asOf) })),
    fx: fx.map((x) => ({ ...x, asOf: isoUtc(x.asOf) })),
  };
}
