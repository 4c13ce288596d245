/** Operator view of held prices and their release (`ciyuan prices held|approve`). */
import { sql } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../db/index.ts";
import { CiyuanError } from "../errors.ts";
import { sheetsInForce } from "./inputs.ts";
import { listedPricesWithHolds } from "./holds.ts";

export type HeldPrice = {
  provider: string;
  model: string;
  component: string;
  sheetAsOf: string;
  heldPrice: string; // per 1M tokens in its listed currency
  heldCurrency: string;
  acceptedPrice: string; // the price still in force
  acceptedCurrency: string;
};

/** Prices held at T (default now): listed on the sheet in force but not yet accepted. */
export async function heldPrices(db: Db, at: string): Promise<HeldPrice[]> {
  return db.transaction(async (tx) => {
    await sheetsInForce(tx, at);
    await listedPricesWithHolds(tx, at);
    const held = await rows<HeldPrice>(
      tx,
      sql`SELECT provider, model, component, as_of AS "sheetAsOf", listed_price::text AS "heldPrice",
                 listed_currency AS "heldCurrency", accepted_price::text AS "acceptedPrice",
                 accepted_currency AS "acceptedCurrency"
          FROM listed_prices WHERE held ORDER BY provider, model, component`,
    );
    return held.map((h) => ({ ...h, sheetAsOf: isoUtc(h.sheetAsOf) }));
  });
}

/** Releases the held prices of (provider, model) on the sheet with that as_of, for fixings
 * at T >= the approval time. Approving twice is refused, not repeated. */
export async function approvePrice(
  db: Db,
  a: { provider: string; model: string; asOf: string; by?: string },
): Promise<{ id: string; approvedAt: string }> {
  return db.transaction(async (tx) => {
    const listed = await rows(
      tx,
      sql`SELECT 1 FROM price_sheets s JOIN sheet_models m ON m.sheet_id = s.id
          WHERE s.provider = ${a.provider} AND m.model = ${a.model} AND s.as_of = ${a.asOf}::timestamptz LIMIT 1`,
    );
    if (listed.length === 0) {
      throw new CiyuanError("not_found", `no sheet of ${a.provider} as of ${a.asOf} lists ${a.model}`);
    }
    const [row] = await rows<{ id: string; approved_at: string }>(
      tx,
      sql`INSERT INTO price_approvals (provider, model, sheet_as_of, approved_by)
          VALUES (${a.provider}, ${a.model}, ${a.asOf}::timestamptz, ${a.by ?? "cli"})
          ON CONFLICT DO NOTHING RETURNING id::text, approved_at`,
    );
    if (!row) throw new CiyuanError("conflict", `${a.provider}/${a.model} as of ${a.asOf} is already approved`);
    return { id: row.id, approvedAt: isoUtc(row.approved_at) };
  });
}
