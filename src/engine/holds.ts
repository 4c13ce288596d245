/**
 * Held prices at T (rulebook, "Data quality gates"), by lookup: the states were computed
 * when each sheet or approval was stored (normalise/hold-states.ts). For every component
 * listed on a sheet in force, the generation of the highest batch <= W, and of it the
 * interval of fixing times that holds T, gives the accepted price (per 1M tokens in its
 * currency) and whether the listed price is held.
 */
import { sql, type SQL } from "drizzle-orm";
import type { At } from "./inputs.ts";

/**
 * `states`, reading the CTE `sheets` (engine/inputs.ts). Per sheet in force, one range of
 * the listing_states key (sheet_id first): a LATERAL probe, so the plan cannot turn into a
 * scan of every state ever stored. Each generation covers T >= the sheet's as_of without
 * gaps, so the latest interval starting at or before T of the highest batch <= W is the
 * one that holds T.
 */
export function acceptedPrices(a: At): SQL {
  return sql`states AS (
    SELECT l.sheet_id, l.model, l.component, l.listed_price, l.listed_currency, l.accepted_price,
           l.accepted_currency, l.accepted_sheet_id, l.held
    FROM sheets s
    CROSS JOIN LATERAL (
      SELECT DISTINCT ON (l.model, l.component) l.*
      FROM listing_states l
      WHERE l.sheet_id = s.sheet_id AND l.batch_id <= ${a.watermark}::bigint AND l.from_t <= ${a.at}::timestamptz
      ORDER BY l.model, l.component, l.batch_id DESC, l.from_t DESC) l
    WHERE l.until_t IS NULL OR ${a.at}::timestamptz < l.until_t)`;
}
