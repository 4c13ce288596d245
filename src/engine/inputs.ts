/**
 * The rulebook's "Inputs at fixing time T", bounded by the fixing's watermark [1.1]: only
 * rows of input batches <= W are read, so a recompute at the same (T, W) reads the same
 * rows whatever was imported since. Each function is one named CTE for the evaluation's
 * single statement (engine/evaluate.ts).
 */
import { sql, type SQL } from "drizzle-orm";
import type { IndexDefinition } from "./definitions.ts";

export type At = { at: string; watermark: string };

const T = (a: At) => sql`${a.at}::timestamptz`;
const W = (a: At) => sql`${a.watermark}::bigint`;

/** `sheets`: each provider's latest sheet with as_of <= T: its complete list at T. */
export function sheetsInForce(a: At): SQL {
  return sql`sheets AS (
    SELECT DISTINCT ON (provider) id AS sheet_id, provider, country, as_of, content_sha256
    FROM price_sheets
    WHERE as_of <= ${T(a)} AND batch_id <= ${W(a)}
    ORDER BY provider, as_of DESC, id DESC)`;
}

/** `fx`: the latest rate per currency with as_of <= T, CNY per unit; CNY itself is 1. */
export function fxInForce(a: At): SQL {
  return sql`fx AS (
    (SELECT DISTINCT ON (currency) id AS fx_rate_id, currency, cny_per_unit, as_of
     FROM fx_rates
     WHERE as_of <= ${T(a)} AND batch_id <= ${W(a)} AND currency <> 'CNY'
     ORDER BY currency, as_of DESC, id DESC)
    UNION ALL SELECT NULL::bigint, 'CNY', 1::numeric, NULL::timestamptz)`;
}

/**
 * `usage`: V_in, V_c, V_out per (provider, model) over W(T) = (T - window, T] on
 * period_end. Of each record key the latest version up to the watermark counts: a record
 * is left out when a correction of it (a record that `supersedes` it) is within the
 * watermark. Corrections are few, so this is one scan of the window, grouped.
 */
export function usageInWindow(def: Pick<IndexDefinition, "usageWindow">, a: At): SQL {
  return sql`usage AS (
    SELECT provider, model,
           sum(input_tokens)::numeric AS v_in,
           sum(coalesce(cached_input_tokens, 0))::numeric AS v_c,
           sum(output_tokens)::numeric AS v_out
    FROM usage_records
    WHERE period_end > ${T(a)} - ${def.usageWindow}::interval AND period_end <= ${T(a)}
      AND batch_id <= ${W(a)}
      AND id NOT IN (SELECT supersedes FROM usage_records WHERE supersedes IS NOT NULL AND batch_id <= ${W(a)})
    GROUP BY provider, model)`;
}
