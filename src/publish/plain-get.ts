/**
 * A GET route served without hono's validator middleware: the route's own zod schemas for
 * path and query are checked synchronously in the handler, and a failure is answered by
 * the same `badParameters` as every other route. The definition still goes into the
 * OpenAPI document. Kept for the hottest answer (the latest fixing): the validator chain
 * (a middleware per request part, async parsing) cost a fifth to a third of that route's
 * throughput (scripts/bench-http.ts).
 */
import type { OpenAPIHono, RouteConfig, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { badParameters } from "./errors.ts";

export function plainGet<P extends z.ZodType, Q extends z.ZodType>(
  app: OpenAPIHono,
  route: RouteConfig & { method: "get"; request: { params: P; query: Q } },
  handler: (c: Context, input: { param: z.output<P>; query: z.output<Q> }) => Promise<Response>,
): void {
  app.openAPIRegistry.registerPath(route);
  const { params, query } = route.request;
  app.get(route.path.replace(/\{([^}]+)\}/g, ":$1"), (c) => {
    const param = params.safeParse(c.req.param());
    if (!param.success) return badParameters(c, "param", param.error);
    // As hono's validator reads a query: a repeated key is an array (and so refused by a scalar schema).
    const q = query.safeParse(Object.fromEntries(Object.entries(c.req.queries()).map(([k, v]) => [k, v.length === 1 ? v[0] : v])));
    if (!q.success) return badParameters(c, "query", q.error);
    return handler(c, { param: param.data, query: q.data });
  });
}
