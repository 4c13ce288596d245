/**
 * The rulebook's "Constituents" and "exclusions": every (provider, model) listed at T or
 * with usage in the window, its normalised prices in the index currency, and either a
 * place in the index or the reason it has none. Nothing is left out silently.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/index.ts";
import { div } from "./decimal.ts";
import type { IndexDefinition } from "./definitions.ts";
import { effectiveInputPrice, indexPrice, weightingVolume } from "./prices.ts";

export const EXCLUSION_REASONS = ["not_in_universe", "delisted", "not_listed", "missing_price", "no_fx_rate", "no_volume"] as const;

/** price per 1M in its currency -> index currency: x fx(currency, T) / fx(index currency, T). */
function toIndexCurrency(def: IndexDefinition, price: string, rate: string) {
  const cny = sql`${sql.raw(price)} * ${sql.raw(rate)}`;
  return def.currency === "CNY" ? cny : div(cny, sql`target.cny_per_unit`);
}

export async function candidates(tx: Db, def: IndexDefinition, at: string): Promise<void> {
  await tx.execute(sql`
    CREATE TEMP TABLE candidates ON COMMIT DROP AS
    WITH listed AS (
      SELECT f.provider, m.model FROM in_force_sheets f JOIN sheet_models m ON m.sheet_id = f.sheet_id
    ),
    keys AS (
      SELECT provider, model FROM listed UNION SELECT provider, model FROM window_usage
    ),
    target AS (SELECT cny_per_unit FROM fx_in_force WHERE currency = ${def.currency})
    SELECT k.provider, k.model, f.sheet_id, f.country,
           l.model IS NOT NULL AS listed,
           EXISTS (SELECT 1 FROM price_sheets s JOIN sheet_models sm ON sm.sheet_id = s.id
                   WHERE s.provider = k.provider AND sm.model = k.model AND s.as_of <= ${at}::timestamptz) AS ever_listed,
           pin.accepted_price IS NOT NULL AND pout.accepted_price IS NOT NULL AS priced,
           (pin.accepted_price IS NULL OR xin.cny_per_unit IS NOT NULL)
             AND (pc.accepted_price IS NULL OR xc.cny_per_unit IS NOT NULL)
             AND (pout.accepted_price IS NULL OR xout.cny_per_unit IS NOT NULL)
             AND EXISTS (SELECT 1 FROM target) AS has_fx,
           ${toIndexCurrency(def, "pin.accepted_price", "xin.cny_per_unit")} AS input_price,
           ${toIndexCurrency(def, "pc.accepted_price", "xc.cny_per_unit")} AS cached_price,
           ${toIndexCurrency(def, "pout.accepted_price", "xout.cny_per_unit")} AS output_price,
           array_remove(ARRAY[CASE WHEN pin.held THEN 'input' END, CASE WHEN pc.held THEN 'cached_input' END,
                              CASE WHEN pout.held THEN 'output' END], NULL) AS held,
           coalesce(u.v_in, 0) AS v_in, coalesce(u.v_c, 0) AS v_c, coalesce(u.v_out, 0) AS v_out,
           xin.fx_rate_id AS fx_rate_id
    FROM keys k
    LEFT JOIN in_force_sheets f ON f.provider = k.provider
    LEFT JOIN listed l ON l.provider = k.provider AND l.model = k.model
    LEFT JOIN listed_prices pin ON pin.provider = k.provider AND pin.model = k.model AND pin.component = 'input'
    LEFT JOIN listed_prices pc ON pc.provider = k.provider AND pc.model = k.model AND pc.component = 'cached_input'
    LEFT JOIN listed_prices pout ON pout.provider = k.provider AND pout.model = k.model AND pout.component = 'output'
    LEFT JOIN fx_in_force xin ON xin.currency = pin.accepted_currency
    LEFT JOIN fx_in_force xc ON xc.currency = pc.accepted_currency
    LEFT JOIN fx_in_force xout ON xout.currency = pout.accepted_currency
    LEFT JOIN target ON true
    LEFT JOIN window_usage u ON u.provider = k.provider AND u.model = k.model`);

  const v = { vIn: sql`v_in`, vC: sql`v_c`, vOut: sql`v_out` };
  const p = { input: sql`input_price`, cached: sql`cached_price`, output: sql`output_price` };
  await tx.execute(sql`
    CREATE TEMP TABLE constituent_candidates ON COMMIT DROP AS
    SELECT c.*,
           CASE
             WHEN c.country IS NOT NULL AND ${def.universeCountry}::text IS NOT NULL
                  AND c.country <> ${def.universeCountry}::text THEN 'not_in_universe'
             WHEN NOT c.listed AND c.ever_listed THEN 'delisted'
             WHEN NOT c.listed THEN 'not_listed'
             WHEN NOT c.priced THEN 'missing_price'
             WHEN NOT c.has_fx THEN 'no_fx_rate'
             WHEN ${weightingVolume(def.weighting, v)} <= 0 THEN 'no_volume'
           END AS exclusion,
           ${weightingVolume(def.weighting, v)} AS volume
    FROM candidates c`);
  await tx.execute(sql`
    CREATE TEMP TABLE constituents ON COMMIT DROP AS
    SELECT provider, model, sheet_id, country, input_price, cached_price, output_price, held, v_in, v_c, v_out,
           fx_rate_id, volume,
           ${effectiveInputPrice(p, v)} AS p_in,
           ${indexPrice("total", p, v)} AS p_blended,
           ${indexPrice(def.weighting, p, v)} AS price
    FROM constituent_candidates
    WHERE exclusion IS NULL`);
}
