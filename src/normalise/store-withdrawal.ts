/**
 * A provider withdrawn from a registry: a sheet that lists no models, so every model of the
 * provider is delisted from its as_of on, by the ordinary rule "a sheet is the provider's
 * complete list". Only the collectors write one (two-fetch-rule.ts); the import
 * gates still reject a sheet without models, so a file can never withdraw a provider.
 */
import { originOf } from "./batches.ts";
import { stringify } from "lossless-json";
import type { Db } from "../db/index.ts";
import { lockInputs, recordPayload, sha256Hex } from "./payload.ts";
import { SHEET_SCHEMA, type Sheet } from "./sheet.ts";
import { storeSheet } from "./store-sheet.ts";

export type Withdrawal = {
  provider: string;
  country: string;
  currency: string;
  unit: Sheet["unit"];
  /** The models the withdrawn sheet listed, kept in the record for the reader. */
  models: string[];
  asOf: string; // UTC ISO, the collection time
  source: string;
  location: string;
  reason: string;
};

export async function storeWithdrawal(db: Db, w: Withdrawal): Promise<"stored" | "unchanged"> {
  const doc = {
    schema: SHEET_SCHEMA,
    provider: w.provider,
    country: w.country,
    as_of: w.asOf,
    currency: w.currency,
    unit: w.unit,
    models: [],
    withdrawn: { source: w.source, reason: w.reason, models: w.models },
  };
  const raw = stringify(doc)!;
  const payloadId = await db.transaction(async (tx) => {
    await lockInputs(tx, "prices");
    return recordPayload(tx, { kind: "prices", source: w.source, location: w.location, sha256: sha256Hex(raw), bytes: Buffer.byteLength(raw, "utf8"), content: raw });
  });
  const sheet: Sheet = { provider: w.provider, country: w.country, asOf: w.asOf, currency: w.currency, unit: w.unit, models: [] };
  const origin = { location: w.location, label: `withdrawal of ${w.provider}`, provider: w.provider, asOf: w.asOf, raw };
  const result = await storeSheet(db, sheet, origin, { payloadId, batchOrigin: originOf(w.source) });
  return result.status === "stored" ? "stored" : "unchanged";
}
