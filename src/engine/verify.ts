/**
 * Verifying a stored final fixing revision (`ciyuan verify`) [1.1]: it is evaluated again at
 * its own watermark (inputs_watermark), with the definition version it was computed under
 * and the fixing it chained from, and four things are checked:
 *   inputs_sha256  the hash of the recomputed aggregated inputs equals the stored one;
 *   numbers        status, value, level, percentiles and every constituent's weight and
 *                  price equal the stored ones exactly;
 *   exclusions     the same (provider, model) are excluded, for the same reasons;
 *   signature      every stored signature verifies with its key from signing_keys over the
 *                  ciyuan-fixing/1 text of the stored row (none stored is a failure).
 * A fixing stored under methodology 1.0 keeps its 1.0 inputs hash (over the input rows it
 * recorded) and its signature checked; its numbers are not recomputed (the 1.0 engine,
 * with its 40-place quotients, was retired), and the numbers check says so and fails.
 * Everything runs in one REPEATABLE READ transaction that is always rolled back.
 */
import { sql } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../db/index.ts";
import { CiyuanError } from "../errors.ts";
import { verifySignature } from "../signing/index.ts";
import { definitionVersion } from "./definitions.ts";
import { constituentDifferences, exclusionDifferences, NAMED_DIFFERENCES, publishedDifferences } from "./differences.ts";
import { evaluate, type Evaluation } from "./evaluate.ts";
import { inputsSha256 } from "./inputs-hash.ts";
import { fixingForChain } from "./level.ts";
import { storedFixingPayload } from "./seal.ts";
import { legacyInputsSha256 } from "./v1_0/inputs-hash.ts";

export type VerifyRequest = { index: string; at: string; revision?: number | undefined };

export type CheckName = "inputs_sha256" | "numbers" | "exclusions" | "signature";

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
  inputs_watermark: string | null;
  methodology_version: string;
};

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
        const checks = stored.inputs_watermark === null ? await legacyChecks(tx, stored) : await checksAtWatermark(tx, stored);
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
               prev_fixing_id::text, carried_from_fixing_id::text, inputs_sha256, inputs_watermark::text,
               methodology_version
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

async function checksAtWatermark(tx: Db, f: StoredRow): Promise<Check[]> {
  const def = await definitionVersion(tx, f.index_code, f.definition_version);
  const prev = await fixingForChain(tx, prevId(f));
  const e = await evaluate(tx, def, { at: isoUtc(f.fixing_time), watermark: f.inputs_watermark!, prev });
  const hash = inputsSha256(e, "final");
  const hashCheck: Check =
    hash === f.inputs_sha256
      ? { name: "inputs_sha256", ok: true, detail: `ok (${hash} at watermark ${f.inputs_watermark})` }
      : { name: "inputs_sha256", ok: false, detail: `mismatch: stored ${f.inputs_sha256} != recomputed ${hash}` };
  const differences = [...(await publishedDifferences(tx, f, e)), ...(await constituentDifferences(tx, f, e))];
  const numbers: Check =
    differences.length === 0
      ? { name: "numbers", ok: true, detail: `ok (${e.status}, value ${e.value ?? "null"}, ${e.constituents.length} constituents)` }
      : { name: "numbers", ok: false, detail: `mismatch: ${differences.join("; ")}` };
  return [hashCheck, numbers, await checkExclusions(tx, f, e), await checkSignature(tx, f)];
}

/** A fixing stored under methodology 1.0: its recorded-rows hash and its signature. */
async function legacyChecks(tx: Db, f: StoredRow): Promise<Check[]> {
  const hash = await legacyInputsSha256(tx, {
    id: f.id,
    index: f.index_code,
    definitionVersion: f.definition_version,
    fixingTime: f.fixing_time,
    kind: "final",
    prevFixingId: prevId(f),
  });
  const hashCheck: Check =
    hash === f.inputs_sha256
      ? { name: "inputs_sha256", ok: true, detail: `ok (${hash}, methodology 1.0: over the input rows it recorded)` }
      : { name: "inputs_sha256", ok: false, detail: `mismatch: stored ${f.inputs_sha256} != recomputed ${hash}` };
  const numbers: Check = {
    name: "numbers",
    ok: false,
    detail: `not recomputed: stored under methodology ${f.methodology_version}, whose engine is retired; restate it to compute it under 1.1`,
  };
  return [hashCheck, numbers, await checkSignature(tx, f)];
}

/** The stored exclusions against the recomputed ones, with their reasons. */
async function checkExclusions(tx: Db, f: StoredRow, e: Evaluation): Promise<Check> {
  const { stored, diffs } = await exclusionDifferences(tx, f, e);
  if (diffs.length === 0) return { name: "exclusions", ok: true, detail: `ok (${stored} exclusions with their reasons)` };
  const named = diffs.slice(0, NAMED_DIFFERENCES);
  if (diffs.length > NAMED_DIFFERENCES) named.push(`${diffs.length - NAMED_DIFFERENCES} more exclusions differ`);
  return { name: "exclusions", ok: false, detail: `mismatch: ${named.join("; ")}` };
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
