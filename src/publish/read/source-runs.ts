/**
 * A collector source's runs as recorded (src/collect/record.ts), newest first: when each
 * ran, how it ended, the payload it read, and the registry entries it skipped.
 */
import { sql } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../../db/index.ts";

export type SkippedEntry = { provider: string; model: string; reason: string };

export type SourceRunView = {
  startedAt: string;
  finishedAt: string;
  outcome: string;
  detail: string | null;
  payloadId: string | null;
  /** Empty when the run skipped nothing (stored as null). */
  skipped: SkippedEntry[];
};

/** At most `limit` runs of `source`, newest first; empty when it never ran. */
export async function sourceRuns(db: Db, source: string, limit: number): Promise<SourceRunView[]> {
  // jsonb as text: both drivers then hand back the same thing, parsed here.
  const found = await rows<{ started_at: string; finished_at: string; outcome: string; detail: string | null; payload_id: string | null; skipped: string | null }>(
    db,
    sql`SELECT started_at, finished_at, outcome, detail, payload_id::text AS payload_id, skipped::text AS skipped
        FROM source_runs WHERE source = ${source}
        ORDER BY finished_at DESC, id DESC LIMIT ${limit}`,
  );
  return found.map((r) => ({
    startedAt: isoUtc(r.started_at),
    finishedAt: isoUtc(r.finished_at),
    outcome: r.outcome,
    detail: r.detail,
    payloadId: r.payload_id,
    skipped: skippedEntries(r.skipped),
  }));
}

/** The stored list, keeping only well-formed entries (the column is jsonb, not a contract). */
function skippedEntries(text: string | null): SkippedEntry[] {
  if (text === null) return [];
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value)) return [];
  return value.flatMap((e: unknown) => {
    const { provider, model, reason } = (e ?? {}) as Record<string, unknown>;
    return typeof provider === "string" && typeof model === "string" && typeof reason === "string" ? [{ provider, model, reason }] : [];
  });
}
