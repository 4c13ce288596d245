// POST /v1/contributions/prices: a contributor's price sheet (JSON or CSV, as the price
// sheet formats), accepted whole or refused whole, with a signed receipt.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../../deps.ts";
import { untyped } from "../../../respond.ts";
import { CONTRIBUTOR_SECURITY } from "./guard.ts";
import { PRICES_CSV_EXAMPLE, PriceSheetDocument } from "./schemas.ts";
import { SUBMISSION_RESPONSES, submissionHandler, submissionMiddleware } from "./submission.ts";

export const route = createRoute({
  method: "post",
  path: "/v1/contributions/prices",
  summary: "Submit a price sheet (contributors)",
  description:
    "A price sheet as in the price sheet formats: JSON (`application/json`, `ciyuan.price-sheet/1`, or an array of " +
    "sheets) or CSV (`text/csv`, each (provider, as_of) group one sheet); another or no Content-Type is told by the " +
    "body's first character. Checked in this order: the token (401), the size (413, over 20 MB), every sheet (400), " +
    "every sheet's provider within the token's providers (403). Accepted sheets go through the same importer and gates " +
    "as a price file (a move of more than 80 % is held), under batches of origin `contributor:<name>`.",
  security: CONTRIBUTOR_SECURITY,
  request: {
    body: {
      required: true,
      content: {
        // Documented, not validated here: the sheet gates read the body (and name its first bad record).
        "application/json": { schema: { $ref: "#/components/schemas/PriceSheet" } },
        "text/csv": { schema: z.string().openapi({ example: PRICES_CSV_EXAMPLE }) },
      },
    },
  },
  responses: SUBMISSION_RESPONSES,
});

export function register(app: OpenAPIHono, deps: AppDeps): void {
  app.openAPIRegistry.register("PriceSheet", PriceSheetDocument);
  app.openapi({ ...route, middleware: submissionMiddleware(deps) }, (c) => submissionHandler("prices", deps)(c).then(untyped));
}
