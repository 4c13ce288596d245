/**
 * One fixing [1.1]: in one REPEATABLE READ transaction (one snapshot), under the lock of its
 * (index, kind, T), read the watermark, evaluate (engine/evaluate.ts), then store the result
 * as a new revision and sign it. Nothing is updated in place: a recompute of the same index,
 * kind and fixing_time adds revision n+1 with its reason.
 */
import { sql } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../db/index.ts";
import { visibleWatermark } from "../normalise/index.ts";
import type { Signer } from "../signing/index.ts";
import { assertOnCalendar } from "./calendar.ts";
import { definitionAt, type IndexDefinition } from "./definitions.ts";
import { evaluate, type Evaluation } from "./evaluate.ts";
import { inputsSha256 } from "./inputs-hash.ts";
import { previousOkFinal } from "./level.ts";
import { signFixing } from "./seal.ts";
import { settleAfterFixing } from "./settlement.ts";
import { inSnapshot } from "./snapshot.ts";

export type FixingKind = "final" | "indicative";

export type FixingRequest = {
  index: string;
  at: string;
  kind: FixingKind;
  reason?: string | undefined;
  /** Signs the stored revision in the same transaction; unsigned without one (tests). */
  signer?: Signer | undefined;
  /** The moment of computation, which T may not be after (default: the clock; a scheduler
   * running on a simulated clock passes its own). */
  now?: Date | undefined;
};

export type StoredFixing = {
  id: string;
  index: string;
  fixingTime: string;
  kind: FixingKind;
  revision: number;
  status: "ok" | "insufficient";
  value: string | null;
  level: string | null;
  inputsSha256: string;
  inputsWatermark: string;
};

export async function computeFixing(db: Db, req: FixingRequest): Promise<StoredFixing> {
  return (await fixingTransaction(db, req, false))!;
}

/**
 * The first revision of (index, kind, T) or nothing: null when a fixing of that kind at T
 * already exists (a second caller waits for the first and then sees its fixing).
 */
export async function computeFixingIfAbsent(db: Db, req: FixingRequest): Promise<StoredFixing | null> {
  return fixingTransaction(db, req, true);
}

async function fixingTransaction(db: Db, req: FixingRequest, onlyIfAbsent: boolean): Promise<StoredFixing | null> {
  const stored = await inSnapshot(db, sql`${`${req.index}|${req.kind}|`}::text || ${req.at}::timestamptz::text`, async (tx) => {
    if (onlyIfAbsent) {
      const existing = await rows(tx, sql`SELECT 1 FROM fixings
        WHERE index_code = ${req.index} AND kind = ${req.kind} AND fixing_time = ${req.at}::timestamptz LIMIT 1`);
      if (existing.length > 0) return null;
    }
    const def = await definitionAt(tx, req.index, req.at);
    assertOnCalendar(def, req.kind, req.at, req.now);
    const watermark = await visibleWatermark(tx);
    const prev = await previousOkFinal(tx, def, req.at);
    const evaluation = await evaluate(tx, def, { at: req.at, watermark, prev });
    const f = await store(tx, def, req, evaluation);
    if (req.signer) await signFixing(tx, f.id, req.signer);
    return { def, f };
  });
  if (stored === null) return null;
  // A final fixing restates its month's settlement price, in a transaction of its own that
  // sees every final committed so far (the fixing's snapshot may predate another's commit).
  if (req.kind === "final") await settleAfterFixing(db, stored.def, stored.f.id, req.signer);
  return stored.f;
}

