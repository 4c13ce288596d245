/**
 * Judging the service's state (operations spec, "Health"): what status.ts reads becomes the
 * checks of /v1/status and, projected, of /health, with an overall status and one reason
 * line per thing that is wrong.
 *
 * - down: the database does not answer (within STATUS_TIMEOUT_MS), or an index's due final
 *   fixing (its most recent final fixing time at or before now) is missing more than
 *   FINAL_LATE_AFTER_SECONDS after that time;
 * - degraded: a source failed on its last run, or a configured price source has not
 *   succeeded within PRICE_SOURCE_INTERVALS of its intervals;
 * - ok otherwise.
 *
 * Every age is clamped at 0: a time ahead of the clock (a fixing stored in the future
 * before the calendar refused those, or clocks apart) is age 0, not a negative one.
 */
import { DateTime } from "luxon";
import { PAYLOAD_KIND } from "../collect/record.ts";
import { finalFixingTime } from "../engine/schedule-times.ts";
import type { AppDeps, ConfiguredSource } from "./deps.ts";
import {
  FINAL_LATE_AFTER_SECONDS,
  PRICE_SOURCE_INTERVALS,
  type HealthBody,
  type StatusBody,
} from "./health-schemas.ts";
import { scheduleIntervalSeconds } from "./source-interval.ts";
import {
  ageSince,
  finalsAt,
  indexCalendars,
  latestFinals,
  pingDatabase,
  sourceStatuses,
  STATUS_TIMEOUT_MS,
  type IndexCalendar,
  type LatestFinal,
  type SourceStatus,
  type StoredFinal,
} from "./read/status.ts";

type FixingDetail = NonNullable<StatusBody["checks"]["fixings"]>[number];
type SourceDetail = NonNullable<StatusBody["checks"]["sources"]>[number];

export type HealthDeps = Pick<AppDeps, "db" | "now" | "sources">;

const RULES: StatusBody["rules"] = {
  database_timeout_ms: STATUS_TIMEOUT_MS,
  final_late_after_seconds: FINAL_LATE_AFTER_SECONDS,
  price_source_intervals: PRICE_SOURCE_INTERVALS,
};

/**
 * The status check of one app. A configured price source that never succeeded is judged
 * from the moment the checker was made (the service's start): until then it had no chance.
 */
export function healthChecker(deps: HealthDeps): () => Promise<StatusBody> {
  const now = deps.now ?? (() => new Date());
  const upSince = now();
  return () => checkStatus(deps, now(), upSince);
}

async function checkStatus(deps: HealthDeps, at: Date, upSince: Date): Promise<StatusBody> {
  const checkedAt = at.toISOString();
  let latency: number;
  try {
    latency = await pingDatabase(deps.db);
  } catch (err) {
    return down(checkedAt, null, `database unreachable: ${firstLine(err)}`);
  }
  let calendars: IndexCalendar[];
  let finals: LatestFinal[];
  let stored: Map<string, StoredFinal>;
  let runs: SourceStatus[];
  const dues = new Map<string, string | null>();
  try {
    calendars = await indexCalendars(deps.db, at);
    for (const cal of calendars) dues.set(cal.index, latestDueFinal(cal, at));
    const wanted = [...dues].flatMap(([index, due]) => (due === null ? [] : [{ index, at: due }]));
    finals = await latestFinals(deps.db, at);
    stored = await finalsAt(deps.db, wanted);
    runs = await sourceStatuses(deps.db);
  } catch (err) {
    return down(checkedAt, latency, `database query failed: ${firstLine(err)}`);
  }

  const byIndex = new Map(calendars.map((c) => [c.index, c]));
  const fixings = finals.map((f) => judgeFixing(f, byIndex.get(f.index), dues.get(f.index) ?? null, stored.get(f.index), at));
  const sources = judgeSources(deps.sources, runs, at, upSince);
  const reasons = [
    ...fixings.flatMap((f) => (f.ok ? [] : [lateReason(f)])),
    ...sources.flatMap((s) => (s.ok ? [] : s.problems.map((p) => `source ${s.check.source} ${p}`))),
  ];
  const status = fixings.some((f) => !f.ok) ? "down" : sources.some((s) => !s.ok) ? "degraded" : "ok";
  return {
    status,
    checked_at: checkedAt,
    reasons,
    rules: RULES,
    checks: {
      database: { ok: true, latency_ms: latency, error: null },
      fixings,
      sources: sources.map((s) => s.check),
    },
  };
}

/**
 * The most recent final fixing time at or before `at` under the definition in force, or
 * null when the index has none in force or its first definition came after that time.
 */
export function latestDueFinal(cal: IndexCalendar, at: Date): string | null {
  if (cal.fixingLocalTime === null || cal.fixingTz === null) return null;
  const def = { fixingLocalTime: cal.fixingLocalTime, fixingTz: cal.fixingTz };
  const today = DateTime.fromJSDate(at, { zone: cal.fixingTz });
  let due = finalFixingTime(def, today.toISODate()!);
  if (Date.parse(due) > at.getTime()) due = finalFixingTime(def, today.minus({ days: 1 }).toISODate()!);
  return Date.parse(due) < Date.parse(cal.firstValidFrom) ? null : due;
}

