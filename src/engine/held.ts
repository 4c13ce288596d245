/** Operator view of held prices and their release (`ciyuan prices held|approve`). */
import { sql } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../db/index.ts";
import { CiyuanError } from "../errors.ts";
import { materialiseHolds, openBatch, visibleWatermark } from "../normalise/index.ts";
import { lockInputs } from "../normalise/payload.ts";
import { acceptedPrices } from "./holds.ts";
import { sheetsInForce } from "./inputs.ts";

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
  return db.transaction(
    async (tx) => {
      const a = { at, watermark: await visibleWatermark(tx) };
      const held = await rows<HeldPrice>(
        tx,
        sql`WITH ${sheetsInForce(a)}, ${acceptedPrices(a)}
            SELECT s.provider, st.model, st.component, s.as_of AS "sheetAsOf", st.listed_price::text AS "heldPrice",
                   st.listed_currency AS "heldCurrency", st.accepted_price::text AS "acceptedPrice",
                   st.accepted_currency AS "acceptedCurrency"
            FROM states st JOIN sheets s ON s.sheet_id = st.sheet_id
            WHERE st.held ORDER BY s.provider, st.model, st.component`,
      );
      return held.map((h) => ({ ...h, sheetAsOf: isoUtc(h.sheetAsOf) }));
    },
    { isolationLevel: "repeatable read" },
  );
}

/** Releases the held prices of (provider, model) on the sheet with that as_of, for fixings
 * at T >= the approval time. Approving twice is refused, not repeated. An approval is an
 * input batch of its own: the held states from that sheet on are walked again under it. */
export async function approvePrice(
  db: Db,
  a: { provider: string; model: string; asOf: string; by?: string },
): Promise<{ id: string; approvedAt: string }> {
  return db.transaction(async (tx) => {
    await lockInputs(tx, "prices"); // approvals and sheets of a provider are walked one writer at a time
    const [listed] = await rows<{ sheet_id: string }>(
      tx,
      sql`SELECT s.id::text AS sheet_id FROM price_sheets s JOIN sheet_models m ON m.sheet_id = s.id
          WHERE s.provider = ${a.provider} AND m.model = ${a.model} AND s.as_of = ${a.asOf}::timestamptz
          ORDER BY s.id LIMIT 1`,
    );
    if (!listed) throw new CiyuanError("not_found", `no sheet of ${a.provider} as of ${a.asOf} lists ${a.model}`);
    const [dup] = await rows(
      tx,
      sql`SELECT 1 FROM price_approvals WHERE provider = ${a.provider} AND model = ${a.model} AND sheet_as_of = ${a.asOf}::timestamptz`,
    );
    if (dup) throw new CiyuanError("conflict", `${a.provider}/${a.model} as of ${a.asOf} is already approved`);
    const batchId = await openBatch(tx, "approval", "operator");
    const [row] = await rows<{ id: string; approved_at: string }>(
      tx,
      sql`INSERT INTO price_approvals (provider, model, sheet_as_of, approved_by, batch_id)
          VALUES (${a.provider}, ${a.model}, ${a.asOf}::timestamptz, ${a.by ?? "cli"}, ${batchId}::bigint)
          RETURNING id::text, approved_at`,
    );
    await materialiseHolds(tx, { provider: a.provider, from: { sheetId: listed.sheet_id }, models: [a.model], batchId });
    return { id: row!.id, approvedAt: isoUtc(row!.approved_at) };
  });
}
