/**
 * `importPrices`: a file of price sheets in (`ciyuan import prices`, the sample): parsed
 * (sources/parse.ts) and stored sheet by sheet (store-prices.ts), as a collected body is.
 */
import type { Db } from "../db/index.ts";
import { priceSheetsInput } from "../sources/parse.ts";
import { readInputFile, type ImportOutcome } from "./outcome.ts";
import { storePriceSheets } from "./store-prices.ts";

export type ImportPricesInput = { location: string; text: string; source?: string; knownCountries?: Record<string, string> };

export async function importPrices(db: Db, input: ImportPricesInput): Promise<ImportOutcome> {
  // Text from a caller that decoded it itself is held to the same rule as a file (text.ts).
  const parsed = priceSheetsInput(input.location, input.text);
  const { location, stored, unchanged, rejected } = await storePriceSheets(db, parsed, { source: input.source ?? "file" }, { knownCountries: input.knownCountries });
  return { location, stored, unchanged, rejected };
}

export async function importPriceFile(
  db: Db,
  path: string,
  opts: { source?: string; knownCountries?: Record<string, string> } = {},
): Promise<ImportOutcome> {
  return importPrices(db, { location: path, text: await readInputFile(path), ...opts });
}
