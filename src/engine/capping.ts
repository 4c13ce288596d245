/**
 * The rulebook's "Weights and capping", exact. Raw weight r_i = V_i / sum(V). With n
 * constituents and cap c, capping applies only when n x c > 1; then, until no weight
 * exceeds c, every constituent above c is set to c and marked capped, and the weight left,
 * 1 - c x k (k capped), is shared among the uncapped in proportion to their raw weights.
 *
 * So a capped weight is c and an uncapped one is (1 - c k) V_i / S_u, S_u the volume of
 * the uncapped: both are kept as numerator and denominator (weight_num / weight_den), and
 * "above the cap" is decided on integers, (1 - c k) V_i > c S_u, never on a quotient.
 * Reads CTE `con`; defines `capped_set` and `weights`.
 */
import { sql, type SQL } from "drizzle-orm";
import type { IndexDefinition } from "./definitions.ts";

export function cappedWeights(def: IndexDefinition): SQL {
  const c = sql`${def.cap}::numeric`;
  return sql`
  capping AS (
    WITH RECURSIVE step(i, provider, model, volume, capped, changed) AS (
      SELECT 0, provider, model, volume, false, true
      FROM con WHERE (SELECT count(*) FROM con) * ${c} > 1
      UNION ALL
      SELECT i + 1, provider, model, volume, capped OR over, bool_or(over) OVER ()
      FROM (
        SELECT i, provider, model, volume, capped,
               NOT capped AND (1 - ${c} * count(*) FILTER (WHERE capped) OVER ()) * volume
                              > ${c} * sum(volume) FILTER (WHERE NOT capped) OVER () AS over
        FROM step WHERE changed
      ) s
    )
    SELECT DISTINCT ON (provider, model) provider, model, capped FROM step ORDER BY provider, model, i DESC),
  weights AS (
    SELECT w.*,
           CASE WHEN w.capped THEN ${c} ELSE (1 - ${c} * w.k) * w.volume END AS weight_num,
           CASE WHEN w.capped THEN 1::numeric ELSE w.su END AS weight_den
    FROM (
      SELECT con.*, coalesce(cp.capped, false) AS capped,
             count(*) FILTER (WHERE cp.capped) OVER () AS k,
             sum(con.volume) FILTER (WHERE NOT coalesce(cp.capped, false)) OVER () AS su,
             sum(con.volume) OVER () AS s
      FROM con LEFT JOIN capping cp USING (provider, model)
    ) w)`;
}
