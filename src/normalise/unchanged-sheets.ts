/**
 * "A sheet whose content equals the provider's latest sheet is not stored again": a
 * registry sheet carries the collection time as its `as_of`, so the store's own identity
 * (provider, as_of, content) would take every fetch as new. Here the content is compared
 * with the provider's latest stored sheet, as_of left out.
 */
import { sql } from "drizzle-orm";
import { parse, stringify } from "lossless-json";
import { rows, type Db } from "../db/index.ts";
import { parsePriceSheets } from "../sources/index.ts";
import { canonicalSheet } from "./canonical.ts";
import { validateSheet, type Sheet } from "./sheet.ts";

export type SheetsText = { text: string; providers: string[] };
export type WithoutUnchanged = SheetsText & { unchanged: string[] };

/**
 * The sheets of `input` (a JSON array of sheet documents, one per provider) minus those
 * equal to their provider's latest stored sheet. Sheets that fail the gates are kept, so
 * importPrices quarantines them as usual.
 *
 * `confirming`: providers with a held price. Their sheet is kept even when unchanged: "the
 * provider's next sheet listing the same price confirms it", and a registry that still
 * lists the moved price on the next fetch is that next sheet.
 */
export async function withoutUnchangedSheets(
  db: Db,
  input: SheetsText,
  location = "registry",
  confirming: ReadonlySet<string> = new Set(),
): Promise<WithoutUnchanged> {
  const docs = parse(input.text) as unknown[];
  const kept: unknown[] = [];
  const providers: string[] = [];
  const unchanged: string[] = [];
  for (const [i, doc] of docs.entries()) {
    const v = validateSheet({ kind: "json", location, ordinal: i + 1, raw: stringify(doc) ?? "null", doc });
    if (v.ok && !confirming.has(v.sheet.provider) && (await equalsLatest(db, v.sheet))) {
      unchanged.push(v.sheet.provider);
      continue;
    }
    kept.push(doc);
    providers.push(input.providers[i]!);
  }
  return { text: stringify(kept) ?? "[]", providers, unchanged };
}

async function equalsLatest(db: Db, sheet: Sheet): Promise<boolean> {
  const [latest] = await rows<{ country: string; raw: string }>(
    db,
    sql`select country, raw from price_sheets where provider = ${sheet.provider} order by as_of desc, id desc limit 1`,
  );
  if (!latest) return false;
  const [unit] = parsePriceSheets("stored", latest.raw);
  const stored = unit ? validateSheet(unit) : null;
  if (!stored?.ok) return false;
  // The stored country is the resolved one (the sheet may have left it out).
  const content = (s: Sheet, country: string | null) => canonicalSheet({ ...s, asOf: "", country });
  return content(stored.sheet, latest.country) === content(sheet, sheet.country ?? latest.country);
}
