/**
 * The rulebook's "Constituents" and "exclusions": every (provider, model) listed at T or
 * with usage in the window, its accepted component prices in CNY, and either a place in the
 * index (CTE `con`, with its cost C and weighting volume V) or the reason it has none
 * (CTE `judged`). Nothing is left out silently. Reads the CTEs sheets, fx, states, usage.
 */
import { sql, type SQL } from "drizzle-orm";
import type { IndexDefinition } from "./definitions.ts";
import type { At } from "./inputs.ts";
import { indexCost, inputCost, outputCost, weightingVolume, type Components, type Volumes } from "./prices.ts";

export const EXCLUSION_REASONS = ["not_in_universe", "delisted", "not_listed", "missing_price", "no_fx_rate", "no_volume"] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

export const WINDOW_VOLUMES: Volumes = { vIn: sql`v_in`, vC: sql`v_c`, vOut: sql`v_out` };
export const CNY_PRICES: Components = { input: sql`in_cny`, cached: sql`cached_cny`, output: sql`out_cny` };

export function constituents(def: IndexDefinition, a: At): SQL {
  const volume = weightingVolume(def.weighting, WINDOW_VOLUMES);
  return sql`
  listed AS (SELECT s.provider, m.model FROM sheets s JOIN sheet_models m ON m.sheet_id = s.sheet_id),
  keys AS (SELECT provider, model FROM listed UNION SELECT provider, model FROM usage),
  target AS (SELECT cny_per_unit FROM fx WHERE currency = ${def.currency}),
  cand AS (
    SELECT k.provider, k.model, s.sheet_id, s.country, l.model IS NOT NULL AS listed,
           CASE WHEN l.model IS NULL THEN EXISTS (
             SELECT 1 FROM price_sheets ps JOIN sheet_models sm ON sm.sheet_id = ps.id
             WHERE ps.provider = k.provider AND sm.model = k.model
               AND ps.as_of <= ${a.at}::timestamptz AND ps.batch_id <= ${a.watermark}::bigint) END AS ever_listed,
           pin.accepted_price AS in_price, pin.accepted_currency AS in_currency, pin.accepted_sheet_id AS in_sheet, pin.held AS in_held,
           pc.accepted_price AS c_price, pc.accepted_currency AS c_currency, pc.accepted_sheet_id AS c_sheet, pc.held AS c_held,
           pout.accepted_price AS out_price, pout.accepted_currency AS out_currency, pout.accepted_sheet_id AS out_sheet, pout.held AS out_held,
           xin.cny_per_unit AS in_fx, xc.cny_per_unit AS c_fx, xout.cny_per_unit AS out_fx, xin.fx_rate_id,
           coalesce(u.v_in, 0) AS v_in, coalesce(u.v_c, 0) AS v_c, coalesce(u.v_out, 0) AS v_out,
           u.provider IS NOT NULL AS has_usage, u.origins, u.estimated AS usage_estimated
    FROM keys k
    LEFT JOIN sheets s ON s.provider = k.provider
    LEFT JOIN listed l ON l.provider = k.provider AND l.model = k.model
    LEFT JOIN states pin ON pin.sheet_id = s.sheet_id AND pin.model = k.model AND pin.component = 'input'
    LEFT JOIN states pc ON pc.sheet_id = s.sheet_id AND pc.model = k.model AND pc.component = 'cached_input'
    LEFT JOIN states pout ON pout.sheet_id = s.sheet_id AND pout.model = k.model AND pout.component = 'output'
    LEFT JOIN fx xin ON xin.currency = pin.accepted_currency
    LEFT JOIN fx xc ON xc.currency = pc.accepted_currency
    LEFT JOIN fx xout ON xout.currency = pout.accepted_currency
    LEFT JOIN usage u ON u.provider = k.provider AND u.model = k.model),
  judged AS (
    SELECT c.*,
           CASE
             WHEN c.country IS NOT NULL AND ${def.universeCountry}::text IS NOT NULL
                  AND c.country <> ${def.universeCountry}::text THEN 'not_in_universe'
             WHEN NOT c.listed AND c.ever_listed THEN 'delisted'
             WHEN NOT c.listed THEN 'not_listed'
             WHEN c.in_price IS NULL OR c.out_price IS NULL THEN 'missing_price'
             WHEN c.in_fx IS NULL OR c.out_fx IS NULL OR (c.c_price IS NOT NULL AND c.c_fx IS NULL)
                  OR NOT EXISTS (SELECT 1 FROM target) THEN 'no_fx_rate'
             WHEN ${volume} <= 0 THEN 'no_volume'
           END AS exclusion,
           c.in_price * c.in_fx AS in_cny,
           coalesce(c.c_price * c.c_fx, c.in_price * c.in_fx) AS cached_cny,
           c.out_price * c.out_fx AS out_cny,
           ${volume} AS volume
    FROM cand c),
  con AS (
    SELECT j.*,
           ${indexCost(def.weighting, CNY_PRICES, WINDOW_VOLUMES)} AS cost,
           ${inputCost(CNY_PRICES, WINDOW_VOLUMES)} AS cost_in,
           ${outputCost(CNY_PRICES, WINDOW_VOLUMES)} AS cost_out
    FROM judged j WHERE j.exclusion IS NULL)`;
}
