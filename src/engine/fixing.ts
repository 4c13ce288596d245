/**
 * One fixing [1.1]: in one REPEATABLE READ transaction (one snapshot), under the lock of its
 * (index, kind, T), read the watermark, evaluate (engine/evaluate.ts), then store the result
 * as a new revision and sign it. Nothing is updated in place: a recompute of the same index,
 * kind and fixing_time adds revision n+1 with its reason.
 */
import { storedCoverage } from "./coverage.ts";
import { sql } from "drizzle-orm";
import { DateTime } from "luxon";
import { isoUtc, rows, type Db } from "../db/index.ts";
import { visibleWatermark } from "../normalise/index.ts";
import type { Signer } from "../signing/index.ts";
import { assertOnCalendar } from "./calendar.ts";
import { definitionAt, type IndexDefinition } from "./definitions.ts";
import { evaluationDifferences } from "./differences.ts";
import { evaluate, type Evaluation } from "./evaluate.ts";
import { inputsSha256 } from "./inputs-hash.ts";
import { previousOkFinal } from "./level.ts";
import { signFixing } from "./seal.ts";
import { settleAfterFixing, settleMonth } from "./settlement.ts";
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
  /** A final restates its month's settlement right after it commits (default); a backfill
   * settles each month once, after all its days (one settlement revision, not thirty). */
  settle?: boolean | undefined;
  /** A new revision of a final recomputes the finals chained from it (default); the
   * cascade's own recomputes pass false, since it walks them in order itself. */
  cascade?: boolean | undefined;
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
  /** Later finals given a new revision by the restatement cascade this revision started. */
  chained?: StoredFixing[];
};

/** When a recompute stores: always (a new revision), only as the first revision, or only
 * when a published number would differ from the latest revision. */
type StoreWhen = "always" | "absent" | "changed";

export async function computeFixing(db: Db, req: FixingRequest): Promise<StoredFixing> {
  return (await fixingTransaction(db, req, "always"))!;
}

/**
 * The first revision of (index, kind, T) or nothing: null when a fixing of that kind at T
 * already exists (a second caller waits for the first and then sees its fixing).
 */
export async function computeFixingIfAbsent(db: Db, req: FixingRequest): Promise<StoredFixing | null> {
  return fixingTransaction(db, req, "absent");
}

/**
 * A new revision of an existing fixing only where its status, a published number, a
 * constituent's weight or price, or an exclusion would change; null otherwise (and when
 * there is no fixing at T to recompute).
 */
export async function computeFixingIfChanged(db: Db, req: FixingRequest): Promise<StoredFixing | null> {
  return fixingTransaction(db, req, "changed");
}

async function fixingTransaction(db: Db, req: FixingRequest, when: StoreWhen): Promise<StoredFixing | null> {
  const stored = await inSnapshot(db, sql`${`${req.index}|${req.kind}|`}::text || ${req.at}::timestamptz::text`, async (tx) => {
    const [latest] = when === "always" ? [] : await rows<{ id: string; status: "ok" | "insufficient" }>(tx, sql`
      SELECT id::text, status FROM fixings
      WHERE index_code = ${req.index} AND kind = ${req.kind} AND fixing_time = ${req.at}::timestamptz
      ORDER BY revision DESC LIMIT 1`);
    if (when === "absent" && latest) return null;
    if (when === "changed" && !latest) return null;
    const def = await definitionAt(tx, req.index, req.at);
    assertOnCalendar(def, req.kind, req.at, req.now);
    const watermark = await visibleWatermark(tx);
    const prev = await previousOkFinal(tx, def, req.at);
    const evaluation = await evaluate(tx, def, { at: req.at, watermark, prev });
    if (when === "changed" && (await evaluationDifferences(tx, latest!, evaluation)).length === 0) return null;
    const f = await store(tx, def, req, evaluation);
    if (req.signer) await signFixing(tx, f.id, req.signer);
    return { def, f };
  });
  if (stored === null) return null;
  const { def, f } = stored;
  if (req.kind !== "final") return f;
  // [1.1] Restatement cascade: a new revision of a final changes the levels chained from it.
  const chained = f.revision > 1 && req.cascade !== false ? await cascadeFrom(db, f, req) : [];
  if (chained.length > 0) f.chained = chained;
  // A final fixing restates its month's settlement price, in a transaction of its own that
  // sees every final committed so far (the fixing's snapshot may predate another's commit).
  if (req.settle !== false) {
    await settleAfterFixing(db, def, f.id, req.signer, req.now);
    const cause = `fixing ${f.fixingTime} revision ${f.revision}: ${req.reason ?? "recompute"}`;
    const own = monthOf(def, f.fixingTime);
    for (const month of new Set(chained.map((c) => monthOf(def, c.fixingTime)).filter((m) => m !== own))) {
      await db.transaction((tx) => settleMonth(tx, def, { month, reason: cause, signer: req.signer, now: req.now }));
    }
  }
  return f;
}

