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

/**
 * `sheets`: each provider's latest sheet with as_of <= T: its complete list at T. A provider
 * keeps every sheet it ever had (a registry stores one per change), so this is an index
 * probe per provider, not a scan of the history: the providers are walked through the
 * (provider, as_of) index one distinct value at a time, and each takes its latest sheet.
 */
export function sheetsInForce(a: At): SQL {
  return sql`sheets AS (
    WITH RECURSIVE providers(provider) AS (
      SELECT min(provider) FROM price_sheets
      UNION ALL
      SELECT (SELECT min(p.provider) FROM price_sheets p WHERE p.provider > providers.provider)
      FROM providers WHERE providers.provider IS NOT NULL)
    SELECT s.id AS sheet_id, s.provider, s.country, s.as_of, s.content_sha256
    FROM providers
    CROSS JOIN LATERAL (
      SELECT id, provider, country, as_of, content_sha256 FROM price_sheets
      WHERE provider = providers.provider AND as_of <= ${T(a)} AND batch_id <= ${W(a)}
      ORDER BY as_of DESC, id DESC LIMIT 1) s)`;
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
