/**
 * The rulebook's "Weights and capping". Raw weight r_i = V_i / sum(V). With n constituents
 * and cap c, capping applies only when n x c > 1; then, until no weight exceeds c, every
 * constituent above c is set to c and marked capped, and the weight left, 1 - c x (number
 * capped), is shared among the uncapped in proportion to their raw weights.
 *
 * The iteration is a recursive query: each step re-reads the whole basket. Comparisons
 * with the cap are made by cross-multiplying, so no rounded quotient decides a cap.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/index.ts";
import { div } from "./decimal.ts";
import type { IndexDefinition } from "./definitions.ts";

export async function cappedWeights(tx: Db, def: IndexDefinition): Promise<void> {
  const c = sql`${def.cap}::numeric`;
  await tx.execute(sql`
    CREATE TEMP TABLE weights ON COMMIT DROP AS
    WITH RECURSIVE raw AS (
      SELECT provider, model, volume,
             ${div(sql`volume`, sql`sum(volume) OVER ()`)} AS r,
             count(*) OVER () * ${c} > 1 AS capping_applies
      FROM constituents
    ),
    step(i, provider, model, r, capped, share_num, share_den, over_cap) AS (
      -- step 0: raw weights; a weight r is over the cap when r > c
      SELECT 0, provider, model, r, false, 1::numeric, 1::numeric, capping_applies AND r > ${c}
      FROM raw
      UNION ALL
      -- next step: cap everything over the cap; the uncapped share (1 - c k) in proportion to r
      SELECT i + 1, provider, model, r, now_capped, left_over, uncapped_r,
             NOT now_capped AND (left_over * r > ${c} * uncapped_r)
      FROM (
        SELECT i, provider, model, r, capped OR over_cap AS now_capped,
               1 - ${c} * count(*) FILTER (WHERE capped OR over_cap) OVER () AS left_over,
               sum(r) FILTER (WHERE NOT (capped OR over_cap)) OVER () AS uncapped_r,
               bool_or(over_cap) OVER () AS any_over
        FROM step
      ) s
      WHERE any_over
    ),
    final AS (
      SELECT DISTINCT ON (provider, model) * FROM step ORDER BY provider, model, i DESC
    )
    SELECT provider, model, r AS raw_weight, capped,
           CASE WHEN capped THEN ${c}
                WHEN share_num = share_den THEN r
                ELSE ${div(sql`share_num * r`, sql`share_den`)} END AS weight
    FROM final`);
}
