/**
 * LiteLLM's model price registry (`model_prices_and_context_window.json`) -> one price
 * sheet per mapped provider, USD per 1M tokens. The registry is one JSON object keyed by
 * model; prices are USD per single token as JSON numbers (`2.8e-07`), read as their exact
 * text (lossless-json) and shifted by six decimal places, never through a float.
 * `tiered_pricing` and `*_above_<N>k_tokens` prices become the sheet's tiers by prompt
 * tokens; the lowest tier is the standard price when no flat price is given.
 *
 * An entry of a mapped provider that cannot be a price (not chat or completion, a zero
 * placeholder such as volcengine's, a missing or unparsable price) is skipped with its reason.
 */
import { z } from "zod";
import { LosslessNumber, isLosslessNumber, parse } from "lossless-json";
import { plainDecimal } from "../values/decimal.ts";
import { InputError } from "../errors.ts";
import {
  NotAPrice,
  ProviderModels,
  compact,
  decimalText,
  isAbsent,
  optionalPrice,
  price,
  readModel,
  shown,
  tokenCount,
  withoutPrefix,
  type ModelPrices,
  type RegistryOptions,
  type RegistrySheets,
} from "./registry-sheet.ts";

const NUM = "json-number";

/** Modes priced per token that the index takes; an entry without `mode` is not taken. */
export const LITELLM_MODES = ["chat", "completion"] as const;

// Only what says whose entry it is; everything else is read per entry, so a malformed field
// skips that entry with a reason instead of hiding it.
const entrySchema = z.looseObject({ litellm_provider: z.string() });
type Entry = z.infer<typeof entrySchema>;

const registrySchema = z.record(z.string(), z.unknown());

