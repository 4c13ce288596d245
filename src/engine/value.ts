/**
 * The rulebook's "Value" and "Dispersion", exact. Reads CTEs `weights` and `target`;
 * defines `basket` (one row: counts, value, percentiles, all rounded once at the end).
 *
 * Value = sum(w_i x p_i) with p_i = C_i / V_i. Uncapped terms share one denominator:
 * (1 - c k) / S_u x sum(C_u); capped ones are c x C_i / V_i. Over the common denominator
 * D = S_u x P (P the product of the capped volumes, a handful at most):
 *   value = ((1 - c k) P sum(C_u) + c S_u sum_capped(C_i P / V_i)) / (D x fx_target)
 * where P / V_i is an exact integer division.
 *
 * Percentiles: for quantile q the smallest p_i whose cumulative weight (ties included) is
 * >= q. The cumulative weight at a price is c m + (1 - c k) U / S_u (m capped and U the
 * uncapped volume at or below it), compared with q by cross-multiplying. Prices are ordered
 * by floor(p_i x 10^s), with s = 2 (scale of C + digits of V): two distinct prices differ
 * by at least 10^-s, so this key orders them exactly and equal prices tie.
 */
import { sql, type SQL } from "drizzle-orm";
import type { IndexDefinition } from "./definitions.ts";
import { roundRatio } from "./decimal.ts";

export const QUANTILES = { p25: "0.25", p50: "0.5", p75: "0.75" } as const;

export function basketStats(def: IndexDefinition): SQL {
  const c = sql`${def.cap}::numeric`;
  const fxT = sql`(SELECT cny_per_unit FROM target)`;
  const percentile = (q: string) => sql`(
      SELECT ${roundRatio(sql`cost`, sql`volume * ${fxT}`, 6)} FROM cumulative, agg
      WHERE ${c} * m * agg.su + (1 - ${c} * agg.k) * u >= ${q}::numeric * agg.su
      ORDER BY price_key LIMIT 1)`;
  return sql`
  agg AS (
    SELECT count(*) AS n, count(DISTINCT provider) AS providers,
           coalesce(max(k), 0) AS k, max(su) AS su,
           coalesce(numeric_product(volume) FILTER (WHERE capped), 1) AS p,
           coalesce(sum(cost) FILTER (WHERE NOT capped), 0) AS cost_u,
           max(scale(cost)) AS cost_scale, max(length(volume::text)) AS volume_digits
    FROM weights),
  cumulative AS (
    SELECT cost, volume,
           div(cost * power(10::numeric, 2 * (agg.cost_scale + agg.volume_digits)), volume) AS price_key,
           count(*) FILTER (WHERE capped) OVER w AS m,
           coalesce(sum(volume) FILTER (WHERE NOT capped) OVER w, 0) AS u
    FROM weights, agg
    WINDOW w AS (ORDER BY div(cost * power(10::numeric, 2 * (agg.cost_scale + agg.volume_digits)), volume)
                 RANGE UNBOUNDED PRECEDING)),
  -- MATERIALIZED: referenced once, it would be inlined into the final join, and the sum
  -- over the capped terms (a subquery reading agg) evaluated again for every output row.
  basket AS MATERIALIZED (
    SELECT agg.n::int AS n, agg.providers::int AS providers,
           CASE WHEN agg.n > 0 THEN ${roundRatio(
             sql`(1 - ${c} * agg.k) * agg.p * agg.cost_u
                 + ${c} * agg.su * coalesce((SELECT sum(w.cost * div(agg.p, w.volume)) FROM weights w WHERE w.capped), 0)`,
             sql`agg.su * agg.p * ${fxT}`,
             6,
           )} END AS value,
           CASE WHEN agg.n > 0 THEN ${percentile(QUANTILES.p25)} END AS p25,
           CASE WHEN agg.n > 0 THEN ${percentile(QUANTILES.p50)} END AS p50,
           CASE WHEN agg.n > 0 THEN ${percentile(QUANTILES.p75)} END AS p75
    FROM agg)`;
}
