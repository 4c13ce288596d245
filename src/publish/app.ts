/**
 * The HTTP service: one OpenAPIHono app whose routes carry their zod request and response
 * schemas. Every parameter failure is answered here, in one place, as a 400.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import type { AppDeps } from "./deps.ts";
import { badParameters, errorFromThrown, errorResponse } from "./errors.ts";
import { ROUTES } from "./routes/index.ts";

export function createApp(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono({
    strict: false,
    defaultHook: (result, c) => {
      if (!result.success) return badParameters(c, result.target, result.error);
    },
  });
  app.use("*", cors({ origin: "*", allowMethods: ["GET", "HEAD", "OPTIONS"], exposeHeaders: ["ETag"] }));
  for (const route of ROUTES) route.register(app, deps);
  app.notFound((c) => errorResponse(c, 404, "not_found", `no such route: ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => errorFromThrown(c, err, deps.log));
  return app;
}
