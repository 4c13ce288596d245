// GET /openapi.json: the OpenAPI 3.1 document, generated from the route definitions (each
// route's createRoute), so it describes exactly what the app validates and answers.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../deps.ts";
import { JSON_TYPE, untyped } from "../respond.ts";

const { version } = createRequire(import.meta.url)("../../../package.json") as { version: string };

export const INFO = {
  title: "Ciyuan",
  version,
  description:
    "Ciyuan, the reference price index for AI inference tokens (CTPI family): index definitions, " +
    "final and indicative fixings with their constituents, revisions and Ed25519 signatures. " +
    "Prices are CNY per 1M tokens; numbers are exact decimals written digit for digit; times are ISO 8601 UTC.",
};

export const route = createRoute({
  method: "get",
  path: "/openapi.json",
  summary: "This OpenAPI 3.1 document",
  responses: {
    200: {
      content: { "application/json": { schema: z.looseObject({ openapi: z.string() }) } },
      description: "the document (no servers: paths are relative to where it is served)",
    },
  },
});

export function register(app: OpenAPIHono, _deps: AppDeps): void {
  // Built on the first request, once every route is registered; the routes do not change after.
  let built: { text: string; etag: string } | undefined;
  app.openapi(route, (c) => {
    if (!built) {
      const text = JSON.stringify(app.getOpenAPI31Document({ openapi: "3.1.0", info: INFO }));
      built = { text, etag: `"${createHash("sha256").update(text).digest("base64url")}"` };
    }
    return untyped(c.body(built.text, 200, { "Content-Type": JSON_TYPE, ETag: built.etag }));
  });
}