/** Parses the registry text; throws InputError when it is not a JSON object. */
export function litellmSheets(text: string, opts: RegistryOptions): RegistrySheets {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new InputError(opts.location, undefined, undefined, `not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const registry = registrySchema.safeParse(isJsonObject(doc) ? doc : undefined);
  if (!registry.success) throw new InputError(opts.location, undefined, undefined, "not a LiteLLM registry: expected one JSON object keyed by model");

  const collected = new ProviderModels();
  for (const [key, value] of Object.entries(registry.data)) {
    // `sample_spec`, the mirror's `last_updated` and any odd entry fail here and are ignored.
    const parsed = entrySchema.safeParse(isJsonObject(value) ? value : undefined);
    if (!parsed.success) continue;
    const entry = parsed.data;
    const target = opts.providers[entry.litellm_provider];
    if (!target) continue;
    const { model, prefixed } = withoutPrefix(key, entry.litellm_provider);
    collected.add(target, model, prefixed, readModel(() => modelPrices(entry)));
  }
  return collected.sheets(opts.asOf);
}

/** A price as the entry gives it, with the registry's name for it (for a skip reason). */
type Field = { value: unknown; field: string };
/** One prompt-length tier: from how many prompt tokens, and its prices. */
type Tier = { from: Field; input: Field; cached: Field; output: Field };

/** The entry's prices per 1M tokens; throws NotAPrice when it cannot be a price. */
function modelPrices(entry: Entry): ModelPrices {
  const mode = entry.mode;
  if (typeof mode !== "string" || !(LITELLM_MODES as readonly string[]).includes(mode)) {
    throw new NotAPrice(`${isAbsent(mode) ? "no mode" : `mode ${shown(mode)}`}: not a chat or completion model`);
  }
  const flat = prices(entry, (f) => f);
  const listed = listedTiers(entry.tiered_pricing);
  const bounds = new Set(listed.map((t) => decimalText(t.from.value, NUM)));
  const extra = aboveTiers(entry).filter((t) => !bounds.has(decimalText(t.from.value, NUM)));
  const tiers = [...listed, ...extra].sort((a, b) => compareThreshold(a.from.value, b.from.value));
  const hasFlat = [flat.input, flat.cached, flat.output].some((p) => !isAbsent(p.value));
  if (!hasFlat && tiers.length === 0) throw new NotAPrice("no per-token price");
  // Without flat prices the lowest tier is the standard price (rulebook: lowest input-length tier).
  const [base, above] = hasFlat ? [flat, tiers] : [tiers[0]!, tiers.slice(1)];
  // A chat model is priced on what goes in and what comes out: both must be there.
  const standard = {
    input: price(base.input.value, NUM, base.input.field),
    cached_input: optionalPrice(base.cached.value, NUM, base.cached.field),
    output: price(base.output.value, NUM, base.output.field),
  };
  const higher = above
    .filter((t) => !startsAtZero(t))
    .map((t) =>
      compact({
        min_input_tokens: tokenCount(t.from.value, NUM, t.from.field),
        input: optionalPrice(t.input.value, NUM, t.input.field),
        cached_input: optionalPrice(t.cached.value, NUM, t.cached.field),
        output: optionalPrice(t.output.value, NUM, t.output.field),
      }),
    );
  return compact({ ...standard, tiers: higher.length > 0 ? higher : undefined });
}

/** The input, cached input and output prices of an entry or tier; `name` maps a LiteLLM key to how it is written there. */
function prices(source: Record<string, unknown>, name: (key: string) => string): Omit<Tier, "from"> {
  const field = (key: string): Field => ({ value: source[key], field: name(key) });
  // `cache_read_input_token_cost`, else DeepSeek's legacy `input_cost_per_token_cache_hit`.
  const cacheKey = source.cache_read_input_token_cost !== undefined ? "cache_read_input_token_cost" : "input_cost_per_token_cache_hit";
  return { input: field("input_cost_per_token"), cached: field(cacheKey), output: field("output_cost_per_token") };
}

/** `tiered_pricing`: a list of `{range: [from, to], ...prices}`. */
function listedTiers(value: unknown): Tier[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new NotAPrice(`tiered_pricing ${shown(value)}: not a list of tiers`);
  return value.map((t: unknown, i) => {
    const at = `tiered_pricing[${i}]`;
    if (!isJsonObject(t)) throw new NotAPrice(`${at} ${shown(t)}: not a tier`);
    const from = Array.isArray(t.range) ? { value: t.range[0], field: `${at}.range[0]` } : { value: t.range, field: `${at}.range` };
    return { from, ...prices(t, (key) => `${at}.${key}`) };
  });
}

/** `input_cost_per_token_above_200k_tokens` and the like, as tiers from 200,000 prompt tokens. */
const ABOVE = /^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost)_above_(\d{1,7})k_tokens$/;

function aboveTiers(entry: Entry): Tier[] {
  const byBound = new Map<string, Record<string, unknown>>();
  for (const [key, value] of Object.entries(entry)) {
    const m = ABOVE.exec(key);
    if (!m) continue;
    const thousands = m[2]!;
    const tier = byBound.get(thousands) ?? {};
    tier[m[1]!] = value;
    byBound.set(thousands, tier);
  }
  return [...byBound].map(([thousands, tier]) => ({
    from: { value: new LosslessNumber(plainDecimal(`${thousands}000`)!), field: `_above_${thousands}k_tokens` },
    ...prices(tier, (key) => `${key}_above_${thousands}k_tokens`),
  }));
}

function startsAtZero(t: Tier): boolean {
  return decimalText(t.from.value, NUM) === "0";
}

/** Orders thresholds exactly as decimals (they are small integers written as floats); non-numbers last. */
function compareThreshold(a: unknown, b: unknown): number {
  const [x, y] = [decimalText(a, NUM), decimalText(b, NUM)];
  if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1;
  const [xi = "", xf = ""] = x.split(".");
  const [yi = "", yf = ""] = y.split(".");
  if (xi.length !== yi.length) return xi.length - yi.length;
  if (xi !== yi) return xi < yi ? -1 : 1;
  const [pf, qf] = [xf.padEnd(yf.length, "0"), yf.padEnd(xf.length, "0")];
  return pf < qf ? -1 : pf > qf ? 1 : 0;
}

function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isLosslessNumber(v);
}
