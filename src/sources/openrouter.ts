/**
 * OpenRouter's models API (`GET /api/v1/models`) -> one price sheet per mapped provider,
 * USD per 1M tokens. Prices are decimal strings in USD per single token
 * (`"prompt": "0.00000014"`), shifted by six decimal places as text, never as floats.
 */
import { z } from "zod";
import { isLosslessNumber, parse } from "lossless-json";
import { InputError } from "../errors.ts";
import { ProviderModels, compact, countNumber, perMillion, type RegistryOptions, type RegistrySheets } from "./registry-sheet.ts";

const STR = "decimal-string";

/** The free, rate-limited variant of a model: a promotion, not the model's price list. */
export const FREE_VARIANT = ":free";

const jsonObject = z.custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v) && !isLosslessNumber(v));

const overrideSchema = z.looseObject({ min_prompt_tokens: z.unknown().optional() });

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
    const parsed = modelSchema.safeParse(item);
    if (!parsed.success) continue;
    const m = parsed.data;
    const slash = m.id.indexOf("/");
    if (slash <= 0 || slash === m.id.length - 1) continue;
    const target = opts.providers[m.id.slice(0, slash)];
    const model = m.id.slice(slash + 1);
    if (!target || model.endsWith(FREE_VARIANT) || !outputsTextOnly(m)) continue;
    collected.add(target, { model, ...modelPrices(m) }, true);
  }
  return collected.sheets(opts.asOf);
}

/**
 * Only models whose output is text alone are priced per text token; image or audio output
 * models are not taken. `output_modalities` decides, else the `modality` ("text->text"),
 * else (neither given) the model is taken.
 */
function outputsTextOnly(m: Model): boolean {
  const outputs = m.architecture?.output_modalities;
  if (outputs) return outputs.length > 0 && outputs.every((o) => o === "text");
  const modality = m.architecture?.modality;
  if (modality) return modality.split("->")[1] === "text";
  return true;
}

function modelPrices(m: Model) {
  const p = m.pricing;
  const tiers = (p.overrides ?? []).map((o) =>
    compact({
      min_input_tokens: countNumber(o.min_prompt_tokens, "json-number"),
      input: perMillion(o.prompt, STR),
      cached_input: perMillion(o.input_cache_read, STR),
      output: perMillion(o.completion, STR),
    }),
  );
  return compact({
    input: perMillion(p.prompt, STR),
    cached_input: perMillion(p.input_cache_read, STR),
    output: perMillion(p.completion, STR),
    tiers: tiers.length > 0 ? tiers : undefined,
  });
}
