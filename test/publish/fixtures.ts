/**
 * Fixing rows written straight into the fixing tables, as the engine would store them
 * (published numbers already rounded half-even to 6 dp; constituents exact).
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../../src/db/index.ts";

export type ConstituentFixture = {
  provider: string;
  model: string;
  weight: string;
  price: string;
  inputPrice?: string;
  outputPrice?: string;
  inputTokens?: string;
  cachedInputTokens?: string;
  outputTokens?: string;
  capped?: boolean;
  held?: string[];
  sheetId?: string;
};

export type FixingFixture = {
  index: string;
  fixingTime: string;
  kind?: "final" | "indicative";
  revision?: number;
  status?: "ok" | "insufficient";
  value: string | null;
  level: string | null;
  p25?: string | null;
  p50?: string | null;
  p75?: string | null;
  computedAt: string;
  reason?: string;
  carriedFromId?: string;
  inputsSha256?: string;
  constituents?: ConstituentFixture[];
  exclusions?: { provider: string; model: string; reason: string }[];
};

/** Inserts one fixing revision with its constituents and exclusions; returns its id. */
export async function insertFixing(db: Db, f: FixingFixture): Promise<string> {
  const constituents = f.constituents ?? [];
  const providers = new Set(constituents.map((c) => c.provider)).size;
  const [row] = await rows<{ id: string }>(
    db,
    sql`INSERT INTO fixings (index_code, definition_version, fixing_time, kind, revision, status,
          value, level, p25, p50, p75, currency, constituent_count, provider_count,
          carried_from_fixing_id, methodology_version, inputs_sha256, reason, computed_at, data_origin)
        VALUES (${f.index}, 1, ${f.fixingTime}::timestamptz, ${f.kind ?? "final"}, ${f.revision ?? 1},
          ${f.status ?? "ok"}, ${f.value}::numeric, ${f.level}::numeric, ${f.p25 ?? null}::numeric,
          ${f.p50 ?? null}::numeric, ${f.p75 ?? null}::numeric, 'CNY', ${constituents.length}, ${providers},
          ${f.carriedFromId ?? null}::bigint, '1', ${f.inputsSha256 ?? "ab".repeat(32)},
          ${f.reason ?? "scheduled"}, ${f.computedAt}::timestamptz, 'real')
        RETURNING id::text AS id`,
  );
  const id = row!.id;
  for (const c of constituents) {
    await db.execute(sql`
      INSERT INTO fixing_constituents (fixing_id, provider, model, raw_weight, weight, capped, price,
        input_price, output_price, blended_price, list_input_price, list_cached_input_price,
        input_tokens, cached_input_tokens, output_tokens, held, sheet_id)
      VALUES (${id}::bigint, ${c.provider}, ${c.model}, ${c.weight}::numeric, ${c.weight}::numeric,
        ${c.capped ?? false}, ${c.price}::numeric, ${c.inputPrice ?? c.price}::numeric,
        ${c.outputPrice ?? c.price}::numeric, ${c.price}::numeric, ${c.inputPrice ?? c.price}::numeric, null,
        ${c.inputTokens ?? "1000"}::numeric, ${c.cachedInputTokens ?? "0"}::numeric,
        ${c.outputTokens ?? "1000"}::numeric, ${`{${(c.held ?? []).join(",")}}`}::text[], ${c.sheetId ?? "1"}::bigint)`);
  }
  for (const e of f.exclusions ?? []) {
    await db.execute(sql`INSERT INTO fixing_exclusions (fixing_id, provider, model, reason)
      VALUES (${id}::bigint, ${e.provider}, ${e.model}, ${e.reason})`);
  }
  return id;
}
