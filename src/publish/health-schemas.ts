/**
 * The shapes of GET /health and GET /v1/status. /v1/status is /health in detail: each of
 * its checks has every field of the /health check of the same name, and more.
 */
import { z } from "@hono/zod-openapi";
import { STATUS_TIMEOUT_MS } from "./read/status.ts";

/** A due final fixing missing for longer than this makes the service `down`. */
export const FINAL_LATE_AFTER_SECONDS = 15 * 60;
/** A price source without a success for this many of its intervals makes it `degraded`. */
export const PRICE_SOURCE_INTERVALS = 3;

const Iso = z.string().describe("ISO 8601 UTC");
const Seconds = z.number().int().min(0);

const OverallStatus = z
  .enum(["ok", "degraded", "down"])
  .describe(
    "`down`: the database does not answer, or an index's due final fixing is more than " +
      `${FINAL_LATE_AFTER_SECONDS} s late; \`degraded\`: a source failed on its last run, or a price source ` +
      `has not succeeded within ${PRICE_SOURCE_INTERVALS} of its intervals; else \`ok\``,
  );

const Reasons = z
  .array(z.string())
  .describe("one line per thing that is wrong, naming the index or source (database first, then indices, then sources); empty when ok");

const Outcome = z.enum(["ok", "not_modified", "failed"]);

export const DatabaseCheck = z.object({
  ok: z.boolean().describe("the database answered every status query in time"),
  latency_ms: Seconds.nullable().describe("round trip of `SELECT 1`, ms; null when it did not answer"),
  error: z.string().nullable().describe("why not, one line; null when ok"),
});

export const FixingCheck = z.object({
  index: z.string(),
  ok: z.boolean().describe(`false when the due final fixing is missing more than ${FINAL_LATE_AFTER_SECONDS} s after its time`),
  due: Iso.nullable().describe("the most recent final fixing time at or before now; null when none is due yet"),
  due_present: z.boolean().nullable().describe("the final fixing at `due` is stored (any revision); null when none is due"),
  late_seconds: Seconds.describe("seconds since `due` while that fixing is missing; 0 when it is stored or none is due"),
  fixing_time: Iso.nullable().describe("the latest stored final fixing's time; null when there is none"),
  age_seconds: Seconds.nullable().describe("whole seconds since `fixing_time`, never negative (a time ahead of the clock counts as 0)"),
});

export const SourceCheck = z.object({
  source: z.string(),
  kind: z.string(),
  price: z.boolean().describe("a price source (kinds price-sheet, litellm, openrouter), held to its interval"),
  ok: z.boolean(),
  reason: z.string().nullable().describe("what is wrong with it, one line (several joined by `; `); null when ok"),
  last_outcome: Outcome.nullable().describe("of its last run; null when it never ran"),
  last_attempt_at: Iso.nullable().describe("when its last run ended; null when it never ran"),
  last_success_at: Iso.nullable().describe("when its last run with outcome ok or not_modified ended"),
  age_seconds: Seconds.nullable().describe("whole seconds since `last_success_at`, never negative; null when it never succeeded"),
});

export const Health = z
  .object({
    status: OverallStatus,
    checked_at: Iso,
    reasons: Reasons,
    checks: z.object({
      database: DatabaseCheck,
      fixings: z.array(FixingCheck).nullable().describe("per index; null when the database could not be read"),
      sources: z.array(SourceCheck).nullable().describe("per source (configured or ever run), by name; null when the database could not be read"),
    }),
  })
  .openapi("Health");

const FixingDetail = FixingCheck.extend({
  revision: z.number().int().nullable().describe("of the latest stored final fixing"),
  status: z.enum(["ok", "insufficient"]).nullable().describe("of the latest stored final fixing"),
  fixing_local_time: z.string().nullable().describe("the index's final fixing time of day (HH:MM), as defined now"),
  fixing_tz: z.string().nullable().describe("the zone of fixing_local_time"),
  due_fixing: z
    .object({ revision: z.number().int(), status: z.enum(["ok", "insufficient"]), computed_at: Iso })
    .nullable()
    .describe("the stored final fixing at `due`, latest revision; null when missing or none is due"),
});

