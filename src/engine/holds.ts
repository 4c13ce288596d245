/**
 * Held prices (rulebook, "Data quality gates"). Each component price still listed at T is
 * walked through the provider's sheets that list it, oldest first, per 1M tokens in its
 * listed currency. A price is accepted when it moves by at most 80 % from the last
 * accepted price; otherwise it is held and the last accepted price stays in force, until
 * the next sheet lists the same price again (confirmed from that sheet's as_of) or an
 * operator approval at time A <= T releases it. Everything is a function of the sheets
 * and approvals in force at T, so a recompute gives the same answer.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/index.ts";
import { EVERY_STORED_INPUT, inScope, type InputScope } from "./input-scope.ts";

/** Listed unit -> per 1M tokens, for a `sheet_models` row aliased `m`. */
export const UNIT_FACTOR = sql`CASE m.unit WHEN 'per_token' THEN 1000000 WHEN 'per_1k_tokens' THEN 1000 ELSE 1 END`;

/**
 * The walk itself, as the CTEs `history` and `walk` for a statement to select from: one
 * row per (provider, model, component) and sheet listing it with as_of <= T, oldest first
 * (`n`), with the price accepted after that sheet and whether this sheet's price is held.
 * `scope` limits the listings walked (a condition on `s` price_sheets and `m` sheet_models);
 * `inputs` limits the sheets and approvals read to those a stored fixing recorded.
 * Shared by the fixing (what is in force at T) and the published price history.
 */
export function holdWalk(at: string, scope: SQL, inputs: InputScope = EVERY_STORED_INPUT): SQL {
  return sql`
    WITH RECURSIVE history AS (
      SELECT s.provider, m.model, c.component, s.id AS sheet_id, s.as_of, m.currency,
             c.price * ${UNIT_FACTOR} AS price,
             row_number() OVER (PARTITION BY s.provider, m.model, c.component ORDER BY s.as_of, s.id) AS n
      FROM price_sheets s
      JOIN sheet_models m ON m.sheet_id = s.id
      CROSS JOIN LATERAL (VALUES ('input', m.input), ('cached_input', m.cached_input), ('output', m.output))
        AS c(component, price)
      WHERE s.as_of <= ${at}::timestamptz
        AND ${inScope(inputs, "sheet", sql`s.id`)}
        AND c.price IS NOT NULL
        AND ${scope}
    ),
    walk AS (
      SELECT provider, model, component, n, sheet_id, as_of, currency, price,
             price AS accepted_price, currency AS accepted_currency, sheet_id AS accepted_sheet_id,
             false AS held
      FROM history WHERE n = 1
      UNION ALL
      SELECT h.provider, h.model, h.component, h.n, h.sheet_id, h.as_of, h.currency, h.price,
             CASE WHEN d.accept THEN h.price ELSE w.accepted_price END,
             CASE WHEN d.accept THEN h.currency ELSE w.accepted_currency END,
             CASE WHEN d.accept THEN h.sheet_id ELSE w.accepted_sheet_id END,
             NOT d.accept
      FROM walk w
      JOIN history h ON h.provider = w.provider AND h.model = w.model AND h.component = w.component AND h.n = w.n + 1
      CROSS JOIN LATERAL (SELECT (
          -- a move of at most 80 % from the last accepted price
          (h.currency = w.accepted_currency AND abs(h.price - w.accepted_price) <= 0.8 * w.accepted_price)
          -- the next sheet listing the same (held) price confirms it
          OR (w.held AND h.currency = w.currency AND h.price = w.price)
          -- an operator approval in force at T releases it
          OR EXISTS (SELECT 1 FROM price_approvals a
                     WHERE a.provider = h.provider AND a.model = h.model AND a.sheet_as_of = h.as_of
                       AND a.approved_at <= ${at}::timestamptz AND ${inScope(inputs, "approval", sql`a.id`)})
        ) AS accept) d
    )`;
}

/** Builds `listed_prices`: (provider, model, component) -> accepted price at T, per 1M tokens. */
export async function listedPricesWithHolds(tx: Db, at: string, inputs: InputScope = EVERY_STORED_INPUT): Promise<void> {
  const stillListed = sql`EXISTS (SELECT 1 FROM in_force_sheets f JOIN sheet_models fm ON fm.sheet_id = f.sheet_id
                    WHERE f.provider = s.provider AND fm.model = m.model)`;
  await tx.execute(sql`
    CREATE TEMP TABLE listed_prices ON COMMIT DROP AS
    ${holdWalk(at, stillListed, inputs)}
    SELECT DISTINCT ON (w.provider, w.model, w.component)
           w.provider, w.model, w.component, w.sheet_id, w.as_of, w.price AS listed_price, w.currency AS listed_currency,
           w.accepted_price, w.accepted_currency, w.accepted_sheet_id, w.held
    FROM walk w
    ORDER BY w.provider, w.model, w.component, w.n DESC`);
  // A component counts only when the sheet in force lists it (its last listing is that sheet).
  await tx.execute(sql`
    DELETE FROM listed_prices l
    WHERE NOT EXISTS (SELECT 1 FROM in_force_sheets f WHERE f.provider = l.provider AND f.sheet_id = l.sheet_id)`);
}
