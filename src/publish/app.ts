/**
 * The HTTP service: one OpenAPIHono app whose routes carry their zod request and response
 * schemas. Every parameter failure is answered here, in one place, as a 400.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppDeps } from "./deps.ts";
import { httpCaching } from "./caching.ts";
import { badParameters, errorFromThrown, errorResponse } from "./errors.ts";
import { httpMetrics } from "./metrics.ts";
import { ROUTES } from "./routes/index.ts";

export function createApp(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono({
    strict: false,
    defaultHook: (result, c) => {
      if (!result.success) return badParameters(c, result.target, result.error);
    },
  });
  app.use("*", httpMetrics(deps.db));
  app.use("*", corsHeaders(cors({ origin: "*", allowMethods: (_, c) => allowedMethods(c.req.path), exposeHeaders: ["ETag"] })));
  app.use("*", httpCaching());
  for (const route of ROUTES) route.register(app, deps);
  app.notFound((c) => errorResponse(c, 404, "not_found", `no such route: ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => errorFromThrown(c, err, deps.log));
  return app;
}

/**
 * hono's cors sets its headers through `c.res` before the route runs, which makes hono copy
 * the route's response into a new one, body stream and all, and so loses @hono/node-server's
 * fast path for string bodies (bench-http: a third of the throughput of the latest
 * fixing). The same headers set with `c.header` before the route go into its response as it
 * is made. Preflights are still hono's cors.
 */
function corsHeaders(preflight: MiddlewareHandler): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === "OPTIONS") return preflight(c, next);
    c.header("Access-Control-Allow-Origin", "*");
    c.header("Access-Control-Expose-Headers", "ETag");
    await next();
  };
}

// Public POST routes a page on any site may call (no credentials): the hedge desk.
const PUBLIC_POSTS = new Set(["/v1/hedge"]);
const allowedMethods = (path: string): string[] => (PUBLIC_POSTS.has(path) ? ["GET", "HEAD", "POST", "OPTIONS"] : ["GET", "HEAD", "OPTIONS"]);
