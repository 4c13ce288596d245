/**
 * The service's own state, read for /health, /v1/status and /metrics: is the database
 * answering, each index's fixing calendar and latest final fixing, whether the final that
 * is due now is stored, when did each source last run. Every read is bounded in time, so
 * a hung database makes a probe fail fast instead of hang. Judging what is read (ok,
 * degraded, down) is health.ts's job, not this module's.
 */
import { sql } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../../db/index.ts";

/** How long one status query may take before the database counts as unreachable. */
export const STATUS_TIMEOUT_MS = 2000;

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
  /** Whole seconds from fixing_time to now, never negative (a fixing time still ahead is 0). */
  ageSeconds: number | null;
  /** Epoch seconds of fixing_time, for the Prometheus gauge. */
  fixingEpoch: number | null;
};

/** Whole seconds from `epochSeconds` to `now`, clamped at 0: a time ahead of the clock has age 0. */
export function ageSince(epochSeconds: number, now: Date): number {
  return Math.max(0, Math.floor(now.getTime() / 1000 - epochSeconds));
}

/** Every index with its latest final fixing (latest revision), by code; ages as of `now`. */
export async function latestFinals(db: Db, now: Date = new Date(), ms = STATUS_TIMEOUT_MS): Promise<LatestFinal[]> {
  const found = await withTimeout(
    rows<{
      index: string;
      fixing_time: string | null;
      revision: number | null;
      status: "ok" | "insufficient" | null;
      fixing_epoch: number | null;
    }>(
      db,
      sql`SELECT d.code AS index, l.fixing_time, l.revision::int AS revision, l.status,
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
    ageSeconds: r.fixing_epoch === null ? null : ageSince(r.fixing_epoch, now),
    fixingEpoch: r.fixing_epoch,
  }));
}

export type IndexCalendar = {
  index: string;
  /** Of the definition in force at `now`; null when no version is in force yet. */
  fixingLocalTime: string | null;
  fixingTz: string | null;
  /** When the index's first definition took effect (ISO UTC): nothing is due before it. */
  firstValidFrom: string;
};

/** Each index's final fixing time and zone as defined at `now`, by code. */
export async function indexCalendars(db: Db, now: Date = new Date(), ms = STATUS_TIMEOUT_MS): Promise<IndexCalendar[]> {
  const found = await withTimeout(
    rows<{ index: string; fixing_local_time: string | null; fixing_tz: string | null; first_valid_from: string }>(
      db,
      sql`SELECT c.code AS index, d.fixing_local_time, d.fixing_tz, c.first_valid_from
          FROM (SELECT code, min(valid_from) AS first_valid_from FROM index_definitions GROUP BY code) c
          LEFT JOIN LATERAL (
            SELECT x.fixing_local_time, x.fixing_tz FROM index_definitions x
            WHERE x.code = c.code AND x.valid_from <= ${now.toISOString()}::timestamptz
            ORDER BY x.version DESC LIMIT 1
          ) d ON true
          ORDER BY c.code COLLATE "C"`,
    ),
    ms,
  );
  return found.map((r) => ({
    index: r.index,
    fixingLocalTime: r.fixing_local_time,
    fixingTz: r.fixing_tz,
    firstValidFrom: isoUtc(r.first_valid_from),
  }));
}

export type StoredFinal = { revision: number; status: "ok" | "insufficient"; computedAt: string };

/**
 * The stored final fixing (latest revision) of each index at the given time, exactly: a
 * fixing at any other time, later ones included, does not stand in for it.
 */
export async function finalsAt(
  db: Db,
  wanted: readonly { index: string; at: string }[],
  ms = STATUS_TIMEOUT_MS,
): Promise<Map<string, StoredFinal>> {
  const out = new Map<string, StoredFinal>();
  if (wanted.length === 0) return out;
  const found = await withTimeout(
    rows<{ index: string; revision: number; status: "ok" | "insufficient"; computed_at: string }>(
      db,
      sql`SELECT w.code AS index, f.revision::int AS revision, f.status, f.computed_at
          FROM jsonb_to_recordset(${JSON.stringify(wanted.map((w) => ({ code: w.index, at: w.at })))}::jsonb)
            AS w(code text, at timestamptz)
          JOIN LATERAL (
            SELECT revision, status, computed_at FROM fixings
            WHERE index_code = w.code AND kind = 'final' AND fixing_time = w.at
            ORDER BY revision DESC LIMIT 1
          ) f ON true`,
    ),
    ms,
  );
  for (const r of found) out.set(r.index, { revision: r.revision, status: r.status, computedAt: isoUtc(r.computed_at) });
  return out;
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
