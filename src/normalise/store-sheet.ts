/**
 * Stores one accepted sheet: price_sheets + sheet_models in one transaction. The same
 * sheet again (provider, as_of, content) changes nothing.
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import { contentSha256, jsonText } from "./canonical.ts";
import { openBatch, type Origin } from "./batches.ts";
import { materialiseHolds } from "./hold-states.ts";
import { lockInputs, sha256Hex } from "./payload.ts";
import { noticeSheetStored } from "./sheet-notice.ts";
import type { Sheet, SheetOrigin } from "./sheet.ts";

export type StoreSheetResult =
  | { status: "stored"; sheetId: string }
  | { status: "unchanged" }
  | { status: "rejected"; field: string; reason: string };

export type StoreSheetOptions = {
  payloadId: string | null;
  /** Where the sheet came from: its batch's origin. */
  batchOrigin: Origin;
  knownCountries?: Record<string, string> | undefined;
  /**
   * Part of a file whose importer ends with durableBarrier(): this sheet's commit need not
   * wait for its own WAL flush (a flush per sheet made a file of thousands of sheets wait
   * on the disk thousands of times). A crash before the barrier may lose such commits
   * whole, never half, and the importer has not reported success yet.
   */
  deferFlush?: boolean;
};

export async function storeSheet(db: Db, sheet: Sheet, origin: SheetOrigin, opts: StoreSheetOptions): Promise<StoreSheetResult> {
  return db.transaction(async (tx) => {
    if (opts.deferFlush) await tx.execute(sql`set local synchronous_commit = off`);
    await lockInputs(tx, "prices");
    const country = await resolveCountry(tx, sheet, opts.knownCountries);
    if (!country) {
      const reason = `unknown_country: the sheet has no country and none is known for provider ${JSON.stringify(sheet.provider)}`;
      return { status: "rejected", field: "country", reason };
    }
    const identity = sql`provider = ${sheet.provider} and as_of = ${sheet.asOf}::timestamptz and content_sha256 = ${contentSha256(sheet)}`;
    // Writers of prices take turns (lockInputs), so nothing stores this sheet meanwhile.
    const [existing] = await rows(tx, sql`select 1 from price_sheets where ${identity} limit 1`);
    if (existing) return { status: "unchanged" };
    const batchId = await openBatch(tx, sheet.models.length === 0 ? "withdrawal" : "prices", opts.batchOrigin, opts.payloadId);
    const [made] = await rows<{ id: string }>(
      tx,
      sql`insert into price_sheets (provider, country, country_source, as_of, currency, unit, raw, raw_sha256, content_sha256, payload_id, batch_id)
          values (${sheet.provider}, ${country.code}, ${country.source}, ${sheet.asOf}::timestamptz, ${sheet.currency}, ${sheet.unit},
                  ${origin.raw}, ${sha256Hex(origin.raw)}, ${contentSha256(sheet)}, ${opts.payloadId}::bigint, ${batchId}::bigint)
          returning id`,
    );
    // /v1/stream hears it at commit (price_change events); a rolled-back store notifies nobody.
    await noticeSheetStored(tx, made!.id);
    // A withdrawal (store-withdrawal.ts) lists no models: the sheet row alone says so.
    if (sheet.models.length === 0) return { status: "stored", sheetId: made!.id };
    const values = sheet.models.map(
      (m) => sql`(${made!.id}::bigint, ${m.model}, ${m.currency}, ${m.unit}, ${m.input}::numeric, ${m.cachedInput}::numeric,
                  ${m.output}::numeric, ${m.tiers ? jsonText(m.tiers) : null}::jsonb, ${m.offPeak ? jsonText(m.offPeak) : null}::jsonb)`,
    );
    await tx.execute(sql`insert into sheet_models (sheet_id, model, currency, unit, input, cached_input, output, tiers, off_peak)
                         values ${sql.join(values, sql`, `)}`);
    await materialiseHolds(tx, { provider: sheet.provider, from: { sheetId: made!.id }, models: sheet.models.map((m) => m.model), batchId });
    return { status: "stored", sheetId: made!.id };
  });
}

type Country = { code: string; source: "sheet" | "provider_history" | "source_config" };

/** The sheet's own country, else the provider's latest earlier accepted sheet's, else the source configuration's. */
async function resolveCountry(db: Db, sheet: Sheet, known: Record<string, string> | undefined): Promise<Country | null> {
  if (sheet.country) return { code: sheet.country, source: "sheet" };
  const [earlier] = await rows<{ country: string }>(
    db,
    sql`select country from price_sheets where provider = ${sheet.provider} and as_of < ${sheet.asOf}::timestamptz
        order by as_of desc, id desc limit 1`,
  );
  if (earlier) return { code: earlier.country, source: "provider_history" };
  const configured = known?.[sheet.provider];
  return configured ? { code: configured, source: "source_config" } : null;
}

/**
 * Waits until every commit made so far is on disk: a transaction with an id commits
 * synchronously, and its WAL flush covers every earlier commit record.
 */
export async function durableBarrier(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`set local synchronous_commit = on`);
    await tx.execute(sql`select txid_current()`);
  });
}