function judgeFixing(
  f: LatestFinal,
  cal: IndexCalendar | undefined,
  due: string | null,
  dueFixing: StoredFinal | undefined,
  at: Date,
): FixingDetail {
  const present = due === null ? null : dueFixing !== undefined;
  const late = due !== null && !present ? ageSince(Date.parse(due) / 1000, at) : 0;
  return {
    index: f.index,
    ok: late <= FINAL_LATE_AFTER_SECONDS,
    due,
    due_present: present,
    late_seconds: late,
    fixing_time: f.fixingTime,
    age_seconds: f.ageSeconds,
    revision: f.revision,
    status: f.status,
    fixing_local_time: cal?.fixingLocalTime ?? null,
    fixing_tz: cal?.fixingTz ?? null,
    due_fixing: dueFixing ? { revision: dueFixing.revision, status: dueFixing.status, computed_at: dueFixing.computedAt } : null,
  };
}

function lateReason(f: FixingDetail): string {
  return `index ${f.index}: the final fixing due at ${f.due} is missing, ${f.late_seconds} s after its time (limit ${FINAL_LATE_AFTER_SECONDS} s)`;
}

const isPriceKind = (kind: string) => (PAYLOAD_KIND as Record<string, string | undefined>)[kind] === "prices";

type JudgedSource = { check: SourceDetail; ok: boolean; problems: string[] };

/**
 * With the config: each configured source is judged, and a source that ran but is no longer
 * configured is listed unjudged. Without it: each source that ever ran, by its last run.
 */
function judgeSources(
  configured: readonly ConfiguredSource[] | undefined,
  runs: SourceStatus[],
  at: Date,
  upSince: Date,
): JudgedSource[] {
  const runOf = new Map(runs.map((r) => [r.source, r]));
  const configOf = new Map((configured ?? []).map((c) => [c.name, c]));
  const names = [...new Set([...configOf.keys(), ...runOf.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => judgeSource(name, configured === undefined ? null : (configOf.get(name) ?? false), runOf.get(name), at, upSince));
}

function judgeSource(
  name: string,
  config: ConfiguredSource | false | null,
  run: SourceStatus | undefined,
  at: Date,
  upSince: Date,
): JudgedSource {
  const kind = config ? config.kind : (run?.kind ?? "");
  const price = isPriceKind(kind);
  const judged = config !== false;
  const problems: string[] = [];
  if (judged && run?.lastAttempt.outcome === "failed") {
    problems.push(`failed on its last run: ${oneLine(run.lastAttempt.detail ?? "no detail")}`);
  }
  const interval = config ? scheduleIntervalSeconds(config.every, config.tz) : null;
  const within = price && interval !== null ? PRICE_SOURCE_INTERVALS * interval : null;
  if (within !== null) {
    const sinceEpoch = run?.lastSuccessEpoch ?? upSince.getTime() / 1000;
    if (ageSince(sinceEpoch, at) > within) {
      const last = run?.lastSuccessAt ? `last success ${run.lastSuccessAt}` : "never succeeded";
      problems.push(`has not succeeded within ${PRICE_SOURCE_INTERVALS} of its intervals (${PRICE_SOURCE_INTERVALS} x ${interval} s): ${last}`);
    }
  }
  const ok = problems.length === 0;
  return {
    ok,
    problems,
    check: {
      source: name,
      kind,
      price,
      ok,
      reason: ok ? null : problems.join("; "),
      last_outcome: run?.lastAttempt.outcome ?? null,
      last_attempt_at: run?.lastAttempt.finishedAt ?? null,
      last_success_at: run?.lastSuccessAt ?? null,
      age_seconds: run?.lastSuccessEpoch == null ? null : ageSince(run.lastSuccessEpoch, at),
      configured: config === null ? null : config !== false,
      every: config ? config.every : null,
      tz: config ? (config.tz ?? "UTC") : null,
      interval_seconds: interval,
      success_within_seconds: within,
      last_attempt: run
        ? {
            started_at: run.lastAttempt.startedAt,
            finished_at: run.lastAttempt.finishedAt,
            outcome: run.lastAttempt.outcome,
            detail: run.lastAttempt.detail,
          }
        : null,
      attempt_age_seconds: run ? ageSince(run.lastAttemptEpoch, at) : null,
      last_error: run?.lastError ?? null,
    },
  };
}

function down(checkedAt: string, latency: number | null, reason: string): StatusBody {
  return {
    status: "down",
    checked_at: checkedAt,
    reasons: [reason],
    rules: RULES,
    checks: { database: { ok: false, latency_ms: latency, error: reason }, fixings: null, sources: null },
  };
}

/** /health: the same checks, each with only its summary fields. */
export function toHealth(s: StatusBody): HealthBody {
  return {
    status: s.status,
    checked_at: s.checked_at,
    reasons: s.reasons,
    checks: {
      database: s.checks.database,
      fixings:
        s.checks.fixings?.map((f) => ({
          index: f.index,
          ok: f.ok,
          due: f.due,
          due_present: f.due_present,
          late_seconds: f.late_seconds,
          fixing_time: f.fixing_time,
          age_seconds: f.age_seconds,
        })) ?? null,
      sources:
        s.checks.sources?.map((x) => ({
          source: x.source,
          kind: x.kind,
          price: x.price,
          ok: x.ok,
          reason: x.reason,
          last_outcome: x.last_outcome,
          last_attempt_at: x.last_attempt_at,
          last_success_at: x.last_success_at,
          age_seconds: x.age_seconds,
        })) ?? null,
    },
  };
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim().slice(0, 300);

// The driver's own words (drizzle wraps them in "Failed query: ..."), one line, short.
function firstLine(err: unknown): string {
  let root = err;
  while (root instanceof Error && root.cause !== undefined) root = root.cause;
  const text = root instanceof Error ? root.message : String(root);
  return (text.split("\n")[0] ?? "").slice(0, 200);
}
