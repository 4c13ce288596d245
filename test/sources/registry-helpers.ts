/** Shared by the registry tests: reading produced sheets, FX, and normalised prices via SQL. */
import path from "node:path";
import { sql } from "drizzle-orm";
import { isLosslessNumber, parse } from "lossless-json";
import { rows, type Db } from "../../src/db/index.ts";
import { importFx } from "../../src/normalise/index.ts";
import { FIXTURES } from "../normalise/helpers.ts";

export const LITELLM_FILE = path.join(FIXTURES, "real/litellm/model_prices_and_context_window.2026-02-21.03ecdf92.json");
export const OPENROUTER_FILE = path.join(FIXTURES, "real/openrouter/api-v1-models.2026-08-01.json");

/** A made-up rate, in force before every collection time used in these tests. */
export const CNY_PER_USD = "7.1234";

type Doc = { provider: string; country: string; as_of: string; currency: string; unit: string; models: Record<string, unknown>[] };

/** The produced sheet documents, numbers as their exact text. */
export function sheetDocs(text: string): Doc[] {
  return (parse(text) as Doc[]).map((d) => ({ ...d, models: d.models.map(asText) as Record<string, unknown>[] }));
}

function asText(v: unknown): unknown {
  if (isLosslessNumber(v)) return v.value;
  if (Array.isArray(v)) return v.map(asText);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asText(x)]));
  return v;
}

export function modelOf(docs: Doc[], provider: string, model: string): Record<string, unknown> | undefined {
  return docs.find((d) => d.provider === provider)?.models.find((m) => m.model === model);
}

export async function importUsdRate(db: Db): Promise<void> {
  const text = `{"schema":"ciyuan.fx/1","rates":[{"currency":"USD","cny_per_unit":${CNY_PER_USD},"as_of":"2026-01-01T00:00:00+08:00"}]}`;
  const outcome = await importFx(db, { location: "usd.json", text });
  if (outcome.rejected.length > 0) throw new Error(outcome.rejected[0]!.message);
}

/**
 * CNY per 1M tokens of one model on the provider's latest stored sheet: price x unit
 * factor x the USD rate in force at the sheet's as_of, computed by Postgres (numeric).
 */
export async function normalisedCny(db: Db, provider: string, model: string) {
  const factor = sql`case sm.unit when 'per_token' then 1000000 when 'per_1k_tokens' then 1000 else 1 end`;
  const rate = sql`(select f.cny_per_unit from fx_rates f where f.currency = sm.currency and f.as_of <= ps.as_of order by f.as_of desc limit 1)`;
  const [row] = await rows<{ input: string | null; cached_input: string | null; output: string | null }>(
    db,
    sql`select trim_scale(sm.input * ${factor} * ${rate})::text as input,
               trim_scale(sm.cached_input * ${factor} * ${rate})::text as cached_input,
               trim_scale(sm.output * ${factor} * ${rate})::text as output
        from sheet_models sm join price_sheets ps on ps.id = sm.sheet_id
        where ps.provider = ${provider} and sm.model = ${model}
        order by ps.as_of desc, ps.id desc limit 1`,
  );
  return row;
}

export async function sheetCount(db: Db, provider: string): Promise<number> {
  const [r] = await rows<{ n: string }>(db, sql`select count(*) as n from price_sheets where provider = ${provider}`);
  return Number(r!.n);
}

export async function quarantinedReasons(db: Db, provider: string): Promise<string[]> {
  const found = await rows<{ reason: string }>(db, sql`select reason from quarantine where provider = ${provider} order by id`);
  return found.map((r) => r.reason);
}
