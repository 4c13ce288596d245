/**
 * A week of OpenRouter rankings as usage records (operations-and-users.md section 6, the
 * public usage proxy). Each ranked entry whose slug prefix the source maps is one week of
 * one model: period_start = `date` - 7 days, period_end = `date`, both 00:00 UTC; input =
 * prompt, cached input = cached, output = completion (reasoning is part of completion).
 * The `:free` and dated variants of a model are one model, so their counts are summed.
 * The proxy names models its own way (`deepseek-v3.2` where DeepSeek's price sheet says
 * `deepseek-chat`): the source's `models` map renames them, per provider, to the names the
 * price registries use, so the volumes weigh the model that has a price. Entries that map
 * to one name are summed as variants are. A model the map does not name is kept under the
 * proxy's name: stored and counted as usage, but without a price of that name it is no
 * constituent of a fixing until the map names its counterpart (or a sheet lists it so).
 *
 * An entry whose per-type counts are all zero (the breakdown was not published that week)
 * has only its total: it is split by the source's default input share, in exact integer
 * arithmetic (input = floor(total x share), output = the rest, cached 0), and the record
 * says it was estimated. Every number stays exact text or BigInt, never a float.
 */
import { LosslessNumber } from "lossless-json";
import { DateTime } from "luxon";
import { z } from "zod";
import { InputError } from "../errors.ts";
import type { RankingsMapping, RankingsWeek } from "../sources/openrouter-rankings.ts";
import { PLAIN_DECIMAL } from "../values/decimal.ts";
import { firstIssue, jsonCount } from "../values/fields.ts";
import { storableUtc, utcIso } from "../values/instant.ts";
import { validateUsage, type UsageRecord } from "./usage.ts";

export type RankingsProviders = RankingsMapping["providers"];

/** The share of an all-zero entry's total taken as input, when the source gives none. */
export const DEFAULT_INPUT_SHARE = "0.9";

/** `defaultInputShare`: DEFAULT_INPUT_SHARE when not given; `models`: no renaming when not given. */
export type RankingsOptions = RankingsMapping & {
  /** For error messages (the source's URL or a file path). */
  location: string;
};

/** A usage record, and whether its volumes were estimated from a total. */
export type ProxyUsageRecord = UsageRecord & { estimated: boolean };

export type RankingsUsage = {
  records: ProxyUsageRecord[];
  /** How many records hold an estimated split. */
  estimated: number;
  /** Slug prefixes the source does not map, whose entries were left out (sorted). */
  unmapped: string[];
  /** Entries left out for their unmapped prefix. */
  ignored: number;
};

const FREE_VARIANT = ":free";
const MM = "(?:0[1-9]|1[0-2])";
const DD = "(?:0[1-9]|[12]\\d|3[01])";
/** A trailing date: -YYYYMMDD, -YYYY-MM-DD or -MM-DD (something must remain before it). */
const TRAILING_DATE = new RegExp(`(?<=.)-(?:\\d{4}${MM}${DD}|\\d{4}-${MM}-${DD}|${MM}-${DD})$`);

/** The model of a slug's rest: without a `:free` suffix, then without a trailing date. */
export function rankedModel(rest: string): string {
  const paid = rest.endsWith(FREE_VARIANT) && rest.length > FREE_VARIANT.length ? rest.slice(0, -FREE_VARIANT.length) : rest;
  return paid.replace(TRAILING_DATE, "");
}

/** The name the provider's price registries give a proxy's model, or the proxy's own. */
function registryName(names: Record<string, string> | undefined, proxyName: string): string {
  return names !== undefined && Object.hasOwn(names, proxyName) ? names[proxyName]! : proxyName;
}

const slugSchema = z.object({ slug: z.string({ error: (iss) => (iss.input === undefined ? "missing" : "not a string") }) });
const countsSchema = z.object({ prompt_tokens: jsonCount, completion_tokens: jsonCount, cached_tokens: jsonCount });
const totalSchema = z.object({ total_tokens: jsonCount });

