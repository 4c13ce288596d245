// POST /v1/contributions/usage: a contributor's usage figures (CSV or JSON, as "Usage
// figures"), accepted whole or refused whole, with a signed receipt.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../../deps.ts";
import { untyped } from "../../../respond.ts";
import { CONTRIBUTOR_SECURITY } from "./guard.ts";
import { USAGE_CSV_EXAMPLE, UsageDocument } from "./schemas.ts";
import { SUBMISSION_RESPONSES, submissionHandler, submissionMiddleware } from "./submission.ts";

export const route = createRoute({
  method: "post",
  path: "/v1/contributions/usage",
  summary: "Submit usage figures (contributors)",
  description:
    "Usage figures as in the usage file formats: CSV (`Content-Type: text/csv`, header required) or JSON " +
    "(`application/json`, `ciyuan.usage/1`); another or no Content-Type is told by the body's first character. " +
    "Checked in this order: the token (401), the size (413, over 20 MB), every record (400), every record's provider " +
    "within the token's providers (403). Accepted records go through the same importer and gates as a usage file, " +
    "under a batch of origin `contributor:<name>`.",
  security: CONTRIBUTOR_SECURITY,
  request: {
    body: {
      required: true,
      content: {
        "text/csv": { schema: z.string().openapi({ example: USAGE_CSV_EXAMPLE }) },
        // Documented, not validated here: the importer reads the body (and names its first bad record).
        "application/json": { schema: { $ref: "#/components/schemas/UsageDocument" } },
      },
    },
  },
  responses: SUBMISSION_RESPONSES,
});

export function register(app: OpenAPIHono, deps: AppDeps): void {
  app.openAPIRegistry.register("UsageDocument", UsageDocument);
  app.openapi({ ...route, middleware: submissionMiddleware(deps) }, (c) => submissionHandler("usage", deps)(c).then(untyped));
}
