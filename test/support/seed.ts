/**
 * Puts rulebook-shaped rows straight into the real tables, so engine tests state their
 * inputs in a few lines. The importers are tested on their own against real files.
 */
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { rows, type Db } from "../../src/db/index.ts";
import { materialiseHolds, openBatch, type Origin } from "../../src/normalise/index.ts";

export type SeedModel = { model: string; input?: string | null; cached_input?: string | null; output?: string | null; currency?: string; unit?: string };
export type SeedSheet = { provider: string; country?: string; as_of: string; currency?: string; unit?: string; models: SeedModel[] };

export async function addSheet(db: Db, s: SeedSheet, origin: Origin = "file"): Promise<string> {
  const raw = JSON.stringify(s);
  const hash = createHash("sha256").update(raw).digest("hex");
  return db.transaction(async (tx) => {
    const batch = await openBatch(tx, "prices", origin);
    const [row] = await rows<{ id: string }>(
      tx,
      sql`INSERT INTO price_sheets (provider, country, country_source, as_of, currency, unit, raw, raw_sha256, content_sha256, batch_id)
          VALUES (${s.provider}, ${s.country ?? "CN"}, 'sheet', ${s.as_of}::timestamptz, ${s.currency ?? "CNY"},
                  ${s.unit ?? "per_1m_tokens"}, ${raw}, ${hash}, ${hash}, ${batch}::bigint) RETURNING id::text`,
    );
    for (const m of s.models) {
      await tx.execute(sql`INSERT INTO sheet_models (sheet_id, model, currency, unit, input, cached_input, output)
        VALUES (${row!.id}::bigint, ${m.model}, ${m.currency ?? s.currency ?? "CNY"}, ${m.unit ?? s.unit ?? "per_1m_tokens"},
                ${m.input ?? null}::numeric, ${m.cached_input ?? null}::numeric, ${m.output ?? null}::numeric)`);
    }
    await materialiseHolds(tx, { provider: s.provider, from: { sheetId: row!.id }, models: s.models.map((m) => m.model), batchId: batch });
    return row!.id;
  });
}

export async function addFx(db: Db, currency: string, cnyPerUnit: string, asOf: string): Promise<void> {
  await db.transaction(async (tx) => {
    const batch = await openBatch(tx, "fx", "file");
    await tx.execute(sql`INSERT INTO fx_rates (currency, cny_per_unit, as_of, source, batch_id)
      VALUES (${currency}, ${cnyPerUnit}::numeric, ${asOf}::timestamptz, 'test', ${batch}::bigint)`);
  });
}

export type SeedUsage = { provider: string; model: string; start: string; end: string; input: string; cached?: string | null; output: string };

/** Where seeded usage came from (default: a file, reported volumes). */
export type SeedOrigin = { origin?: Origin; proxy?: boolean; estimated?: boolean };

/** Adds a usage record as a new version of its key (a correction when the key exists). */
export async function addUsage(db: Db, u: SeedUsage, from: SeedOrigin = {}): Promise<void> {
  await db.transaction(async (tx) => {
    const batch = await openBatch(tx, "usage", from.origin ?? "file", null, { proxy: from.proxy === true });
    // usage_records is partitioned by week of period_end: the week must exist (migration 0011).
    await tx.execute(sql`SELECT ciyuan_usage_partition((${u.end}::timestamptz AT TIME ZONE 'UTC')::date)`);
    await tx.execute(sql`INSERT INTO usage_records (provider, model, period_start, period_end, version, input_tokens,
                                                   cached_input_tokens, output_tokens, batch_id, supersedes, estimated)
      SELECT ${u.provider}, ${u.model}, ${u.start}::timestamptz, ${u.end}::timestamptz, coalesce(max(version), 0) + 1,
             ${u.input}::bigint, ${u.cached ?? null}::bigint, ${u.output}::bigint, ${batch}::bigint,
             (array_agg(id ORDER BY version DESC))[1], ${from.estimated === true}
      FROM usage_records WHERE provider = ${u.provider} AND model = ${u.model}
        AND period_start = ${u.start}::timestamptz AND period_end = ${u.end}::timestamptz`);
  });
}

/** One day's usage ending at `end` (period (end - 1 day, end]). */
export function day(provider: string, model: string, end: string, input: string, output: string, cached?: string): SeedUsage {
  const start = new Date(Date.parse(end) - 86_400_000).toISOString();
  return { provider, model, start, end, input, output, cached: cached ?? null };
}

export async function fixingRows(db: Db, id: string) {
  const [fixing] = await rows<Record<string, string | number | null>>(db, sql`SELECT * FROM fixings WHERE id = ${id}::bigint`);
  const constituents = await rows<Record<string, string | boolean | string[] | null>>(
    db,
    sql`SELECT provider, model, raw_weight::text, weight::text, capped, price::text, input_price::text, output_price::text,
               blended_price::text, input_tokens::text, cached_input_tokens::text, output_tokens::text, held
        FROM fixing_constituents WHERE fixing_id = ${id}::bigint ORDER BY provider, model`,
  );
  const exclusions = await rows<{ provider: string; model: string; reason: string }>(
    db,
    sql`SELECT provider, model, reason FROM fixing_exclusions WHERE fixing_id = ${id}::bigint ORDER BY provider, model`,
  );
  return { fixing: fixing!, constituents, exclusions };
}
