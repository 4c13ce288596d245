/**
 * A registry body (LiteLLM, OpenRouter) into price sheets: one sheet per mapped provider,
 * the two-fetch rule applied against the source's previous successful fetch, unchanged
 * sheets dropped (unless they confirm a held price), withdrawals stored as empty sheets.
 * Entries that cannot be prices are skipped per model and returned, for the run record.
 */
import { sql } from "drizzle-orm";
import { parse, stringify } from "lossless-json";
import { rows, type Db } from "../db/index.ts";
import { heldPrices } from "../engine/held.ts";
import { InputError } from "../errors.ts";
import { importPrices, storeWithdrawal, withoutUnchangedSheets, type ImportOutcome, type Unit } from "../normalise/index.ts";
import type { SourceConfig } from "../sources/config.ts";
import { litellmSheets } from "../sources/litellm.ts";
import { openrouterSheets } from "../sources/openrouter.ts";
import type { RegistrySheets, RegistrySkip } from "../sources/registry-sheet.ts";
import { lastOkPayload, payloadContent } from "./record.ts";
import { applyTwoFetchRule, listingOf, type LatestSheet, type Listing, type RegistryDoc } from "./two-fetch-rule.ts";

/** `skipped`: the mapped providers' entries that could not be prices, with why. */
export type RegistryImport = { outcome: ImportOutcome; notes: string[]; skipped: RegistrySkip[] };

/**
 * Every entry of the mapped providers was skipped: most likely the registry changed how it
 * writes prices. Taken as a successful fetch it would start withdrawing every provider, so
 * the source fails, and the run still records which entries and why.
 */
export class NothingPriced extends InputError {
  constructor(
    location: string,
    readonly skipped: RegistrySkip[],
  ) {
    const first = skipped[0]!;
    super(location, undefined, undefined, `no entry of the mapped providers is a price: ${skipped.length} skipped (first ${first.provider}/${first.model}: ${first.reason})`);
  }
}

/** The skipped entries a failure carries (a NothingPriced), if any. */
export function skippedIn(err: unknown): { skipped: RegistrySkip[] } | Record<string, never> {
  return err instanceof NothingPriced ? { skipped: err.skipped } : {};
}

export const WITHDRAWAL_REASON = "absent from two consecutive successful fetches";

export async function importRegistry(db: Db, source: SourceConfig, text: string, now: Date): Promise<RegistryImport> {
  const location = source.url;
  const providers = source.providers ?? {};
  const toSheets = (body: string): RegistrySheets =>
    (source.kind === "litellm" ? litellmSheets : openrouterSheets)(body, { asOf: now.toISOString(), providers, location });
  const fetched = toSheets(text);
  const mapped = new Set(Object.values(providers).map((p) => p.provider));
  // Not one mapped provider: the registry changed shape or the mapping is wrong. Taken as
  // a successful fetch it would start withdrawing every provider; it is a failure instead.
  if (fetched.providers.length === 0 && mapped.size > 0) {
    if (fetched.skipped.length > 0) throw new NothingPriced(location, fetched.skipped);
    throw new InputError(location, undefined, undefined, `none of the mapped providers (${[...mapped].sort().join(", ")}) is in the registry`);
  }

  const docs = parse(fetched.text) as RegistryDoc[];
  // A not-modified run confirms the body of the last ok one, so that is the previous fetch.
  const previousId = await lastOkPayload(db, source.name);
  const previousBody = previousId === null ? null : await payloadContent(db, previousId, location);
  const previous = previousBody === null ? null : previousListing(() => toSheets(previousBody));
  const rule = applyTwoFetchRule({ docs, previous, latest: await latestSheets(db, source.name, mapped), mapped });

  const confirming = new Set((await heldPrices(db, now.toISOString())).map((h) => h.provider));
  const sheets = { text: stringify(rule.docs) ?? "[]", providers: fetched.providers };
  const fresh = await withoutUnchangedSheets(db, sheets, location, confirming);
  let outcome: ImportOutcome = { location, stored: 0, unchanged: 0, rejected: [] };
  if (fresh.providers.length > 0) outcome = await importPrices(db, { location, text: fresh.text, source: source.name });
  outcome = { ...outcome, unchanged: outcome.unchanged + fresh.unchanged.length };

  for (const w of rule.withdrawn) {
    const stored = await storeWithdrawal(db, {
      ...w,
      asOf: now.toISOString(),
      source: source.name,
      location,
      reason: WITHDRAWAL_REASON,
    });
    if (stored === "stored") outcome = { ...outcome, stored: outcome.stored + 1 };
  }

  const notes: string[] = [];
  if (fetched.skipped.length > 0) notes.push(`${fetched.skipped.length} skipped`);
  if (rule.carried.length > 0) notes.push(`carried once: ${rule.carried.map((c) => `${c.provider}/${c.model}`).join(", ")}`);
  if (rule.withdrawn.length > 0) notes.push(`withdrawn: ${rule.withdrawn.map((w) => w.provider).join(", ")}`);
  return { outcome, notes, skipped: fetched.skipped };
}

/**
 * What the previous fetch listed. A body that no longer reads (a parser made stricter since)
 * counts as no previous fetch: nothing is carried or withdrawn on its evidence.
 */
function previousListing(read: () => RegistrySheets): Listing | null {
  try {
    return listingOf(parse(read().text) as RegistryDoc[]);
  } catch {
    return null;
  }
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