/**
 * [1.1] The later finals of the index recomputed in order after a new revision at T, each
 * stored as a new revision (reason `chain from <T> revision <n>`) only where a published
 * number changes. Each is a recompute like any other: with every input visible now, so a
 * correction that caused the restatement reaches the later days it is in force for too.
 * The walk ends at the first ok final that does not change: every later level chains from
 * an unchanged level (and every carried value from an unchanged value), and its inputs
 * are the late-data rule's business.
 */
export async function cascadeFrom(db: Db, from: StoredFixing, req: FixingRequest): Promise<StoredFixing[]> {
  const later = await rows<{ fixing_time: string; status: "ok" | "insufficient" }>(
    db,
    sql`SELECT DISTINCT ON (fixing_time) fixing_time, status FROM fixings
        WHERE index_code = ${from.index} AND kind = 'final' AND fixing_time > ${from.fixingTime}::timestamptz
        ORDER BY fixing_time, revision DESC`,
  );
  const reason = `chain from ${from.fixingTime} revision ${from.revision}`;
  const out: StoredFixing[] = [];
  for (const l of later) {
    const at = isoUtc(l.fixing_time);
    const f = await computeFixingIfChanged(db, { ...req, at, reason, settle: false, cascade: false });
    if (f) out.push(f);
    else if (l.status === "ok") break;
  }
  return out;
}

/** The settlement month (YYYY-MM) of a fixing time, in the index's zone. */
function monthOf(def: IndexDefinition, at: string): string {
  return DateTime.fromISO(at, { zone: def.fixingTz }).toFormat("yyyy-MM");
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
                         methodology_version, inputs_sha256, inputs_watermark, fx_target, reason, data_origin, coverage)
    SELECT ${def.code}, ${def.version}, ${req.at}::timestamptz, ${req.kind}, coalesce(max(revision), 0) + 1, ${e.status},
           ${e.value}::numeric, ${e.level}::numeric, ${e.p25}::numeric, ${e.p50}::numeric, ${e.p75}::numeric,
           ${def.currency}, ${e.constituents.length}, ${e.providers},
           ${ok ? (e.prev?.id ?? null) : null}::bigint, ${ok ? null : (e.prev?.id ?? null)}::bigint,
           ${def.methodologyVersion}, ${hash}, ${e.watermark}::bigint, ${e.fxTarget}::numeric,
           CASE WHEN count(*) = 0 THEN coalesce(${req.reason ?? null}::text, 'initial')
                ELSE coalesce(${req.reason ?? null}::text, 'recompute') END,
           ${e.dataOrigin}, ${JSON.stringify(storedCoverage(e.coverage))}::jsonb
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
        origins: c.origins,
        estimated: c.estimated,
      })),
    );
    await tx.execute(sql`
      INSERT INTO fixing_constituents (fixing_id, provider, model, raw_weight, weight, capped, price, input_price, output_price,
                                       blended_price, list_input_price, list_cached_input_price, input_tokens,
                                       cached_input_tokens, output_tokens, held, sheet_id, fx_rate_id,
                                       weight_num, weight_den, volume, cost_cny, price_sheet_ids, origins, estimated)
      SELECT ${id}::bigint, r.provider, r.model, r.raw_weight::numeric, r.weight::numeric, r.capped, r.price::numeric,
             r.input_price::numeric, r.output_price::numeric, r.blended_price::numeric, r.list_input_price::numeric,
             r.list_cached_input_price::numeric, r.input_tokens::numeric, r.cached_input_tokens::numeric,
             r.output_tokens::numeric, ARRAY(SELECT json_array_elements_text(r.held)), r.sheet_id::bigint, r.fx_rate_id::bigint,
             r.weight_num::numeric, r.weight_den::numeric, r.volume::numeric, r.cost_cny::numeric,
             ARRAY(SELECT x::bigint FROM json_array_elements_text(r.price_sheet_ids) AS x),
             ARRAY(SELECT json_array_elements_text(r.origins)), r.estimated
      FROM json_to_recordset(${json}::json) AS r(provider text, model text, raw_weight text, weight text, capped boolean,
        price text, input_price text, output_price text, blended_price text, list_input_price text,
        list_cached_input_price text, input_tokens text, cached_input_tokens text, output_tokens text, held json,
        sheet_id text, fx_rate_id text, weight_num text, weight_den text, volume text, cost_cny text, price_sheet_ids json,
        origins json, estimated boolean)`);
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
