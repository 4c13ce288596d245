/**
 * The rulebook's "Value, level, dispersion": value and weighted percentiles of the basket,
 * exact (rounding to the published 6 decimals happens when the fixing is stored).
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";

export type BasketStats = {
  constituents: number;
  providers: number;
  value: string | null;
  p25: string | null;
  p50: string | null;
  p75: string | null;
};

/** Value = sum(w_i x p_i); for quantile q the smallest p_i, in ascending order, whose
 * cumulative weight (ties included) is >= q. */
export async function basketStats(tx: Db): Promise<BasketStats> {
  const [r] = await rows<BasketStats>(
    tx,
    sql`
    WITH basket AS (
      SELECT c.provider, c.price, w.weight,
             sum(w.weight) OVER (ORDER BY c.price RANGE UNBOUNDED PRECEDING) AS cumulative
      FROM constituents c JOIN weights w USING (provider, model)
    )
    SELECT count(*)::int AS constituents,
           count(DISTINCT provider)::int AS providers,
           sum(weight * price)::text AS value,
           (SELECT min(price) FROM basket WHERE cumulative >= 0.25)::text AS p25,
           (SELECT min(price) FROM basket WHERE cumulative >= 0.50)::text AS p50,
           (SELECT min(price) FROM basket WHERE cumulative >= 0.75)::text AS p75
    FROM basket`,
  );
  return r!;
}
