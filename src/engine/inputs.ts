/**
 * The rulebook's "Inputs at fixing time T (point in time)": what is in force at T, built
 * as temporary tables for the rest of the fixing's transaction. Only rows the database
 * holds now are read; a later recompute of the same T is a new revision. Verifying a stored
 * fixing reads only the rows it recorded (`inputs`, see input-scope.ts).
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/index.ts";
import type { IndexDefinition } from "./definitions.ts";
import { EVERY_STORED_INPUT, inScope, type InputScope } from "./input-scope.ts";

/** Listed price (1): each provider's latest sheet whose as_of <= T is its complete list. */
export async function sheetsInForce(tx: Db, at: string, inputs: InputScope = EVERY_STORED_INPUT): Promise<void> {
  await tx.execute(sql`
    CREATE TEMP TABLE in_force_sheets ON COMMIT DROP AS
    SELECT DISTINCT ON (provider) id AS sheet_id, provider, country, as_of
    FROM price_sheets
    WHERE as_of <= ${at}::timestamptz AND ${inScope(inputs, "sheet", sql`id`)}
    ORDER BY provider, as_of DESC, id DESC`);
}

/** Normalisation (2): the latest rate per currency whose as_of <= T, CNY per unit; CNY is 1. */
export async function fxInForce(tx: Db, at: string, inputs: InputScope = EVERY_STORED_INPUT): Promise<void> {
  await tx.execute(sql`
    CREATE TEMP TABLE fx_in_force ON COMMIT DROP AS
    SELECT DISTINCT ON (currency) id AS fx_rate_id, currency, cny_per_unit
    FROM fx_rates
    WHERE as_of <= ${at}::timestamptz AND currency <> 'CNY' AND ${inScope(inputs, "fx", sql`id`)}
    ORDER BY currency, as_of DESC, id DESC`);
  await tx.execute(sql`INSERT INTO fx_in_force VALUES (NULL, 'CNY', 1)`);
}

/**
 * Usage window (3): W(T) = (T - 7 days, T] on period_end. Of each record key only its
 * latest version counts (a correction supersedes, the old row stays). V_in includes the
 * cached tokens; an unreported cached count is 0.
 */
export async function usageInWindow(tx: Db, def: IndexDefinition, at: string, inputs: InputScope = EVERY_STORED_INPUT): Promise<void> {
  await tx.execute(sql`
    CREATE TEMP TABLE window_usage_records ON COMMIT DROP AS
    SELECT DISTINCT ON (provider, model, period_start, period_end)
           id, provider, model, input_tokens, coalesce(cached_input_tokens, 0) AS cached_input_tokens, output_tokens
    FROM usage_records
    WHERE period_end > ${at}::timestamptz - ${def.usageWindow}::interval
      AND period_end <= ${at}::timestamptz
      AND ${inScope(inputs, "usage", sql`id`)}
    ORDER BY provider, model, period_start, period_end, version DESC`);
  await tx.execute(sql`
    CREATE TEMP TABLE window_usage ON COMMIT DROP AS
    SELECT provider, model,
           sum(input_tokens)::numeric AS v_in,
           sum(cached_input_tokens)::numeric AS v_c,
           sum(output_tokens)::numeric AS v_out
    FROM window_usage_records
    GROUP BY provider, model`);
}