async function store(tx: Db, def: IndexDefinition, req: FixingRequest, e: Evaluation): Promise<StoredFixing> {
  const hash = inputsSha256(e, req.kind);
  const ok = e.status === "ok";
  // Fixing ids must become visible in id order, or a stream client resuming from the
  // highest id it saw (Last-Event-ID) could skip a lower id committed just after. One
  // lock from here to commit serialises only this short tail of the transaction.
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('ciyuan publish'), 0)`);
  const [row] = await rows<{ id: string; revision: number; fixing_time: string }>(
    tx,
    sql`
    INSERT INTO fixings (index_code, definition_version, fixing_time, kind, revision, status, value, level, p25, p50, p75,
                         currency, constituent_count, provider_count, prev_fixing_id, carried_from_fixing_id,
                         methodology_version, inputs_sha256, inputs_watermark, fx_target, reason)
    SELECT ${def.code}, ${def.version}, ${req.at}::timestamptz, ${req.kind}, coalesce(max(revision), 0) + 1, ${e.status},
           ${e.value}::numeric, ${e.level}::numeric, ${e.p25}::numeric, ${e.p50}::numeric, ${e.p75}::numeric,
           ${def.currency}, ${e.constituents.length}, ${e.providers},
           ${ok ? (e.prev?.id ?? null) : null}::bigint, ${ok ? null : (e.prev?.id ?? null)}::bigint,
           ${def.methodologyVersion}, ${hash}, ${e.watermark}::bigint, ${e.fxTarget}::numeric,
           CASE WHEN count(*) = 0 THEN coalesce(${req.reason ?? null}::text, 'initial')
                ELSE coalesce(${req.reason ?? null}::text, 'recompute') END
    FROM fixings
    WHERE index_code = ${def.code} AND kind = ${req.kind} AND fixing_time = ${req.at}::timestamptz
    RETURNING id::text, revision, fixing_time`,
  );
  const id = row!.id;
  if (e.constituents.length > 0) {
    const json = JSON.stringify(
      e.constituents.map((c) => ({
        provider: c.provider,
        model: c.model,
        raw_weight: c.rawWeight,
        weight: c.weight,
        capped: c.capped,
        price: c.price,
        input_price: c.inputPrice,
        output_price: c.outputPrice,
        blended_price: c.blendedPrice,
        list_input_price: c.listInputPrice,
        list_cached_input_price: c.listCachedInputPrice,
        input_tokens: c.inputTokens,
        cached_input_tokens: c.cachedInputTokens,
        output_tokens: c.outputTokens,
        held: c.held,
        sheet_id: c.sheetId,
        fx_rate_id: c.fxRateId,
        weight_num: c.weightNum,
        weight_den: c.weightDen,
        volume: c.volume,
        cost_cny: c.costCny,
        price_sheet_ids: [c.components.input?.sheet ?? null, c.components.cached_input?.sheet ?? null, c.components.output?.sheet ?? null],
      })),
    );
    await tx.execute(sql`
      INSERT INTO fixing_constituents (fixing_id, provider, model, raw_weight, weight, capped, price, input_price, output_price,
                                       blended_price, list_input_price, list_cached_input_price, input_tokens,
                                       cached_input_tokens, output_tokens, held, sheet_id, fx_rate_id,
                                       weight_num, weight_den, volume, cost_cny, price_sheet_ids)
      SELECT ${id}::bigint, r.provider, r.model, r.raw_weight::numeric, r.weight::numeric, r.capped, r.price::numeric,
             r.input_price::numeric, r.output_price::numeric, r.blended_price::numeric, r.list_input_price::numeric,
             r.list_cached_input_price::numeric, r.input_tokens::numeric, r.cached_input_tokens::numeric,
             r.output_tokens::numeric, ARRAY(SELECT json_array_elements_text(r.held)), r.sheet_id::bigint, r.fx_rate_id::bigint,
             r.weight_num::numeric, r.weight_den::numeric, r.volume::numeric, r.cost_cny::numeric,
             ARRAY(SELECT x::bigint FROM json_array_elements_text(r.price_sheet_ids) AS x)
      FROM json_to_recordset(${json}::json) AS r(provider text, model text, raw_weight text, weight text, capped boolean,
        price text, input_price text, output_price text, blended_price text, list_input_price text,
        list_cached_input_price text, input_tokens text, cached_input_tokens text, output_tokens text, held json,
        sheet_id text, fx_rate_id text, weight_num text, weight_den text, volume text, cost_cny text, price_sheet_ids json)`);
  }
  if (e.exclusions.length > 0) {
    const json = JSON.stringify(
      e.exclusions.map((x) => ({
        provider: x.provider,
        model: x.model,
        reason: x.reason,
        input_tokens: x.inputTokens,
        cached_input_tokens: x.cachedInputTokens,
        output_tokens: x.outputTokens,
      })),
    );
    await tx.execute(sql`
      INSERT INTO fixing_exclusions (fixing_id, provider, model, reason, input_tokens, cached_input_tokens, output_tokens)
      SELECT ${id}::bigint, r.provider, r.model, r.reason, r.input_tokens::numeric, r.cached_input_tokens::numeric, r.output_tokens::numeric
      FROM json_to_recordset(${json}::json)
        AS r(provider text, model text, reason text, input_tokens text, cached_input_tokens text, output_tokens text)`);
  }
  return {
    id,
    index: def.code,
    fixingTime: isoUtc(row!.fixing_time),
    kind: req.kind,
    revision: row!.revision,
    status: e.status,
    value: e.value,
    level: e.level,
    inputsSha256: hash,
    inputsWatermark: e.watermark,
  };
}
