/**
 * The service's own state, read for /health and /metrics: is the database answering, how
 * old is each index's latest final fixing, when did each source last run. Every read is
 * bounded in time, so a hung database makes a probe fail fast instead of hang.
 */
import { sql } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../db/index.ts";

/** How long one status query may take before the database counts as unreachable. */
export const STATUS_TIMEOUT_MS = 2000;

/**
 * A final fixing older than this is stale: a daily fixing plus an hour's grace for the
 * run to finish (DST days of an index fixed in such a zone stay inside it too).
 */
export const STALE_AFTER_SECONDS = 25 * 3600;

export class StatusTimeout extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = "StatusTimeout";
  }
}

/** The promise's result, or a StatusTimeout after `ms`; a late failure is swallowed. */
export function withTimeout<T>(promise: Promise<T>, ms = STATUS_TIMEOUT_MS): Promise<T> {
  promise.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StatusTimeout(ms)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `SELECT 1`; resolves with the round trip in milliseconds. */
export async function pingDatabase(db: Db, ms = STATUS_TIMEOUT_MS): Promise<number> {
  const started = performance.now();
  await withTimeout(rows(db, sql`SELECT 1 AS one`), ms);
  return Math.round(performance.now() - started);
}

export type LatestFinal = {
  index: string;
  /** Null when the index has no final fixing yet. */
  fixingTime: string | null;
  revision: number | null;
  status: "ok" | "insufficient" | null;
  /** Whole seconds from fixing_time to now (negative for a fixing time still ahead). */
  ageSeconds: number | null;
  /** Epoch seconds of fixing_time, for the Prometheus gauge. */
  fixingEpoch: number | null;
};

/** Every index with its latest final fixing (latest revision), by code. */
export async function latestFinals(db: Db, ms = STATUS_TIMEOUT_MS): Promise<LatestFinal[]> {
  const found = await withTimeout(
    rows<{
      index: string;
      fixing_time: string | null;
      revision: number | null;
      status: "ok" | "insufficient" | null;
      age_seconds: number | null;
      fixing_epoch: number | null;
    }>(
      db,
      sql`SELECT d.code AS index, l.fixing_time, l.revision::int AS revision, l.status,
            floor(extract(epoch FROM now() - l.fixing_time))::float8 AS age_seconds,
            extract(epoch FROM l.fixing_time)::float8 AS fixing_epoch
          FROM (SELECT DISTINCT code FROM index_definitions) d
          LEFT JOIN LATERAL (
            SELECT f.fixing_time, f.revision, f.status FROM fixings f
            WHERE f.index_code = d.code AND f.kind = 'final'
            ORDER BY f.fixing_time DESC, f.revision DESC LIMIT 1
          ) l ON true
          ORDER BY d.code COLLATE "C"`,
    ),
    ms,
  );
  return found.map((r) => ({
    index: r.index,
    fixingTime: isoUtc(r.fixing_time),
    revision: r.revision,
    status: r.status,
    ageSeconds: r.age_seconds,
    fixingEpoch: r.fixing_epoch,
  }));
}

export type SourceStatus = {
  source: string;
  kind: string;
  lastAttempt: { startedAt: string; finishedAt: string; outcome: "ok" | "not_modified" | "failed"; detail: string | null };
  /** The last run that reached the source and read it (`ok` or `not_modified`). */
  lastSuccessAt: string | null;
  lastSuccessEpoch: number | null;
  lastError: { at: string; detail: string | null } | null;
  lastAttemptEpoch: number;
};

/** The last attempt, last success and last failure of every source that ever ran, by name. */
export async function sourceStatuses(db: Db, ms = STATUS_TIMEOUT_MS): Promise<SourceStatus[]> {
  const found = await withTimeout(
    rows<{
      source: string;
      kind: string;
      started_at: string;
      finished_at: string;
      outcome: "ok" | "not_modified" | "failed";
      detail: string | null;
      attempt_epoch: number;
      success_at: string | null;
      success_epoch: number | null;
      error_at: string | null;
      error_detail: string | null;
    }>(
      db,
      sql`WITH last AS (
            SELECT DISTINCT ON (source) source, kind, started_at, finished_at, outcome, detail
            FROM source_runs ORDER BY source, finished_at DESC, id DESC
          ), success AS (
            SELECT source, max(finished_at) AS at FROM source_runs
            WHERE outcome IN ('ok', 'not_modified') GROUP BY source
          ), failure AS (
            SELECT DISTINCT ON (source) source, finished_at AS at, detail FROM source_runs
            WHERE outcome = 'failed' ORDER BY source, finished_at DESC, id DESC
          )
          SELECT last.source, last.kind, last.started_at, last.finished_at, last.outcome, last.detail,
            extract(epoch FROM last.finished_at)::float8 AS attempt_epoch,
            success.at AS success_at, extract(epoch FROM success.at)::float8 AS success_epoch,
            failure.at AS error_at, failure.detail AS error_detail
          FROM last LEFT JOIN success USING (source) LEFT JOIN failure USING (source)
          ORDER BY last.source COLLATE "C"`,
    ),
    ms,
  );
  return found.map((r) => ({
    source: r.source,
    kind: r.kind,
    lastAttempt: { startedAt: isoUtc(r.started_at), finishedAt: isoUtc(r.finished_at), outcome: r.outcome, detail: r.detail },
    lastSuccessAt: isoUtc(r.success_at),
    lastSuccessEpoch: r.success_epoch,
    lastError: r.error_at === null ? null : { at: isoUtc(r.error_at), detail: r.error_detail },
    lastAttemptEpoch: r.attempt_epoch,
  }));
}
