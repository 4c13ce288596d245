// GET /health: ok, degraded or down, with the checks that decide it (see ../health.ts).
// 503 only when down: a load balancer takes the service out when the database does not
// answer or the daily fixing is late; a failing source degrades it but leaves it serving.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../deps.ts";
import { healthChecker, toHealth } from "../health.ts";
import { DOWN_EXAMPLE, FINAL_LATE_AFTER_SECONDS, Health, PRICE_SOURCE_INTERVALS, STATUS_EXAMPLE } from "../health-schemas.ts";
import { JSON_TYPE, untyped } from "../respond.ts";
import { toJson } from "../json.ts";
import { STATUS_TIMEOUT_MS } from "../read/status.ts";

export const route = createRoute({
  method: "get",
  path: "/health",
  summary: "Health: ok, degraded or down, naming what is wrong",
  description:
    "`status` is `down` (HTTP 503) when the database does not answer within " +
    `${STATUS_TIMEOUT_MS} ms, or when an index's due final fixing (its most recent final fixing time at or before now) ` +
    `is still missing more than ${FINAL_LATE_AFTER_SECONDS} s after that time; \`degraded\` (200) when a source failed ` +
    `on its last run or a configured price source has not succeeded within ${PRICE_SOURCE_INTERVALS} of its intervals ` +
    "(its cron `every`; one that never succeeded counts from the service's start); else `ok` (200). " +
    "`reasons` has one line per thing that is wrong, naming the index or source; each check carries `ok` and, for a " +
    "source, its `reason`. Every `age_seconds` is >= 0: a time ahead of the clock counts as 0. " +
    "`GET /v1/status` gives the same checks in detail.",
  responses: {
    200: {
      content: { "application/json": { schema: Health, example: toHealth(STATUS_EXAMPLE) } },
      description: "ok or degraded",
    },
    503: {
      content: { "application/json": { schema: Health, example: toHealth(DOWN_EXAMPLE) } },
      description: "down: the database does not answer, or a due final fixing is late (same shape)",
    },
  },
});

export function register(app: OpenAPIHono, deps: AppDeps): void {
  const check = healthChecker(deps);
  app.openapi(route, async (c) => {
    const body = toHealth(await check());
    return untyped(
      c.body(toJson(body), body.status === "down" ? 503 : 200, { "Content-Type": JSON_TYPE, "Cache-Control": "no-store" }),
    );
  });
}