const SourceDetail = SourceCheck.extend({
  configured: z
    .boolean()
    .nullable()
    .describe(
      "in the collector sources config (a source that ran but is no longer configured is listed, not judged); " +
        "null when the service was not given the config",
    ),
  every: z.string().nullable().describe("its cron schedule, as configured"),
  tz: z.string().nullable().describe("the zone of `every`"),
  interval_seconds: Seconds.nullable().describe("the longest gap between two scheduled runs of `every`"),
  success_within_seconds: Seconds.nullable().describe(
    `for a configured price source, ${PRICE_SOURCE_INTERVALS} x interval_seconds: a success older than this (or none for that ` +
      "long since the service started) makes it not ok; null when not judged so",
  ),
  last_attempt: z
    .object({ started_at: Iso, finished_at: Iso, outcome: Outcome, detail: z.string().nullable() })
    .nullable()
    .describe("its last run; null when it never ran"),
  attempt_age_seconds: Seconds.nullable().describe("whole seconds since its last run ended, never negative"),
  last_error: z.object({ at: Iso, detail: z.string().nullable() }).nullable().describe("its last failed run"),
});

export const Status = z
  .object({
    status: OverallStatus,
    checked_at: Iso,
    reasons: Reasons,
    rules: z
      .object({
        database_timeout_ms: z.number().int(),
        final_late_after_seconds: z.number().int(),
        price_source_intervals: z.number().int(),
      })
      .describe("the limits the checks are judged by"),
    checks: z.object({
      database: DatabaseCheck,
      fixings: z.array(FixingDetail).nullable().describe("per index; null when the database could not be read"),
      sources: z
        .array(SourceDetail)
        .nullable()
        .describe("per source (configured or ever run), by name; null when the database could not be read"),
    }),
  })
  .openapi("Status");

export type HealthBody = z.infer<typeof Health>;
export type StatusBody = z.infer<typeof Status>;

/** A degraded service, for the OpenAPI document (/health shows the same, summarised). */
export const STATUS_EXAMPLE: StatusBody = {
  status: "degraded",
  checked_at: "2026-10-01T08:20:00.000Z",
  reasons: ["source litellm failed on its last run: HTTP 503 from raw.githubusercontent.com"],
  rules: { database_timeout_ms: STATUS_TIMEOUT_MS, final_late_after_seconds: FINAL_LATE_AFTER_SECONDS, price_source_intervals: PRICE_SOURCE_INTERVALS },
  checks: {
    database: { ok: true, latency_ms: 1, error: null },
    fixings: [
      {
        index: "CTPI",
        ok: true,
        due: "2026-10-01T08:00:00Z",
        due_present: true,
        late_seconds: 0,
        fixing_time: "2026-10-01T08:00:00Z",
        age_seconds: 1200,
        revision: 1,
        status: "ok",
        fixing_local_time: "16:00",
        fixing_tz: "Asia/Shanghai",
        due_fixing: { revision: 1, status: "ok", computed_at: "2026-10-01T08:00:02.318Z" },
      },
    ],
    sources: [
      {
        source: "litellm",
        kind: "litellm",
        price: true,
        ok: false,
        reason: "failed on its last run: HTTP 503 from raw.githubusercontent.com",
        last_outcome: "failed",
        last_attempt_at: "2026-10-01T08:00:04Z",
        last_success_at: "2026-10-01T07:00:03Z",
        age_seconds: 4797,
        configured: true,
        every: "0 * * * *",
        tz: "UTC",
        interval_seconds: 3600,
        success_within_seconds: 10800,
        last_attempt: {
          started_at: "2026-10-01T08:00:00Z",
          finished_at: "2026-10-01T08:00:04Z",
          outcome: "failed",
          detail: "HTTP 503 from raw.githubusercontent.com",
        },
        attempt_age_seconds: 1196,
        last_error: { at: "2026-10-01T08:00:04Z", detail: "HTTP 503 from raw.githubusercontent.com" },
      },
    ],
  },
};

/** A database that does not answer: 503 from both routes. */
export const DOWN_EXAMPLE: StatusBody = {
  status: "down",
  checked_at: "2026-10-01T08:20:00.000Z",
  reasons: [`database unreachable: timed out after ${STATUS_TIMEOUT_MS} ms`],
  rules: STATUS_EXAMPLE.rules,
  checks: {
    database: { ok: false, latency_ms: null, error: `database unreachable: timed out after ${STATUS_TIMEOUT_MS} ms` },
    fixings: null,
    sources: null,
  },
};
