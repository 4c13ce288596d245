/**
 * One fixing: the rulebook's steps composed in one transaction, each a set-based SQL step
 * over temporary tables, then stored as a new revision. Nothing is updated in place: a
 * recompute of the same index, kind and fixing_time adds revision n+1 with its reason.
 */
import { sql } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../db/index.ts";
import type { Signer } from "../signing/index.ts";
import { cappedWeights } from "./capping.ts";
import { candidates } from "./constituents.ts";
import { roundHalfEven } from "./decimal.ts";
import { definitionAt, type IndexDefinition } from "./definitions.ts";
import { fxInForce, sheetsInForce, usageInWindow } from "./inputs.ts";
import { collectUsedInputs, inputsSha256 } from "./inputs-hash.ts";
import { listedPricesWithHolds } from "./holds.ts";
import { EVERY_STORED_INPUT, type InputScope } from "./input-scope.ts";
import { chainLevel, previousOkFinal, type PreviousFixing } from "./level.ts";
import { signFixing } from "./seal.ts";
import { settleAfterFixing } from "./settlement.ts";
import { basketStats } from "./value.ts";

export type FixingKind = "final" | "indicative";

export type FixingRequest = {
  index: string;
  at: string;
  kind: FixingKind;
  reason?: string | undefined;
  /** Signs the stored revision in the same transaction; unsigned without one (tests). */
  signer?: Signer | undefined;
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
};

export async function computeFixing(db: Db, req: FixingRequest): Promise<StoredFixing> {
  return (await fixingTransaction(db, req, false))!;
}

/**
 * The first revision of (index, kind, T) or nothing: null when a fixing of that kind at T
 * already exists. The check runs under the same lock as the insert, so two schedulers on one
 * database never both compute it (the unique (index, kind, T, revision) is the backstop).
 */
export async function computeFixingIfAbsent(db: Db, req: FixingRequest): Promise<StoredFixing | null> {
  return fixingTransaction(db, req, true);
}

async function fixingTransaction(db: Db, req: FixingRequest, onlyIfAbsent: boolean): Promise<StoredFixing | null> {
  return db.transaction(async (tx) => {
    // One writer per (index, kind, T) at a time, so revision numbers never collide.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`${req.index}|${req.kind}|`}::text || ${req.at}::timestamptz::text))`);
    if (onlyIfAbsent) {
      const existing = await rows(tx, sql`SELECT 1 FROM fixings
        WHERE index_code = ${req.index} AND kind = ${req.kind} AND fixing_time = ${req.at}::timestamptz LIMIT 1`);
      if (existing.length > 0) return null;
    }
    const def = await definitionAt(tx, req.index, req.at);
    const prev = await previousOkFinal(tx, def, req.at);
    const evaluated = await evaluateFixing(tx, def, req.at, prev);
    const sufficient = evaluated.status === "ok";
    await collectUsedInputs(tx, req.at);
    const hash = await inputsSha256(tx, {
      index: def.code,
      definitionVersion: def.version,
      fixingTime: req.at,
      kind: req.kind,
      prevFixingId: prev?.id ?? null,
    });
    const stored = await store(tx, def, req, {
      ...evaluated,
      prevFixingId: sufficient ? (prev?.id ?? null) : null,
      carriedFromFixingId: sufficient ? null : (prev?.id ?? null),
      hash,
    });
    if (req.signer) await signFixing(tx, stored.id, req.signer);
    // A final fixing restates its month's settlement price in the same transaction.
    if (req.kind === "final") await settleAfterFixing(tx, def, stored.id, req.signer);
    return stored;
  });
}

type Published = { value: string | null; level: string | null; p25: string | null; p50: string | null; p75: string | null };

export type EvaluatedFixing = Published & { status: "ok" | "insufficient"; constituents: number; providers: number };

/**
 * The rulebook's steps at T, from the sheets in force to the level: the basket is left in
 * the temp tables `constituents` and `weights`, the published numbers are returned. `prev`
 * is the ok final fixing the level chains from (or an insufficient fixing carries);
 * `inputs` says which stored rows may be read: all of them when computing, only the ones a
 * stored fixing recorded when verifying it.
 */
