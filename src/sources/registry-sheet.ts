/**
 * What the registry adapters (LiteLLM, OpenRouter) share: USD-per-token prices turned into
 * USD per 1M tokens by moving the decimal point (never a float), and per-provider sheet
 * documents in our price-sheet format, written as the JSON text `importPrices` takes.
 *
 * A value that is present but not a usable number is passed into the sheet unchanged, so
 * the price-sheet gates (not this module) reject that provider's sheet and quarantine it.
 */
import { LosslessNumber, isLosslessNumber, stringify } from "lossless-json";
import { plainDecimal } from "../normalise/decimal.ts";
import { SHEET_SCHEMA } from "../normalise/sheet.ts";

/** Registry provider key -> our provider and its country (the source's `providers`). */
export type RegistryProviders = Record<string, { provider: string; country: string }>;

export type RegistryOptions = {
  /** The collection time, ISO 8601 with offset: every sheet's `as_of`. */
  asOf: string;
  providers: RegistryProviders;
  /** For error messages (the source's URL or a file path). */
  location: string;
};

/** The sheets a registry yields: one per mapped provider that has at least one model. */
export type RegistrySheets = {
  /** A JSON array of price-sheet documents, numbers written exactly. */
  text: string;
  /** Our provider names, one per sheet in `text`, in that order. */
  providers: string[];
};

/** One model line of a sheet document; numbers are LosslessNumber, other values as found. */
export type SheetModelDoc = { model: string; input?: unknown; cached_input?: unknown; output?: unknown; tiers?: unknown[] };

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

/**
 * A registry price in USD per token -> USD per 1M tokens as an exact JSON number.
 * Absent stays absent, null stays null; anything that is not a number is kept as it was,
 * for the gates to reject.
 */
export function perMillion(value: unknown, encoding: Encoding): unknown {
  if (value === undefined || value === null) return value;
  const plain = decimalText(value, encoding);
  return plain === null ? value : new LosslessNumber(timesMillion(plain));
}

/** A token count (a tier threshold) as an exact JSON number when it is one. */
export function countNumber(value: unknown, encoding: Encoding): unknown {
  const plain = decimalText(value, encoding);
  return plain === null ? value : new LosslessNumber(plain);
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
 * prefixed entry wins whatever the order; otherwise the first entry seen is kept.
 */
export class ProviderModels {
  private readonly byProvider = new Map<string, { country: string; models: Map<string, { prefixed: boolean; doc: SheetModelDoc }> }>();

  add(target: { provider: string; country: string }, doc: SheetModelDoc, prefixed: boolean): void {
    let entry = this.byProvider.get(target.provider);
    if (!entry) this.byProvider.set(target.provider, (entry = { country: target.country, models: new Map() }));
    const held = entry.models.get(doc.model);
    if (held && (held.prefixed || !prefixed)) return;
    entry.models.set(doc.model, { prefixed, doc });
  }

  /** Sheet documents (providers and models in name order) as one JSON array text. */
  sheets(asOf: string): RegistrySheets {
    const docs: unknown[] = [];
    const providers = [...this.byProvider.keys()].sort(byText);
    for (const provider of providers) {
      const { country, models } = this.byProvider.get(provider)!;
      docs.push({
        schema: SHEET_SCHEMA,
        provider,
        country,
        as_of: asOf,
        currency: "USD",
        unit: "per_1m_tokens",
        models: [...models.values()].map((m) => m.doc).sort((a, b) => byText(a.model, b.model)),
      });
    }
    return { text: stringify(docs) ?? "[]", providers };
  }
}

export const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Drops undefined fields, so an absent price stays absent in the document. */
export function compact<T extends Record<string, unknown>>(doc: T): T {
  return Object.fromEntries(Object.entries(doc).filter(([, v]) => v !== undefined)) as T;
}
