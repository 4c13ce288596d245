/**
 * Verifying a stored final fixing revision (`ciyuan verify`): it is recomputed from the
 * input rows recorded for it (fixing_inputs) and the fixing it chained from, not from what
 * is in force now, and three things are checked:
 *   inputs_sha256  the hash over the recorded input rows, as they are now, equals the stored one;
 *   numbers        status, value, level, percentiles and every constituent's weight and price
 *                  equal the stored ones exactly;
 *   signature      every stored signature verifies with its key from signing_keys over the
 *                  ciyuan-fixing/1 text of the stored row (none stored is a failure).
 * The recompute runs in one transaction that is always rolled back: nothing is stored.
 */
import { sql } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../db/index.ts";
import { CiyuanError } from "../errors.ts";
import { verifySignature } from "../signing/index.ts";
import { definitionVersion } from "./definitions.ts";
import { evaluateFixing, type EvaluatedFixing } from "./fixing.ts";
import { inputsSha256 } from "./inputs-hash.ts";
import { fixingForChain } from "./level.ts";
import { storedFixingPayload } from "./seal.ts";

export type VerifyRequest = { index: string; at: string; revision?: number | undefined };

export type CheckName = "inputs_sha256" | "numbers" | "signature";

/** One check: `detail` starts with "ok" when it passed. */
export type Check = { name: CheckName; ok: boolean; detail: string };

export type Verification = {
  index: string;
  fixingTime: string;
  kind: "final";
  revision: number;
  ok: boolean;
  checks: Check[];
};

type StoredRow = {
  id: string;
  index_code: string;
  definition_version: number;
  fixing_time: string;
  revision: number;
  status: "ok" | "insufficient";
  prev_fixing_id: string | null;
  carried_from_fixing_id: string | null;
  inputs_sha256: string;
};

/** How many differing constituents a mismatch line names before it summarises the rest. */
const NAMED_DIFFERENCES = 3;

/** Carries the result out of the transaction while making it roll back. */
class RolledBack extends Error {
  constructor(readonly result: Verification) {
    super("verification rolled back");
  }
}

export async function verifyFixing(db: Db, req: VerifyRequest): Promise<Verification> {
  try {
    // One snapshot for the whole check, so a fixing stored meanwhile cannot split it.
    await db.transaction(
      async (tx) => {
        const stored = await storedRevision(tx, req);
        const checks = [await checkInputsHash(tx, stored), await checkNumbers(tx, stored), await checkSignature(tx, stored)];
        throw new RolledBack({
          index: stored.index_code,
          fixingTime: isoUtc(stored.fixing_time),
          kind: "final",
          revision: stored.revision,
          ok: checks.every((c) => c.ok),
          checks,
        });
      },
      { isolationLevel: "repeatable read" },
    );
  } catch (err) {
    if (err instanceof RolledBack) return err.result;
    throw err;
  }
  throw new Error("unreachable: the verification transaction always rolls back");
}

async function storedRevision(tx: Db, req: VerifyRequest): Promise<StoredRow> {
  const [known] = await rows(tx, sql`SELECT 1 FROM index_definitions WHERE code = ${req.index} LIMIT 1`);
  if (!known) throw new CiyuanError("unknown_index", `unknown index: ${req.index}`);
  const revision = req.revision === undefined ? sql`` : sql`AND revision = ${req.revision}`;
  const [row] = await rows<StoredRow>(
    tx,
    sql`SELECT id::text, index_code, definition_version, fixing_time, revision::int AS revision, status,
               prev_fixing_id::text, carried_from_fixing_id::text, inputs_sha256
        FROM fixings
        WHERE index_code = ${req.index} AND kind = 'final' AND fixing_time = ${req.at}::timestamptz ${revision}
        ORDER BY revision DESC LIMIT 1`,
  );
  if (!row) {
    const which = req.revision === undefined ? "" : ` revision ${req.revision}`;
    throw new CiyuanError("not_found", `no final fixing of ${req.index} at ${req.at}${which}`);
  }
  return row;
}

/** The fixing the stored one chained its level from, or carried (the same `prev` when computed). */
const prevId = (f: StoredRow) => f.prev_fixing_id ?? f.carried_from_fixing_id;

async function checkInputsHash(tx: Db, f: StoredRow): Promise<Check> {
  const recomputed = await inputsSha256(
    tx,
    { index: f.index_code, definitionVersion: f.definition_version, fixingTime: f.fixing_time, kind: "final", prevFixingId: prevId(f) },
    sql`SELECT kind, ref_id FROM fixing_inputs WHERE fixing_id = ${f.id}::bigint`,
  );
  return recomputed === f.inputs_sha256
    ? { name: "inputs_sha256", ok: true, detail: `ok (${recomputed})` }
    : { name: "inputs_sha256", ok: false, detail: `mismatch: stored ${f.inputs_sha256} != recomputed ${recomputed}` };
}

