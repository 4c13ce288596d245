/**
 * What the registry adapters (LiteLLM, OpenRouter) share: USD-per-token prices turned into
 * USD per 1M tokens by moving the decimal point (never a float), and per-provider sheet
 * documents in our price-sheet format, written as the JSON text `importPrices` takes.
 *
 * A registry is one file about many models, edited by many hands: one entry that cannot be
 * a price (a zero placeholder, a missing or unparsable price, a model that is not chat) is
 * skipped with its reason, and the provider's other models still make its sheet. Each price
 * is checked here by the same field rules as the price-sheet gates, so a sheet built from
 * the good entries is never rejected whole for one model's price.
 */
import { LosslessNumber, isLosslessNumber, stringify } from "lossless-json";
import { plainDecimal } from "../values/decimal.ts";
import { jsonCount, jsonPriceValue, name } from "../values/fields.ts";
import { SHEET_SCHEMA } from "./price-sheet.ts";

/** Registry provider key -> our provider and its country (the source's `providers`). */
export type RegistryProviders = Record<string, { provider: string; country: string }>;

export type RegistryOptions = {
  /** The collection time, ISO 8601 with offset: every sheet's `as_of`. */
  asOf: string;
  providers: RegistryProviders;
  /** For error messages (the source's URL or a file path). */
  location: string;
};

/** A registry entry of a mapped provider that cannot be a price: our names, and why. */
export type RegistrySkip = { provider: string; model: string; reason: string };

/** The sheets a registry yields: one per mapped provider that has at least one good model. */
export type RegistrySheets = {
  /** A JSON array of price-sheet documents, numbers written exactly. */
  text: string;
  /** Our provider names, one per sheet in `text`, in that order. */
  providers: string[];
  /** The mapped providers' entries that were skipped, by provider then model. */
  skipped: RegistrySkip[];
};

/** One model line of a sheet document; numbers are LosslessNumber. */
export type SheetModelDoc = { model: string; input?: unknown; cached_input?: unknown; output?: unknown; tiers?: unknown[] };
export type ModelPrices = Omit<SheetModelDoc, "model">;

/**
 * How a registry writes its numbers: LiteLLM as JSON numbers, OpenRouter as decimal
 * strings. A value written otherwise is not read as a number.
 */
export type Encoding = "json-number" | "decimal-string";

/** A number in the registry's encoding as plain decimal text, or null. */
export function decimalText(value: unknown, encoding: Encoding): string | null {
  if (encoding === "json-number") return isLosslessNumber(value) ? plainDecimal(value.value) : null;
  return typeof value === "string" ? plainDecimal(value) : null;
}

/** Plain decimal text x 10^6, exact ("0.00000028" -> "0.28", "-1" -> "-1000000"). */
export function timesMillion(plain: string): string {
  const negative = plain.startsWith("-");
  const [whole = "0", fraction = ""] = (negative ? plain.slice(1) : plain).split(".");
  const padded = fraction.padEnd(6, "0");
  const rest = padded.slice(6);
  const shifted = `${whole}${padded.slice(0, 6)}${rest ? `.${rest}` : ""}`;
  return plainDecimal(`${negative ? "-" : ""}${shifted}`)!;
}

/** Why an entry cannot be a price. Thrown while one entry is read; `readModel` catches it. */
export class NotAPrice extends Error {}

/** The entry's prices, or the reason it is skipped. */
export type ModelLine = { prices: ModelPrices } | { reason: string };

/** Runs an adapter's reading of one entry; a NotAPrice becomes that entry's skip reason. */
export function readModel(read: () => ModelPrices): ModelLine {
  try {
    return { prices: read() };
  } catch (err) {
    if (err instanceof NotAPrice) return { reason: err.message };
    throw err;
  }
}