/** Exactly as named: input = floor(total x share), output = total - input. */
function splitTotal(total: bigint, share: string): { input: bigint; output: bigint } {
  const [whole, fraction = ""] = share.split(".");
  const input = (total * BigInt(whole! + fraction)) / 10n ** BigInt(fraction.length);
  return { input, output: total - input };
}

/** The week `date` (YYYY-MM-DD) as its period: the 7 days before it, 00:00 UTC to 00:00 UTC. */
function weekPeriod(location: string, date: unknown): { start: string; end: string } {
  const day = typeof date === "string" && /^\d{4}-\d{2}-\d{2}$/.test(date) ? DateTime.fromISO(date, { zone: "utc" }) : null;
  if (!day?.isValid) {
    throw new InputError(location, undefined, "date", date === undefined ? "missing" : "not a date (YYYY-MM-DD)");
  }
  const start = utcIso(day.minus({ days: 7 }));
  const end = utcIso(day);
  if (!storableUtc(start) || !storableUtc(end)) throw new InputError(location, undefined, "date", "out of range (years 0001 to 9999)");
  return { start, end };
}

type Summed = { seq: number; path: string; provider: string; model: string; input: bigint; cached: bigint; output: bigint; estimated: boolean };

export function rankingsUsage(week: RankingsWeek, opts: RankingsOptions): RankingsUsage {
  const { location, providers } = opts;
  const share = opts.defaultInputShare ?? DEFAULT_INPUT_SHARE;
  if (!PLAIN_DECIMAL.test(share)) throw new Error(`default input share ${share}: not a plain decimal`);
  const period = weekPeriod(location, week.date);
  const fail = (path: string, error: z.ZodError) => {
    const { field, reason } = firstIssue(error, path);
    return new InputError(location, undefined, field, reason);
  };

  const byModel = new Map<string, Summed>();
  const unmapped = new Set<string>();
  let ignored = 0;
  for (const unit of week.entries) {
    const named = slugSchema.safeParse(unit.fields);
    if (!named.success) throw fail(unit.path, named.error);
    const { slug } = named.data;
    const slash = slug.indexOf("/");
    const prefix = slash > 0 ? slug.slice(0, slash) : slug;
    const target = slash > 0 && Object.hasOwn(providers, prefix) ? providers[prefix]! : null;
    if (!target) {
      unmapped.add(prefix);
      ignored++;
      continue;
    }
    const counts = countsSchema.safeParse(unit.fields);
    if (!counts.success) throw fail(unit.path, counts.error);
    let input = BigInt(counts.data.prompt_tokens);
    let cached = BigInt(counts.data.cached_tokens);
    let output = BigInt(counts.data.completion_tokens);
    const estimated = input === 0n && cached === 0n && output === 0n;
    if (estimated) {
      const total = totalSchema.safeParse(unit.fields);
      if (!total.success) throw fail(unit.path, total.error);
      ({ input, output } = splitTotal(BigInt(total.data.total_tokens), share));
      cached = 0n;
    }
    const model = registryName(opts.models?.[target.provider], rankedModel(slug.slice(slash + 1)));
    const key = JSON.stringify([target.provider, model]);
    const seen = byModel.get(key);
    if (seen) {
      seen.input += input;
      seen.cached += cached;
      seen.output += output;
      seen.estimated ||= estimated;
    } else {
      byModel.set(key, { seq: unit.seq, path: unit.path, provider: target.provider, model, input, cached, output, estimated });
    }
  }

  // The summed records pass the usage gates as any usage record does (names, counts that
  // fit, cached no more than input), named by the first entry of their model.
  const records = [...byModel.values()].map((s): ProxyUsageRecord => {
    const fields = {
      provider: s.provider,
      model: s.model,
      period_start: period.start,
      period_end: period.end,
      input_tokens: new LosslessNumber(String(s.input)),
      cached_input_tokens: new LosslessNumber(String(s.cached)),
      output_tokens: new LosslessNumber(String(s.output)),
    };
    return { ...validateUsage(location, { line: undefined, path: s.path, seq: s.seq, fields }, "json"), estimated: s.estimated };
  });
  return { records, estimated: records.filter((r) => r.estimated).length, unmapped: [...unmapped].sort(), ignored };
}
