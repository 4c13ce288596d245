/**
 * LiteLLM's model price registry (`model_prices_and_context_window.json`) -> one price
 * sheet per mapped provider, USD per 1M tokens. The registry is one JSON object keyed by
 * model; prices are USD per single token as JSON numbers (`2.8e-07`), read as their exact
 * text (lossless-json) and shifted by six decimal places, never through a float.
 * `tiered_pricing` and `*_above_<N>k_tokens` prices become the sheet's tiers by prompt
 * tokens; the lowest tier is the standard price when no flat price is given.
 */
import { z } from "zod";
import { LosslessNumber, isLosslessNumber, parse } from "lossless-json";
import { plainDecimal } from "../normalise/decimal.ts";
import { InputError } from "../errors.ts";
import {
  ProviderModels,
  compact,
  countNumber,
  decimalText,
  perMillion,
  withoutPrefix,
  type RegistryOptions,
  type RegistrySheets,
  type SheetModelDoc,
} from "./registry-sheet.ts";

const NUM = "json-number";

/** Modes priced per token that the index takes; an entry without `mode` is not taken. */
export const LITELLM_MODES = ["chat", "completion"] as const;

const tierSchema = z.looseObject({ range: z.unknown().optional() });
type Tier = z.infer<typeof tierSchema>;

// Only what decides whether an entry is ours; the prices are judged by the sheet gates.
const entrySchema = z.looseObject({
  litellm_provider: z.string(),
  mode: z.string().optional(),
  input_cost_per_token: z.unknown().optional(),
  output_cost_per_token: z.unknown().optional(),
  cache_read_input_token_cost: z.unknown().optional(),
  input_cost_per_token_cache_hit: z.unknown().optional(),
  tiered_pricing: z.array(tierSchema).optional(),
});
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
    if (!target || !(LITELLM_MODES as readonly string[]).includes(entry.mode ?? "")) continue;
    const { model, prefixed } = withoutPrefix(key, entry.litellm_provider);
    const prices = modelPrices(entry);
    if (prices) collected.add(target, { model, ...prices }, prefixed);
  }
  return collected.sheets(opts.asOf);
}

/** The entry's prices per 1M tokens; null when it lists no per-token price at all. */
function modelPrices(entry: Entry): Omit<SheetModelDoc, "model"> | null {
  const cached = entry.cache_read_input_token_cost !== undefined ? entry.cache_read_input_token_cost : entry.input_cost_per_token_cache_hit;
  const flat = { input: entry.input_cost_per_token, cached_input: cached, output: entry.output_cost_per_token };
  const listed = entry.tiered_pricing ?? [];
  const bounds = new Set(listed.map((t) => decimalText(lowerBound(t), NUM)));
  const extra = aboveTiers(entry).filter((t) => !bounds.has(decimalText(lowerBound(t), NUM)));
  const tiers = [...listed, ...extra].sort((a, b) => compareThreshold(lowerBound(a), lowerBound(b)));
  const hasFlat = Object.values(flat).some((v) => v !== undefined);
  if (!hasFlat && tiers.length === 0) return null;
  // Without flat prices the lowest tier is the standard price (rulebook: lowest input-length tier).
  const [base, above] = hasFlat ? [flat, tiers] : [tierPrices(tiers[0]!), tiers.slice(1)];
  const higher = above.filter((t) => !startsAtZero(t)).map((t) => compact({ min_input_tokens: countNumber(lowerBound(t), NUM), ...perMillionAll(tierPrices(t)) }));
  return compact({ ...perMillionAll(base), tiers: higher.length > 0 ? higher : undefined });
}

/** `input_cost_per_token_above_200k_tokens` and the like, as tiers from 200,000 prompt tokens. */
const ABOVE = /^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost)_above_(\d{1,7})k_tokens$/;

function aboveTiers(entry: Entry): Tier[] {
  const byBound = new Map<string, Tier>();
  for (const [key, value] of Object.entries(entry)) {
    const m = ABOVE.exec(key);
    if (!m) continue;
    const bound = plainDecimal(`${m[2]}000`)!;
    const tier = byBound.get(bound) ?? { range: [new LosslessNumber(bound)] };
    tier[m[1]!] = value;
    byBound.set(bound, tier);
  }
  return [...byBound.values()];
}

function tierPrices(t: Tier) {
  const cached = t.cache_read_input_token_cost !== undefined ? t.cache_read_input_token_cost : t.input_cost_per_token_cache_hit;
  return { input: t.input_cost_per_token, cached_input: cached, output: t.output_cost_per_token };
}

function perMillionAll(p: { input: unknown; cached_input: unknown; output: unknown }) {
  return { input: perMillion(p.input, NUM), cached_input: perMillion(p.cached_input, NUM), output: perMillion(p.output, NUM) };
}

/** A tier's `range[0]` (prompt tokens), or the range itself when malformed (for the gates). */
function lowerBound(t: Tier): unknown {
  return Array.isArray(t.range) ? t.range[0] : t.range;
}

function startsAtZero(t: Tier): boolean {
  return decimalText(lowerBound(t), NUM) === "0";
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
