/**
 * METHODOLOGY "Registries: nothing leaves on one fetch". A registry is one shared file
 * that anyone edits; an entry lost for one fetch (a bad merge, a half-deployed list) must
 * not delist a model or a whole provider. Only what two consecutive successful fetches of
 * the same source both lack is taken out:
 *
 * - a model of a present provider, absent now but listed by the previous fetch, is
 *   carried into this fetch's sheet at its price on the provider's latest sheet;
 * - a mapped provider absent now and absent from the previous fetch too, whose latest
 *   sheet came from this source and still lists models, is withdrawn (an empty sheet).
 *
 * With no previous fetch on record nothing is carried and nothing withdrawn. Pure: the
 * registry store (store-registry.ts) reads the latest sheets from the database, and is
 * given the previous fetch as parsed.
 */
import type { Unit } from "../values/currencies.ts";
import type { Withdrawal as StoredWithdrawal } from "./store-withdrawal.ts";

/** A sheet document as the registry adapters write it (models as JSON objects). */
export type RegistryDoc = { provider: string; currency: string; unit: string; models: ModelDoc[]; [field: string]: unknown };
export type ModelDoc = { model: string; [field: string]: unknown };

/** What a successful fetch listed: our provider name -> model names. */
export type Listing = ReadonlyMap<string, ReadonlySet<string>>;

/** A provider's latest stored sheet, with whether this source wrote it. */
export type LatestSheet = {
  fromThisSource: boolean;
  country: string;
  currency: string;
  unit: Unit;
  models: readonly ModelDoc[];
};

/** What the rule decides about a withdrawal; the collector adds when, from where and why. */
export type Withdrawal = Pick<StoredWithdrawal, "provider" | "country" | "currency" | "unit" | "models">;

export type TwoFetchResult = {
  docs: RegistryDoc[];
  carried: { provider: string; model: string }[];
  withdrawn: Withdrawal[];
};

export function listingOf(docs: readonly RegistryDoc[]): Listing {
  return new Map(docs.map((d) => [d.provider, new Set(d.models.map((m) => m.model))]));
}

export function applyTwoFetchRule(input: {
  docs: readonly RegistryDoc[];
  previous: Listing | null;
  latest: ReadonlyMap<string, LatestSheet>;
  /** Our providers the source maps (its `providers` values). */
  mapped: ReadonlySet<string>;
}): TwoFetchResult {
  const { previous, latest } = input;
  const carried: TwoFetchResult["carried"] = [];
  const docs = input.docs.map((doc) => {
    const before = previous?.get(doc.provider);
    const sheet = latest.get(doc.provider);
    // Prices are only carried within one currency and unit; a sheet written otherwise is not ours to extend.
    if (!before || !sheet?.fromThisSource || sheet.currency !== doc.currency || sheet.unit !== doc.unit) return doc;
    const listed = new Set(doc.models.map((m) => m.model));
    const kept = sheet.models.filter((m) => !listed.has(m.model) && before.has(m.model));
    if (kept.length === 0) return doc;
    for (const m of kept) carried.push({ provider: doc.provider, model: m.model });
    const models = [...doc.models, ...kept].sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
    return { ...doc, models };
  });

  const withdrawn: Withdrawal[] = [];
  if (previous) {
    const present = new Set(input.docs.map((d) => d.provider));
    for (const provider of [...input.mapped].sort()) {
      if (present.has(provider) || previous.has(provider)) continue;
      const sheet = latest.get(provider);
      if (!sheet?.fromThisSource || sheet.models.length === 0) continue;
      const { country, currency, unit } = sheet;
      withdrawn.push({ provider, country, currency, unit, models: sheet.models.map((m) => m.model) });
    }
  }
  return { docs, carried, withdrawn };
}
