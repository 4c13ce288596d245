/**
 * Input batches (rulebook [1.1] "Inputs by watermark"). Every stored input — a price sheet,
 * a usage file or submission, an FX file, an approval, a withdrawal — is written under a
 * batch number, and a fixing reads everything up to its watermark and nothing after it.
 *
 * Numbers must become visible in the order they are taken: a fixing that saw batch 12
 * must never later find a batch 11 committed after it. So a batch is opened under one
 * exclusive transaction lock that is held until commit: writers of batches take turns,
 * each number is committed (or rolled back, leaving a harmless gap) before the next one is
 * taken, and Postgres makes a commit visible before it releases the transaction's locks.
 * Open the batch as late as possible in the transaction (after parsing and validation), so
 * the turn is short.
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";

export type BatchKind = "prices" | "usage" | "fx" | "approval" | "withdrawal";

/** Where a batch came from (operations-and-users.md section 4). */
export type Origin = "sample" | "file" | "operator" | `collector:${string}` | `contributor:${string}`;

/**
 * The origin of an import's batches from the `source` it names (payloads.source): "file"
 * and "sample" are themselves, "contributor:<name>" too; any other is a collector's name.
 */
export function originOf(source: string): Origin {
  if (source === "file" || source === "sample") return source;
  if (source.startsWith("contributor:")) return source as Origin;
  return `collector:${source}`;
}

/** pg_advisory_xact_lock key of the batch turn. */
const BATCH_TURN = 7243200;

/** Takes the batch turn and opens a batch; returns its number. Call inside a transaction. */
export async function openBatch(
  tx: Db,
  kind: BatchKind,
  origin: Origin,
  payloadId: string | null = null,
  opts: { proxy?: boolean } = {},
): Promise<string> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${BATCH_TURN})`);
  const [row] = await rows<{ id: string }>(
    tx,
    sql`INSERT INTO input_batches (kind, origin, payload_id, proxy)
        VALUES (${kind}, ${origin}, ${payloadId}::bigint, ${opts.proxy === true}) RETURNING id::text`,
  );
  return row!.id;
}

/** The highest batch number visible to this transaction's snapshot: with batches opened
 * under the turn, every lower number is committed or was rolled back. */
export async function visibleWatermark(tx: Db): Promise<string> {
  const [row] = await rows<{ w: string }>(tx, sql`SELECT coalesce(max(id), 0)::text AS w FROM input_batches`);
  return row!.w;
}
