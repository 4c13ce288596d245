// GET /health: readiness. 503 only when the database cannot be read; stale fixings and
// failing sources are reported (`stale`, `last_error`) but leave the service ready, since
// it still serves every published fixing correctly and a restart would not fix either.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppDeps } from "../deps.ts";
import { JSON_TYPE, untyped } from "../respond.ts";
import { toJson } from "../json.ts";
import {
  latestFinals,
  pingDatabase,
  sourceStatuses,
  STALE_AFTER_SECONDS,
  type LatestFinal,
  type SourceStatus,
} from "../status.ts";

const IndexFreshness = z
  .object({
    index: z.string(),
    fixing_time: z.string().nullable().describe("the latest final fixing's time, ISO 8601 UTC; null when there is none"),
    revision: z.number().int().nullable(),
    status: z.enum(["ok", "insufficient"]).nullable(),
    age_seconds: z.number().int().nullable().describe("whole seconds since fixing_time"),
    stale: z.boolean().describe(`no final fixing, or the latest is older than ${STALE_AFTER_SECONDS} s`),
  })
  .openapi("IndexFreshness");

const SourceRun = z
  .object({
    source: z.string(),
    kind: z.string(),
    last_attempt: z.object({
      started_at: z.string(),
      finished_at: z.string(),
      outcome: z.enum(["ok", "not_modified", "failed"]),
      detail: z.string().nullable(),
    }),
    last_success_at: z.string().nullable().describe("last run with outcome ok or not_modified"),
    last_error: z.object({ at: z.string(), detail: z.string().nullable() }).nullable(),
  })
  .openapi("SourceRun");

export const Health = z
  .object({
    status: z.enum(["ok", "unavailable"]),
    reason: z.string().nullable().describe("why the service is unavailable; null when ready"),
    checked_at: z.string().describe("ISO 8601 UTC"),
    database: z.object({ reachable: z.boolean(), latency_ms: z.number().int().nullable() }),
    stale: z.boolean().nullable().describe("some index's latest final fixing is missing or stale; null when unknown"),
    fixings: z.array(IndexFreshness).nullable().describe("per index; null when the database could not be read"),
    sources: z.array(SourceRun).nullable().describe("per source that ever ran; null when the database could not be read"),
  })
  .openapi("Health");

type HealthBody = z.infer<typeof Health>;

export const route = createRoute({
  method: "get",
  path: "/health",
  summary: "Readiness: database reachable, age of each index's latest final fixing, last run of each source",
  description:
    "200 while the database answers, even when a fixing is stale (`stale: true`) or a source fails; " +
    "503 with the same shape and a `reason` when the database cannot be read.",
  responses: {
    200: { content: { "application/json": { schema: Health } }, description: "ready" },
    503: { content: { "application/json": { schema: Health } }, description: "not ready: the database cannot be read" },
  },
});

function freshness(f: LatestFinal): z.infer<typeof IndexFreshness> {
  return {
    index: f.index,
    fixing_time: f.fixingTime,
    revision: f.revision,
    status: f.status,
    age_seconds: f.ageSeconds,
    stale: f.ageSeconds === null || f.ageSeconds > STALE_AFTER_SECONDS,
  };
}

function sourceRun(s: SourceStatus): z.infer<typeof SourceRun> {
  return {
    source: s.source,
    kind: s.kind,
    last_attempt: {
      started_at: s.lastAttempt.startedAt,
      finished_at: s.lastAttempt.finishedAt,
      outcome: s.lastAttempt.outcome,
      detail: s.lastAttempt.detail,
    },
    last_success_at: s.lastSuccessAt,
    last_error: s.lastError,
  };
}

// The driver's own words (drizzle wraps them in "Failed query: ..."), one line, short.
function firstLine(err: unknown): string {
  let root = err;
  while (root instanceof Error && root.cause !== undefined) root = root.cause;
  const text = root instanceof Error ? root.message : String(root);
  return (text.split("\n")[0] ?? "").slice(0, 200);
}

export async function checkHealth(deps: Pick<AppDeps, "db">): Promise<HealthBody> {
  const checkedAt = new Date().toISOString();
  let latency: number;
  try {
    latency = await pingDatabase(deps.db);
  } catch (err) {
    return unavailable(checkedAt, null, `database unreachable: ${firstLine(err)}`);
  }
  try {
    const [finals, sources] = [await latestFinals(deps.db), await sourceStatuses(deps.db)];
    const fixings = finals.map(freshness);
    return {
      status: "ok",
      reason: null,
      checked_at: checkedAt,
      database: { reachable: true, latency_ms: latency },
      stale: fixings.some((f) => f.stale),
      fixings,
      sources: sources.map(sourceRun),
    };
  } catch (err) {
    return unavailable(checkedAt, latency, `database query failed: ${firstLine(err)}`);
  }
}

function unavailable(checkedAt: string, latency: number | null, reason: string): HealthBody {
  return {
    status: "unavailable",
    reason,
    checked_at: checkedAt,
    database: { reachable: latency !== null, latency_ms: latency },
    stale: null,
    fixings: null,
    sources: null,
  };
}

function respond(c: Context, body: HealthBody): Response {
  return c.body(toJson(body), body.status === "ok" ? 200 : 503, {
    "Content-Type": JSON_TYPE,
    "Cache-Control": "no-store",
  });
}

export function register(app: OpenAPIHono, deps: AppDeps): void {
  app.openapi(route, async (c) => untyped(respond(c, await checkHealth(deps))));
}
