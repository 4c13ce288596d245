/**
 * The rulebook's chain-linked level. With prev the previous ok final fixing and M the
 * constituents of prev still constituents at T, each i in M is priced at T's component
 * prices (and FX) but with prev's volumes, so the basket is frozen between two fixings:
 *   level_T = level_prev x sum_M(w_prev x p*_T) / sum_M(w_prev x p_prev);  M empty: level_prev.
 * The chain runs on the published (6-decimal) level, so anyone can continue it from
 * published numbers.
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import { div, roundHalfEven } from "./decimal.ts";
import type { IndexDefinition } from "./definitions.ts";
import { indexPrice } from "./prices.ts";

export type PreviousFixing = { id: string; fixingTime: string; revision: number; value: string; level: string; p25: string | null; p50: string | null; p75: string | null };

/** The previous ok final fixing before T: the latest revision of each earlier final fixing,
 * the most recent of those whose status is ok. Indicative fixings never enter the chain. */
export async function previousOkFinal(tx: Db, def: IndexDefinition, at: string): Promise<PreviousFixing | null> {
  const [prev] = await rows<PreviousFixing>(
    tx,
    sql`
    SELECT id::text, fixing_time AS "fixingTime", revision, value::text, level::text, p25::text, p50::text, p75::text
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

/** A stored fixing as the level chain reads it, by id: verifying a fixing chains from the
 * fixing it recorded (prev_fixing_id, or carried_from_fixing_id), not from the latest now. */
export async function fixingForChain(tx: Db, id: string | null): Promise<PreviousFixing | null> {
  if (id === null) return null;
  const [f] = await rows<PreviousFixing>(
    tx,
    sql`SELECT id::text, fixing_time AS "fixingTime", revision, value::text, level::text, p25::text, p50::text, p75::text
        FROM fixings WHERE id = ${id}::bigint`,
  );
  return f ?? null;
}

/** level_T, rounded half-even to 6 places; the base level when there is no previous fixing. */
export async function chainLevel(tx: Db, def: IndexDefinition, prev: PreviousFixing | null): Promise<string> {
  if (!prev) return (await rows<{ l: string }>(tx, sql`SELECT ${roundHalfEven(sql`${def.baseLevel}::numeric`, 6)}::text AS l`))[0]!.l;
  const frozen = indexPrice(
    def.weighting,
    { input: sql`c.input_price`, cached: sql`c.cached_price`, output: sql`c.output_price` },
    { vIn: sql`b.input_tokens`, vC: sql`b.cached_input_tokens`, vOut: sql`b.output_tokens` },
  );
  const [r] = await rows<{ level: string }>(
    tx,
    sql`
    WITH m AS (
      SELECT b.weight * ${frozen} AS now_term, b.weight * b.price AS prev_term
      FROM fixing_constituents b
      JOIN constituents c ON c.provider = b.provider AND c.model = b.model
      WHERE b.fixing_id = ${prev.id}::bigint
    )
    SELECT CASE WHEN count(*) = 0 OR sum(prev_term) = 0 THEN ${prev.level}::numeric
                ELSE ${roundHalfEven(sql`${prev.level}::numeric * ${div(sql`sum(now_term)`, sql`sum(prev_term)`)}`, 6)}
           END::text AS level
    FROM m`,
  );
  return r!.level;
}
