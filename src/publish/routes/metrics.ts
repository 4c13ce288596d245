// GET /metrics: Prometheus text from this app's registry (see ../metrics.ts).
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../deps.ts";
import { untyped } from "../respond.ts";

export const route = createRoute({
  method: "get",
  path: "/metrics",
  summary: "Prometheus metrics: HTTP requests by route pattern, fixing ages, source runs, process",
  responses: {
    200: { content: { "text/plain": { schema: z.string() } }, description: "Prometheus text exposition format 0.0.4" },
  },
});

export function register(app: OpenAPIHono, _deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const metrics = c.get("metrics");
    if (!metrics) throw new Error("the metrics middleware is not installed (see app.ts)");
    return untyped(c.body(await metrics.scrape(), 200, { "Content-Type": metrics.contentType, "Cache-Control": "no-store" }));
  });
}
