/**
 * OpenRouter's weekly rankings (operations-and-users.md section 6), as the derived weekly
 * JSON `{"date": "YYYY-MM-DD", "models": [{"slug", "prompt_tokens", ...}, ...]}` gives them:
 * the week's date and one unit per model entry. Numbers stay exact text (LosslessNumber):
 * token counts run to trillions and may pass 2^53. No judgement on values here; that is
 * the normaliser's (normalise/rankings-usage.ts).
 */
import { parse } from "lossless-json";
import { InputError } from "../errors.ts";
import { isObject, jsonErrorLine, stripBom, type RecordUnit } from "./text.ts";

/**
 * How the source's config names what a week lists, for the normaliser: whose entries an
 * entry's slug prefix is, and which model of that provider a proxy's model name is.
 */
export type RankingsMapping = {
  /** Slug prefix -> our provider (the source's `providers`). */
  providers: Record<string, { provider: string; country: string }>;
  /**
   * Our provider -> the proxy's model name (the slug's rest without `:free` and a trailing
   * date) -> the name the provider's price sheets and registries give the same model (the
   * source's `models`). A name not in it is kept as the proxy writes it.
   */
  models?: Record<string, Record<string, string>>;
  /** A plain decimal in (0, 1]: the share of an unbroken total taken as input. */
  defaultInputShare?: string;
};

export type RankingsWeek = {
  /** The `date` member as found (the end of the week the counts cover). */
  date: unknown;
  /** One unit per entry of `models`, path `models[i]`. */
  entries: RecordUnit[];
};

/** Parses a rankings body; throws InputError when it is not `{"date", "models": [...]}`. */
export function rankingsWeek(location: string, text: string): RankingsWeek {
  const body = stripBom(text);
  let doc: unknown;
  try {
    doc = parse(body);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new InputError(location, jsonErrorLine(body, message), undefined, `not valid JSON: ${message}`);
  }
  if (!isObject(doc)) throw new InputError(location, undefined, undefined, "not a JSON object");
  if (!Array.isArray(doc.models)) throw new InputError(location, undefined, "models", "missing (an array of ranked models)");
  const entries = doc.models.map((entry: unknown, i: number): RecordUnit => {
    const path = `models[${i}]`;
    if (!isObject(entry)) throw new InputError(location, undefined, path, "not a JSON object");
    return { line: undefined, path, seq: i + 1, fields: entry };
  });
  return { date: doc.date, entries };
}
