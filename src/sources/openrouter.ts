/**
 * OpenRouter's models API (`GET /api/v1/models`) -> one price sheet per mapped provider,
 * USD per 1M tokens. Prices are decimal strings in USD per single token
 * (`"prompt": "0.00000014"`), shifted by six decimal places as text, never as floats.
 *
 * A model of a mapped provider that cannot be a price (a `:free` variant, image or audio
 * output, a price of "0", "-1" or not a number, a missing price) is skipped with its reason.
 */
import { z } from "zod";
import { isLosslessNumber, parse } from "lossless-json";
import { fieldPath } from "../values/fields.ts";
import { InputError } from "../errors.ts";
import {
  NotAPrice,
  ProviderModels,
  compact,
  optionalPrice,
  price,
  readModel,
  shown,
  tokenCount,
  type ModelPrices,
  type RegistryOptions,
  type RegistrySheets,
} from "./registry-sheet.ts";

const STR = "decimal-string";

/** The free, rate-limited variant of a model: a promotion, not the model's price list. */
export const FREE_VARIANT = ":free";

const jsonObject = z.custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v) && !isLosslessNumber(v), {
  error: "not a JSON object",
});

const overrideSchema = jsonObject.pipe(z.looseObject({ min_prompt_tokens: z.unknown().optional() }));

const modelSchema = z.object({
  id: z.string().min(1),
  architecture: jsonObject
    .pipe(z.looseObject({ modality: z.string().optional(), output_modalities: z.array(z.string()).optional() }))
    .optional(),
  pricing: jsonObject.pipe(
    z.looseObject({
      prompt: z.unknown().optional(),
      completion: z.unknown().optional(),
      input_cache_read: z.unknown().optional(),
      overrides: z.array(overrideSchema).optional(),
    }),
  ),
});
type Model = z.infer<typeof modelSchema>;

const responseSchema = jsonObject.pipe(z.looseObject({ data: z.array(z.unknown()) }));

/** Parses the models API body; throws InputError when it is not `{"data": [...]}`. */
export function openrouterSheets(text: string, opts: RegistryOptions): RegistrySheets {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new InputError(opts.location, undefined, undefined, `not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const response = responseSchema.safeParse(doc);
  if (!response.success) throw new InputError(opts.location, undefined, "data", "not an OpenRouter models list: expected {\"data\": [...]}");

  const collected = new ProviderModels();
  for (const item of response.data.data) {
    // Whose model it is comes first: an odd item of an unmapped provider is not ours to report.
    const id = jsonObject.safeParse(item).success ? (item as Record<string, unknown>).id : undefined;
    if (typeof id !== "string") continue;
    const slash = id.indexOf("/");
    if (slash <= 0 || slash === id.length - 1) continue;
    const target = opts.providers[id.slice(0, slash)];
    if (!target) continue;
    const model = id.slice(slash + 1);
    collected.add(target, model, true, readModel(() => modelPrices(item, model)));
  }
  return collected.sheets(opts.asOf);
}

/** The model's prices per 1M tokens; throws NotAPrice when it cannot be a price. */
function modelPrices(item: unknown, model: string): ModelPrices {
  if (model.endsWith(FREE_VARIANT)) throw new NotAPrice(`a ${FREE_VARIANT} variant: a promotion, not the model's price`);
  const parsed = modelSchema.safeParse(item);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new NotAPrice(`${fieldPath(issue.path) || "entry"}: ${issue.message}`);
  }
  const m = parsed.data;
  const outputs = nonTextOutput(m);
  if (outputs) throw new NotAPrice(`${outputs}: not a text-output model`);
  const p = m.pricing;
  // A chat model is priced on what goes in and what comes out: both must be there.
  const base = {
    input: price(p.prompt, STR, "pricing.prompt"),
    cached_input: optionalPrice(p.input_cache_read, STR, "pricing.input_cache_read"),
    output: price(p.completion, STR, "pricing.completion"),
  };
  const tiers = (p.overrides ?? []).map((o, i) => {
    const at = `pricing.overrides[${i}]`;
    return compact({
      min_input_tokens: tokenCount(o.min_prompt_tokens, "json-number", `${at}.min_prompt_tokens`),
      input: optionalPrice(o.prompt, STR, `${at}.prompt`),
      cached_input: optionalPrice(o.input_cache_read, STR, `${at}.input_cache_read`),
      output: optionalPrice(o.completion, STR, `${at}.completion`),
    });
  });
  return compact({ ...base, tiers: tiers.length > 0 ? tiers : undefined });
}

/**
 * Only models whose output is text alone are priced per text token; image or audio output
 * models are not taken. `output_modalities` decides, else the `modality` ("text->text"),
 * else (neither given) the model is taken. Returns what the model outputs when that is
 * not text alone, for the reason; null when it is.
 */
function nonTextOutput(m: Model): string | null {
  const outputs = m.architecture?.output_modalities;
  if (outputs) return outputs.length > 0 && outputs.every((o) => o === "text") ? null : `output_modalities ${shown(outputs)}`;
  const modality = m.architecture?.modality;
  if (modality) return modality.split("->")[1] === "text" ? null : `modality ${shown(modality)}`;
  return null;
}
