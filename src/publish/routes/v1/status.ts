// GET /v1/status: the checks of /health in detail, for people and dashboards. 200 whenever
// the database answers, whatever the status (the report is the answer); 503 when it does not.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../deps.ts";
import { healthChecker } from "../../health.ts";
import { DOWN_EXAMPLE, Status, STATUS_EXAMPLE } from "../../health-schemas.ts";
import { toJson } from "../../json.ts";
import { JSON_TYPE, untyped } from "../../respond.ts";

export const route = createRoute({
  method: "get",
  path: "/v1/status",
  summary: "The health checks in detail: database, each index's due final fixing, each source's runs",
  description:
    "The same `status`, `reasons` and checks as `GET /health`, each check with more: per index its latest final " +
    "fixing (revision, status), its fixing time of day and zone, and the stored fixing at `due`; per source whether " +
    "it is configured, its `every`, `interval_seconds` and `success_within_seconds`, its last attempt with detail, its " +
    "last error; and the `rules` the checks are judged by. 200 whenever the database answers, also when `status` is " +
    "`down` because a final fixing is late (monitors should probe `/health`, which answers 503 then); 503 with the same " +
    "shape when the database does not answer. Every field whose name holds `age` is >= 0.",
  responses: {
    200: {
      content: { "application/json": { schema: Status, example: STATUS_EXAMPLE } },
      description: "the database answered: the full report",
    },
    503: {
      content: { "application/json": { schema: Status, example: DOWN_EXAMPLE } },
      description: "the database does not answer",
    },
  },
});

export function register(app: OpenAPIHono, deps: AppDeps): void {
  const check = healthChecker(deps);
  app.openapi(route, async (c) => {
    const body = await check();
    const status = body.checks.database.ok ? 200 : 503;
    return untyped(c.body(toJson(body), status, { "Content-Type": JSON_TYPE, "Cache-Control": "no-store" }));
  });
}
