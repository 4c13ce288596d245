/**
 * The rulebook's chain-linked level [1.1]. With prev the previous ok final fixing and M the
 * constituents of prev that are still constituents at T, each i in M is priced at T's
 * component prices (and FX) but with prev's volumes (p*_i), so the basket is frozen between
 * two fixings:
 *   level_T = round6(L_prev x sum_M(w_prev,i x p*_i) / sum_M(w_prev,i x p_prev,i))
 * with L_prev the PUBLISHED (6-decimal) level of prev; M empty: L_prev.
 *
 * Exact: w_i / V_i is c / V_i for a capped i and (1 - c k) / S_u for an uncapped one (prev's
 * c, k, S_u), and p = C / (V x fx). Multiplying both sums by S_u x P_M (P_M the product of
 * the capped volumes in M) leaves integer-exact factors f_i, so
 *   ratio = (sum_M f_i C*_i x fx_prev) / (sum_M f_i C_prev,i x fx_T).
 * Reads CTEs `con` and `target`; defines `chain` (one row: level, basket size).
 */
import { sql, type SQL } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import type { IndexDefinition } from "./definitions.ts";
import { div40, roundRatio } from "./decimal.ts";
import { indexCost, weightingVolume, type Volumes } from "./prices.ts";
import { CNY_PRICES } from "./constituents.ts";

export type PreviousFixing = {
  id: string;
  fixingTime: string;
  revision: number;
  value: string;
  level: string; // published, 6 decimals
  methodologyVersion: string;
  fxTarget: string | null; // 1.1 only
};

const PREV_COLUMNS = sql`id::text, fixing_time AS "fixingTime", revision, round_half_even(value, 6)::text AS value,
  round_half_even(level, 6)::text AS level, methodology_version AS "methodologyVersion", fx_target::text AS "fxTarget"`;

/** The previous ok final fixing before T: the latest revision of each earlier final fixing,
 * the most recent of those whose status is ok. Indicative fixings never enter the chain. */
export async function previousOkFinal(tx: Db, def: IndexDefinition, at: string): Promise<PreviousFixing | null> {
  const [prev] = await rows<PreviousFixing>(
    tx,
    sql`
    SELECT ${PREV_COLUMNS}
    FROM (
      SELECT DISTINCT ON (fixing_time) *
      FROM fixings
      WHERE index_code = ${def.code} AND kind = 'final' AND fixing_time < ${at}::timestamptz
      ORDER BY fixing_time DESC, revision DESC
    ) latest
    WHERE status = 'ok'
    ORDER BY fixing_time DESC
    LIMIT 1`,
  );
  return prev ?? null;
}

/** A stored fixing as the level chain reads it, by id (verify chains from the recorded one). */
export async function fixingForChain(tx: Db, id: string | null): Promise<PreviousFixing | null> {
  if (id === null) return null;
  const [f] = await rows<PreviousFixing>(tx, sql`SELECT ${PREV_COLUMNS} FROM fixings WHERE id = ${id}::bigint`);
  return f ?? null;
}

const PREV_VOLUMES: Volumes = { vIn: sql`b.input_tokens`, vC: sql`b.cached_input_tokens`, vOut: sql`b.output_tokens` };

/** The CTE `chain`: the level at T (rounded once) and |M|. */
export function chainLevel(def: IndexDefinition, prev: PreviousFixing | null): SQL {
  if (!prev) return sql`chain AS (SELECT round_half_even(${def.baseLevel}::numeric, 6) AS level, 0::bigint AS m)`;
  const frozen = indexCost(def.weighting, CNY_PRICES, PREV_VOLUMES);
  const fxT = sql`(SELECT cny_per_unit FROM target)`;
  const level = sql`${prev.level}::numeric`;
  if (prev.methodologyVersion === "1" || prev.fxTarget === null) return legacyChain(def, prev, frozen, fxT);
  return sql`
  prev_basket AS (
    SELECT b.provider, b.model, b.capped, b.weight_num, b.weight_den, b.volume, b.cost_cny,
           b.input_tokens, b.cached_input_tokens, b.output_tokens
    FROM fixing_constituents b WHERE b.fixing_id = ${prev.id}::bigint),
  prev_shape AS (
    SELECT count(*) FILTER (WHERE capped) AS k, max(weight_num) FILTER (WHERE capped) AS c,
           max(weight_den) FILTER (WHERE NOT capped) AS su
    FROM prev_basket),
  frozen AS (
    SELECT b.capped, b.volume, b.cost_cny, ${frozen} AS cost_now
    FROM prev_basket b JOIN con ON con.provider = b.provider AND con.model = b.model),
  frozen_product AS (SELECT coalesce(numeric_product(volume) FILTER (WHERE capped), 1) AS pm, count(*) AS m FROM frozen),
  chain_terms AS (
    SELECT sum(f * cost_now) * ${prev.fxTarget}::numeric AS num, sum(f * cost_cny) * ${fxT} AS den
    FROM (SELECT fr.*, CASE WHEN fr.capped THEN ps.c * ps.su * div(fp.pm, fr.volume)
                            ELSE (1 - coalesce(ps.c * ps.k, 0)) * fp.pm END AS f
          FROM frozen fr, prev_shape ps, frozen_product fp) t),
  chain AS (
    SELECT CASE WHEN fp.m = 0 OR ct.den IS NULL OR ct.den = 0 THEN ${level}
                ELSE ${roundRatio(sql`${level} * ct.num`, sql`ct.den`, 6)} END AS level,
           fp.m
    FROM chain_terms ct, frozen_product fp)`;
}

/**
 * Chaining from a fixing stored under 1.0: its weights and prices were stored as 40-place
 * quotients (no exact parts), so those stored numbers are the terms, and p*_i is the 1.0
 * division at 40 places. From the first 1.1 fixing on, the chain is exact.
 */
function legacyChain(def: IndexDefinition, prev: PreviousFixing, frozen: SQL, fxT: SQL): SQL {
  const v = weightingVolume(def.weighting, PREV_VOLUMES);
  const level = sql`${prev.level}::numeric`;
  return sql`
  chain_terms AS (
    SELECT sum(b.weight * ${div40(frozen, sql`${v} * ${fxT}`)}) AS num, sum(b.weight * b.price) AS den, count(*) AS m
    FROM fixing_constituents b JOIN con ON con.provider = b.provider AND con.model = b.model
    WHERE b.fixing_id = ${prev.id}::bigint),
  chain AS (
    SELECT CASE WHEN m = 0 OR den = 0 THEN ${level} ELSE ${roundRatio(sql`${level} * num`, sql`den`, 6)} END AS level, m
    FROM chain_terms)`;
}