/** A value as the registry wrote it, short, for a reason. */
export function shown(value: unknown): string {
  const text = isLosslessNumber(value) ? value.value : (stringify(value) ?? String(value));
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** A registry value that may be absent: JSON null counts as absent. */
export const isAbsent = (value: unknown): value is null | undefined => value === undefined || value === null;

/**
 * A registry price in USD per token -> USD per 1M tokens as an exact JSON number, checked
 * by the gates' own price rule (> 0, at most 10^9). `field` names it as the registry does.
 */
export function price(value: unknown, encoding: Encoding, field: string): LosslessNumber {
  if (isAbsent(value)) throw new NotAPrice(`no ${field}`);
  const plain = decimalText(value, encoding);
  if (plain === null) throw new NotAPrice(`${field} ${shown(value)}: not a number`);
  // "Zero does not mean free": registries write 0 where nobody filled the price in.
  if (plain === "0") throw new NotAPrice(`${field} is 0: a placeholder, not a price`);
  const perMillion = new LosslessNumber(timesMillion(plain));
  const gate = jsonPriceValue.safeParse(perMillion);
  if (!gate.success) throw new NotAPrice(`${field} ${shown(value)}: ${gate.error.issues[0]!.message}`);
  return perMillion;
}

/** A price the entry may leave out (a cache price, a tier's component): absent stays absent. */
export function optionalPrice(value: unknown, encoding: Encoding, field: string): LosslessNumber | undefined {
  return isAbsent(value) ? undefined : price(value, encoding, field);
}

/** A token count (a tier threshold) as an exact JSON number, by the gates' own count rule. */
export function tokenCount(value: unknown, encoding: Encoding, field: string): LosslessNumber {
  if (isAbsent(value)) throw new NotAPrice(`no ${field}`);
  const plain = decimalText(value, encoding);
  if (plain === null) throw new NotAPrice(`${field} ${shown(value)}: not a number`);
  const count = new LosslessNumber(plain);
  const gate = jsonCount.safeParse(count);
  if (!gate.success) throw new NotAPrice(`${field} ${shown(value)}: ${gate.error.issues[0]!.message}`);
  return count;
}

/** The model name: the registry key without its `<provider>/` prefix. */
export function withoutPrefix(key: string, registryProvider: string): { model: string; prefixed: boolean } {
  const prefix = `${registryProvider}/`;
  return key.startsWith(prefix) && key.length > prefix.length
    ? { model: key.slice(prefix.length), prefixed: true }
    : { model: key, prefixed: false };
}

/**
 * Collects models per provider (ours: several registry keys may map to one provider, and
 * then they make one sheet). Where one model appears both prefixed and unprefixed, the
 * prefixed entry wins whatever the order, skipped or not (the unprefixed one is the older
 * alias, not a fallback); otherwise the first entry seen is kept.
 */
export class ProviderModels {
  private readonly byProvider = new Map<string, { country: string; models: Map<string, { prefixed: boolean; line: ModelLine }> }>();

  add(target: { provider: string; country: string }, model: string, prefixed: boolean, line: ModelLine): void {
    let entry = this.byProvider.get(target.provider);
    if (!entry) this.byProvider.set(target.provider, (entry = { country: target.country, models: new Map() }));
    // The gates' own name rule (trimmed, not empty, no NUL), so one odd key cannot reject the
    // sheet, and two keys the gates would read as one model are one model here too.
    const named = name.safeParse(model);
    const key = named.success ? named.data : model;
    const kept = named.success ? line : { reason: `model name ${shown(model)}: ${named.error.issues[0]!.message}` };
    const held = entry.models.get(key);
    if (held && (held.prefixed || !prefixed)) return;
    entry.models.set(key, { prefixed, line: kept });
  }

  /**
   * Sheet documents (providers and models in name order) as one JSON array text, and the
   * skipped entries. A provider whose every entry was skipped has no sheet.
   */
  sheets(asOf: string): RegistrySheets {
    const docs: unknown[] = [];
    const providers: string[] = [];
    const skipped: RegistrySkip[] = [];
    for (const provider of [...this.byProvider.keys()].sort(byText)) {
      const { country, models } = this.byProvider.get(provider)!;
      const good: SheetModelDoc[] = [];
      for (const model of [...models.keys()].sort(byText)) {
        const { line } = models.get(model)!;
        if ("reason" in line) skipped.push({ provider, model, reason: line.reason });
        else good.push({ model, ...line.prices });
      }
      if (good.length === 0) continue;
      providers.push(provider);
      docs.push({ schema: SHEET_SCHEMA, provider, country, as_of: asOf, currency: "USD", unit: "per_1m_tokens", models: good });
    }
    return { text: stringify(docs) ?? "[]", providers, skipped };
  }
}

export const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Drops undefined fields, so an absent price stays absent in the document. */
export function compact<T extends Record<string, unknown>>(doc: T): T {
  return Object.fromEntries(Object.entries(doc).filter(([, v]) => v !== undefined)) as T;
}
