/**
 * The rulebook's "Inputs at fixing time T", bounded by the fixing's watermark [1.1]: only
 * rows of input batches <= W are read, so a recompute at the same (T, W) reads the same
 * rows whatever was imported since. Each function is one named CTE for the evaluation's
 * single statement (engine/evaluate.ts).
 */
import { roundRatio } from "./decimal.ts";
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
 * watermark. Corrections are few, so this is one scan of the window, grouped — by batch
 * too (`usage_by_batch`), so that each (provider, model) also says the origin kinds of its
 * volumes and whether any was estimated, from the batches' origins, without a second scan.
 */
export function usageInWindow(def: Pick<IndexDefinition, "usageWindow">, a: At): SQL {
  return sql`usage_by_batch AS (
    SELECT u.provider, u.model, u.batch_id,
           sum(u.input_tokens) AS v_in, sum(coalesce(u.cached_input_tokens, 0)) AS v_c, sum(u.output_tokens) AS v_out,
           bool_or(u.estimated) AS estimated
    FROM usage_records u
    WHERE u.period_end > ${T(a)} - ${def.usageWindow}::interval AND u.period_end <= ${T(a)}
      AND u.batch_id <= ${W(a)}
      AND u.id NOT IN (SELECT supersedes FROM usage_records WHERE supersedes IS NOT NULL AND batch_id <= ${W(a)})
    GROUP BY u.provider, u.model, u.batch_id),
  usage_origin AS (
    SELECT ub.*, ${ORIGIN_KIND} AS origin_kind
    FROM usage_by_batch ub JOIN input_batches b ON b.id = ub.batch_id),
  usage AS (
    SELECT provider, model,
           sum(v_in)::numeric AS v_in, sum(v_c)::numeric AS v_c, sum(v_out)::numeric AS v_out,
           array_agg(DISTINCT origin_kind ORDER BY origin_kind) AS origins, bool_or(estimated) AS estimated
    FROM usage_origin
    GROUP BY provider, model)`;
}

/** A batch's origin kind (operations-and-users.md section 4), from `b` (input_batches). */
const ORIGIN_KIND = sql`CASE WHEN b.origin = 'sample' THEN 'sample' WHEN b.origin = 'file' THEN 'file'
       WHEN b.origin LIKE 'contributor:%' THEN 'contributor' WHEN b.proxy THEN 'proxy'
       WHEN b.origin LIKE 'collector:%' THEN 'collector' ELSE 'file' END`;

/** The origin kinds a fixing's coverage counts, in the order it publishes them. */
export const ORIGIN_KINDS = ["contributor", "proxy", "collector", "file", "sample"] as const;

/**
 * `coverage`: the window's tokens (input + output) by origin kind, each kind's share of
 * them (exact ratio, rounded once, half-even, to 6 places), and whether any input the
 * fixing read (usage in the window, a sheet or FX rate in force) is sample data.
 */
export function coverageOfInputs(): SQL {
  const kinds = sql.raw(`ARRAY[${ORIGIN_KINDS.map((k) => `'${k}'`).join(", ")}]`);
  return sql`coverage_kinds AS (
    SELECT k.kind, k.ord, coalesce(sum(u.v_in + u.v_out), 0) AS tokens
    FROM unnest(${kinds}) WITH ORDINALITY AS k(kind, ord)
    LEFT JOIN usage_origin u ON u.origin_kind = k.kind
    GROUP BY k.kind, k.ord),
  coverage AS (
    SELECT (SELECT json_build_object(
              'tokens', json_object_agg(c.kind, c.tokens::text ORDER BY c.ord),
              'shares', json_object_agg(c.kind, (CASE WHEN t.total = 0 THEN 0.000000
                                                      ELSE ${roundRatio(sql`c.tokens`, sql`t.total`, 6)} END)::text ORDER BY c.ord),
              'total', max(t.total)::text)
            FROM coverage_kinds c CROSS JOIN (SELECT sum(tokens) AS total FROM coverage_kinds) t) AS figures,
           (EXISTS (SELECT 1 FROM usage_origin WHERE origin_kind = 'sample')
            OR EXISTS (SELECT 1 FROM sheets s JOIN price_sheets ps ON ps.id = s.sheet_id
                       JOIN input_batches b ON b.id = ps.batch_id WHERE b.origin = 'sample')
            OR EXISTS (SELECT 1 FROM fx JOIN fx_rates r ON r.id = fx.fx_rate_id
                       JOIN input_batches b ON b.id = r.batch_id WHERE b.origin = 'sample')) AS sample)`;
}