export async function evaluateFixing(
  tx: Db,
  def: IndexDefinition,
  at: string,
  prev: PreviousFixing | null,
  inputs: InputScope = EVERY_STORED_INPUT,
): Promise<EvaluatedFixing> {
  // Temp tables have no statistics, so the planner over-estimates and Postgres' JIT spends
  // ~1 s compiling a query that runs in milliseconds; the fixing never benefits from it.
  await tx.execute(sql`SET LOCAL jit = off`);
  await sheetsInForce(tx, at, inputs);
  await listedPricesWithHolds(tx, at, inputs);
  await fxInForce(tx, at, inputs);
  await usageInWindow(tx, def, at, inputs);
  await candidates(tx, def, at);
  await cappedWeights(tx, def);
  const stats = await basketStats(tx);
  const sufficient = stats.constituents >= def.minConstituents && stats.providers >= def.minProviders;
  const published = sufficient
    ? { ...(await rounded(tx, stats)), level: await chainLevel(tx, def, prev) }
    : carried(prev);
  return { status: sufficient ? "ok" : "insufficient", ...published, constituents: stats.constituents, providers: stats.providers };
}

/** Sufficiency: an insufficient fixing carries the previous ok fixing's value and level (null
 * when there is none yet) and names it. Its percentiles are null: the rulebook carries value
 * and level only, and the dispersion of a thin basket is not published. */
function carried(prev: PreviousFixing | null): Published {
  return { value: prev?.value ?? null, level: prev?.level ?? null, p25: null, p50: null, p75: null };
}

async function rounded(tx: Db, s: { value: string | null; p25: string | null; p50: string | null; p75: string | null }) {
  const r6 = (x: string | null) => roundHalfEven(sql`${x}::numeric`, 6);
  const [r] = await rows<Omit<Published, "level">>(
    tx,
    sql`SELECT ${r6(s.value)}::text AS value, ${r6(s.p25)}::text AS p25, ${r6(s.p50)}::text AS p50, ${r6(s.p75)}::text AS p75`,
  );
  return r!;
}

async function store(
  tx: Db,
  def: IndexDefinition,
  req: FixingRequest,
  f: Published & {
    status: "ok" | "insufficient";
    constituents: number;
    providers: number;
    prevFixingId: string | null;
    carriedFromFixingId: string | null;
    hash: string;
  },
): Promise<StoredFixing> {
  // Fixing ids must become visible in id order, or a stream client resuming from the
  // highest id it saw (Last-Event-ID) could skip a lower id committed just after. One
  // lock from here to commit serialises only this short tail of the transaction.
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('ciyuan publish'), 0)`);
  const [row] = await rows<{ id: string; revision: number; fixing_time: string }>(
    tx,
    sql`
    INSERT INTO fixings (index_code, definition_version, fixing_time, kind, revision, status, value, level, p25, p50, p75,
                         currency, constituent_count, provider_count, prev_fixing_id, carried_from_fixing_id,
                         methodology_version, inputs_sha256, reason)
    SELECT ${def.code}, ${def.version}, ${req.at}::timestamptz, ${req.kind}, coalesce(max(revision), 0) + 1, ${f.status},
           ${f.value}::numeric, ${f.level}::numeric, ${f.p25}::numeric, ${f.p50}::numeric, ${f.p75}::numeric,
           ${def.currency}, ${f.constituents}, ${f.providers}, ${f.prevFixingId}::bigint, ${f.carriedFromFixingId}::bigint,
           ${def.methodologyVersion}, ${f.hash},
           CASE WHEN count(*) = 0 THEN coalesce(${req.reason ?? null}::text, 'initial')
                ELSE coalesce(${req.reason ?? null}::text, 'recompute') END
    FROM fixings
    WHERE index_code = ${def.code} AND kind = ${req.kind} AND fixing_time = ${req.at}::timestamptz
    RETURNING id::text, revision, fixing_time`,
  );
  const id = row!.id;
  await tx.execute(sql`
    INSERT INTO fixing_constituents (fixing_id, provider, model, raw_weight, weight, capped, price, input_price, output_price,
                                     blended_price, list_input_price, list_cached_input_price, input_tokens,
                                     cached_input_tokens, output_tokens, held, sheet_id, fx_rate_id)
    SELECT ${id}::bigint, c.provider, c.model, w.raw_weight, w.weight, w.capped, c.price, c.p_in, c.output_price,
           c.p_blended, c.input_price, c.cached_price, c.v_in, c.v_c, c.v_out, c.held, c.sheet_id, c.fx_rate_id
    FROM constituents c JOIN weights w USING (provider, model)`);
  await tx.execute(sql`
    INSERT INTO fixing_exclusions (fixing_id, provider, model, reason)
    SELECT ${id}::bigint, provider, model, exclusion FROM constituent_candidates WHERE exclusion IS NOT NULL`);
  await tx.execute(sql`INSERT INTO fixing_inputs (fixing_id, kind, ref_id) SELECT ${id}::bigint, kind, ref_id FROM used_inputs`);
  return {
    id,
    index: def.code,
    fixingTime: isoUtc(row!.fixing_time),
    kind: req.kind,
    revision: row!.revision,
    status: f.status,
    value: f.value,
    level: f.level,
    inputsSha256: f.hash,
  };
}
