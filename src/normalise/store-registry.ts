/**
 * A registry (LiteLLM, OpenRouter), read as one sheet per mapped provider (sources/parse.ts),
 * into the store: the two-fetch rule applied against the source's previous successful fetch,
 * unchanged sheets dropped (unless they confirm a held price), the others stored as price
 * sheets are (store-prices.ts), withdrawals stored as empty sheets.
 *
 * Not one sheet for the mapped providers is refused whole (an InputError): the registry
 * changed how it writes prices, or the mapping is wrong, and taken as a successful fetch it
 * would start withdrawing every provider.
 */
import { sql } from "drizzle-orm";
import { parse, stringify } from "lossless-json";
import { rows, type Db } from "../db/index.ts";
import { InputError } from "../errors.ts";
import { parsePriceSheets } from "../sources/index.ts";
import type { RegistryInput } from "../sources/parse.ts";
import type { Unit } from "../values/currencies.ts";
import type { ImportOutcome } from "./outcome.ts";
import { storePriceSheets } from "./store-prices.ts";
import type { InputOrigin } from "./store-input.ts";
import { storeWithdrawal } from "./store-withdrawal.ts";
import { applyTwoFetchRule, listingOf, type LatestSheet, type RegistryDoc } from "./two-fetch-rule.ts";
import { withoutUnchangedSheets } from "./unchanged-sheets.ts";

export const WITHDRAWAL_REASON = "absent from two consecutive successful fetches";

/**
 * `confirming`: the providers with a held price now (the engine tells them; the caller
 * asks it). Their sheet is stored even when unchanged, since it confirms the held price.
 * `notes`: what the registry rules did beyond storing sheets, for the run's detail line.
 */
export async function storeRegistry(
  db: Db,
  input: RegistryInput,
  origin: InputOrigin,
  confirming: ReadonlySet<string>,
): Promise<ImportOutcome & { notes: string[] }> {
  const { location, sheets } = input;
  const mapped = new Set(input.mapped);
  if (sheets.providers.length === 0 && mapped.size > 0) {
    const first = sheets.skipped[0];
    const reason = first
      ? `no entry of the mapped providers is a price: ${sheets.skipped.length} skipped (first ${first.provider}/${first.model}: ${first.reason})`
      : `none of the mapped providers (${[...mapped].sort().join(", ")}) is in the registry`;
    throw new InputError(location, undefined, undefined, reason);
  }

  const docs = parse(sheets.text) as RegistryDoc[];
  const previous = input.previous === null ? null : listingOf(parse(input.previous.text) as RegistryDoc[]);
  const rule = applyTwoFetchRule({ docs, previous, latest: await latestSheets(db, origin.source, mapped), mapped });

  const fresh = await withoutUnchangedSheets(db, { text: stringify(rule.docs) ?? "[]", providers: sheets.providers }, location, confirming);
  let outcome: ImportOutcome = { location, stored: 0, unchanged: 0, rejected: [] };
  if (fresh.providers.length > 0) {
    // The sheets made of the registry are their own payload: the fetched body is the collector's record.
    const stored = await storePriceSheets(db, { kind: "price-sheets", location, text: fresh.text, units: parsePriceSheets(location, fresh.text, "json") }, { source: origin.source });
    outcome = { location, stored: stored.stored, unchanged: stored.unchanged, rejected: stored.rejected };
  }
  outcome = { ...outcome, unchanged: outcome.unchanged + fresh.unchanged.length };

  for (const w of rule.withdrawn) {
    const stored = await storeWithdrawal(db, { ...w, asOf: input.asOf, source: origin.source, location, reason: WITHDRAWAL_REASON });
    if (stored === "stored") outcome = { ...outcome, stored: outcome.stored + 1 };
  }

  const notes: string[] = [];
  if (sheets.skipped.length > 0) notes.push(`${sheets.skipped.length} skipped`);
  if (rule.carried.length > 0) notes.push(`carried once: ${rule.carried.map((c) => `${c.provider}/${c.model}`).join(", ")}`);
  if (rule.withdrawn.length > 0) notes.push(`withdrawn: ${rule.withdrawn.map((w) => w.provider).join(", ")}`);
  return { ...outcome, notes };
}

/** Each mapped provider's latest stored sheet, and whether this source wrote it. */
async function latestSheets(db: Db, sourceName: string, mapped: ReadonlySet<string>): Promise<Map<string, LatestSheet>> {
  if (mapped.size === 0) return new Map();
  const found = await rows<{ provider: string; country: string; currency: string; unit: string; raw: string; source: string | null }>(
    db,
    sql`SELECT DISTINCT ON (s.provider) s.provider, s.country, s.currency, s.unit, s.raw, p.source
        FROM price_sheets s LEFT JOIN payloads p ON p.id = s.payload_id
        WHERE s.provider IN (${sql.join([...mapped].map((m) => sql`${m}`), sql`, `)})
        ORDER BY s.provider, s.as_of DESC, s.id DESC`,
  );
  const latest = new Map<string, LatestSheet>();
  for (const r of found) {
    const models = r.source === sourceName ? modelsOf(r.raw) : null;
    latest.set(r.provider, {
      fromThisSource: models !== null,
      country: r.country,
      currency: r.currency,
      unit: r.unit as Unit,
      models: models ?? [],
    });
  }
  return latest;
}

/** The model entries of a stored registry sheet's JSON text; null when it is not one. */
function modelsOf(raw: string): RegistryDoc["models"] | null {
  try {
    const doc = parse(raw) as Partial<RegistryDoc> | null;
    return Array.isArray(doc?.models) ? doc.models : null;
  } catch {
    return null;
  }
}
