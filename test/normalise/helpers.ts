/** Shared by the importer tests: row counts, sheet documents, fixture paths. */
import path from "node:path";
import { Readable } from "node:stream";
import { sql } from "drizzle-orm";
import { rows, type Db } from "../../src/db/index.ts";
import { ROOT } from "../support/cli.ts";

export const FIXTURES = path.join(ROOT, "test/fixtures");
export const ECB_DAILY = path.join(FIXTURES, "real/fx/ecb/eurofxref-daily.2026-07-06.xml");
export const ECB_HIST_90D = path.join(FIXTURES, "real/fx/ecb/eurofxref-hist-90d.2021-03-30.xml");
export const DEEPSEEK_SHEET = path.join(FIXTURES, "prices/deepseek.2025-12-20.json");

const TABLES = ["payloads", "price_sheets", "sheet_models", "quarantine", "usage_records", "fx_rates"] as const;
export type Counts = Record<(typeof TABLES)[number], number>;

export async function counts(db: Db): Promise<Counts> {
  const out = {} as Counts;
  for (const t of TABLES) {
    const [r] = await rows<{ n: string }>(db, sql`select count(*) as n from ${sql.identifier(t)}`);
    out[t] = Number(r!.n);
  }
  return out;
}

/** A price sheet document as JSON text; `fields` replace the defaults (undefined drops one). */
export function sheetText(fields: Record<string, unknown> = {}, modelsJson?: string): string {
  const base: Record<string, unknown> = {
    schema: "ciyuan.price-sheet/1",
    provider: "acme",
    country: "CN",
    as_of: "2026-09-29T00:00:00+08:00",
    currency: "CNY",
    unit: "per_1m_tokens",
    ...fields,
  };
  const head = Object.entries(base)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const models = modelsJson ?? `[{"model": "m1", "input": 2, "cached_input": 0.2, "output": 3}]`;
  return `{${[...head, `"models": ${models}`].join(", ")}}`;
}

export const streamOf = (text: string): Readable => Readable.from([Buffer.from(text, "utf8")]);

export const USAGE_HEADER = "provider,model,period_start,period_end,input_tokens,cached_input_tokens,output_tokens";
