/**
 * The HTTP service: one OpenAPIHono app whose routes carry their zod request and response
 * schemas. Every parameter failure is answered here, in one place, as a 400.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import type { Db } from "../db/index.ts";
import { badParameters, errorFromThrown, errorResponse } from "./errors.ts";
import * as indices from "./routes/v1/indices/index.ts";

export type AppOptions = {
  /** Where unexpected failures are reported (one line each); stderr by default. */
  log?: (line: string) => void;
};

export function createApp(db: Db, options: AppOptions = {}): OpenAPIHono {
  const log = options.log ?? ((line: string) => process.stderr.write(`ciyuan: ${line}\n`));
  const app = new OpenAPIHono({
    strict: false,
    defaultHook: (result, c) => {
      if (!result.success) return badParameters(c, result.target, result.error);
    },
  });
  app.use("*", cors({ origin: "*", allowMethods: ["GET", "HEAD", "OPTIONS"] }));
  for (const route of [indices.list, indices.latest, indices.fixings, indices.fixing]) route.register(app, db);
  app.notFound((c) => errorResponse(c, 404, "not_found", `no such route: ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => errorFromThrown(c, err, log));
  return app;
}