async function checkNumbers(tx: Db, f: StoredRow): Promise<Check> {
  const def = await definitionVersion(tx, f.index_code, f.definition_version);
  const prev = await fixingForChain(tx, prevId(f));
  const recomputed = await evaluateFixing(tx, def, isoUtc(f.fixing_time), prev, { fixingId: f.id });
  const differences = [...(await publishedDifferences(tx, f, recomputed)), ...(await constituentDifferences(tx, f))];
  return differences.length === 0
    ? { name: "numbers", ok: true, detail: `ok (${recomputed.status}, value ${recomputed.value ?? "null"}, ${recomputed.constituents} constituents)` }
    : { name: "numbers", ok: false, detail: `mismatch: ${differences.join("; ")}` };
}

const PUBLISHED = ["value", "level", "p25", "p50", "p75"] as const;

/** Status and the published numbers, compared as exact decimals (2.5 equals 2.500000). */
async function publishedDifferences(tx: Db, f: StoredRow, r: EvaluatedFixing): Promise<string[]> {
  const out: string[] = [];
  if (f.status !== r.status) out.push(`status stored ${f.status} != recomputed ${r.status}`);
  const [cmp] = await rows<Record<(typeof PUBLISHED)[number], string | null> & Record<`${(typeof PUBLISHED)[number]}_same`, boolean>>(
    tx,
    sql`SELECT ${sql.join(
      PUBLISHED.map((k) => sql`${sql.identifier(k)}::text AS ${sql.identifier(k)},
        ${sql.identifier(k)} IS NOT DISTINCT FROM ${r[k]}::numeric AS ${sql.identifier(`${k}_same`)}`),
      sql`, `,
    )} FROM fixings WHERE id = ${f.id}::bigint`,
  );
  for (const k of PUBLISHED) {
    if (!cmp![`${k}_same`]) out.push(`${k} stored ${cmp![k] ?? "null"} != recomputed ${r[k] ?? "null"}`);
  }
  return out;
}

type ConstituentDiff = {
  provider: string;
  model: string;
  stored_weight: string | null;
  weight: string | null;
  stored_price: string | null;
  price: string | null;
};

/** The stored constituents against the recomputed basket (temp tables constituents, weights). */
async function constituentDifferences(tx: Db, f: StoredRow): Promise<string[]> {
  const diffs = await rows<ConstituentDiff>(
    tx,
    sql`SELECT coalesce(s.provider, r.provider) AS provider, coalesce(s.model, r.model) AS model,
               s.weight::text AS stored_weight, r.weight::text AS weight, s.price::text AS stored_price, r.price::text AS price
        FROM (SELECT provider, model, weight, price FROM fixing_constituents WHERE fixing_id = ${f.id}::bigint) s
        FULL JOIN (SELECT c.provider, c.model, w.weight, c.price FROM constituents c JOIN weights w USING (provider, model)) r
          ON r.provider = s.provider AND r.model = s.model
        WHERE s.provider IS NULL OR r.provider IS NULL OR s.weight <> r.weight OR s.price <> r.price
        ORDER BY coalesce(s.provider, r.provider) COLLATE "C", coalesce(s.model, r.model) COLLATE "C"`,
  );
  const named = diffs.slice(0, NAMED_DIFFERENCES).map((d) => {
    const who = `constituent ${d.provider}/${d.model}`;
    if (d.weight === null) return `${who} stored but not recomputed`;
    if (d.stored_weight === null) return `${who} recomputed but not stored`;
    const parts: string[] = [];
    if (d.stored_weight !== d.weight) parts.push(`weight stored ${d.stored_weight} != recomputed ${d.weight}`);
    if (d.stored_price !== d.price) parts.push(`price stored ${d.stored_price} != recomputed ${d.price}`);
    return `${who} ${parts.join(", ")}`;
  });
  if (diffs.length > NAMED_DIFFERENCES) named.push(`${diffs.length - NAMED_DIFFERENCES} more constituents differ`);
  return named;
}

async function checkSignature(tx: Db, f: StoredRow): Promise<Check> {
  const sigs = await rows<{ kid: string; sig: string; public_key: string | null }>(
    tx,
    sql`SELECT s.kid, s.sig, k.public_key FROM fixing_signatures s LEFT JOIN signing_keys k ON k.kid = s.kid
        WHERE s.fixing_id = ${f.id}::bigint ORDER BY s.signed_at, s.kid`,
  );
  if (sigs.length === 0) return { name: "signature", ok: false, detail: "missing: no signature stored for this revision" };
  const text = await storedFixingPayload(tx, f.id);
  const kids = (list: typeof sigs) => list.map((s) => s.kid).join(", ");
  const unknown = sigs.filter((s) => s.public_key === null);
  const failing = sigs.filter((s) => s.public_key !== null && !verifySignature(s.public_key, text, s.sig));
  const reasons = [
    ...(failing.length > 0 ? [`does not verify (kid ${kids(failing)})`] : []),
    ...(unknown.length > 0 ? [`key not in signing_keys (kid ${kids(unknown)})`] : []),
  ];
  return reasons.length === 0
    ? { name: "signature", ok: true, detail: `ok (kid ${kids(sigs)})` }
    : { name: "signature", ok: false, detail: `mismatch: ${reasons.join("; ")}` };
}
