/**
 * Held prices at T (rulebook, "Data quality gates"), by lookup: the states were computed
 * when each sheet or approval was stored (normalise/hold-states.ts). For every component
 * listed on a sheet in force, the generation of the highest batch <= W, and of it the
 * interval of fixing times that holds T, gives the accepted price (per 1M tokens in its
 * currency) and whether the listed price is held.
 */
import { sql, type SQL } from "drizzle-orm";
import type { At } from "./inputs.ts";

/** `states`, reading the CTE `sheets` (engine/inputs.ts). */
export function acceptedPrices(a: At): SQL {
  return sql`states AS (
    SELECT l.sheet_id, l.model, l.component, l.listed_price, l.listed_currency, l.accepted_price,
           l.accepted_currency, l.accepted_sheet_id, l.held
    FROM (SELECT l.sheet_id, l.model, l.component, max(l.batch_id) AS batch_id
          FROM listing_states l JOIN sheets s ON s.sheet_id = l.sheet_id
          WHERE l.batch_id <= ${a.watermark}::bigint
          GROUP BY l.sheet_id, l.model, l.component) g
    JOIN listing_states l
      ON l.sheet_id = g.sheet_id AND l.model = g.model AND l.component = g.component AND l.batch_id = g.batch_id
    WHERE l.from_t <= ${a.at}::timestamptz AND (l.until_t IS NULL OR ${a.at}::timestamptz < l.until_t))`;
}
