// POST /v1/admin/prices/approve: an operator releases a held price (methodology "Held
// prices"): for fixings at T >= now, like `ciyuan prices approve`.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { isoUtc, rows } from "../../../../db/index.ts";
import { approvePrice } from "../../../../engine/held.ts";
import type { AppDeps } from "../../../deps.ts";
import { parseInstant } from "../../../read/instants.ts";
import { Instant } from "../../../params.ts";
import { toJson } from "../../../json.ts";
import { JSON_TYPE, untyped } from "../../../respond.ts";
import { ErrorBody } from "../../../schemas.ts";
import { ADMIN_ERROR_RESPONSES, ADMIN_SECURITY } from "./auth.ts";

/** Recorded as the approver, beside the CLI's "cli". */
export const APPROVED_BY = "admin-api";

const Name = z.string().min(1).max(200);

export const ApproveBody = z
  .strictObject({
    provider: Name.openapi({ example: "moonshot" }),
    model: Name.openapi({ example: "kimi-k2" }),
    as_of: Instant.describe("as_of of the sheet whose price is held"),
  })
  .openapi("ApproveRequest");

export const Approval = z
  .object({
    approval_id: z.string(),
    provider: z.string(),
    model: z.string(),
    sheet_as_of: z.string().describe("ISO 8601 UTC"),
    approved_at: z.string().describe("ISO 8601 UTC; the release holds for fixings at or after it"),
  })
  .openapi("Approval");

export const route = createRoute({
  method: "post",
  path: "/v1/admin/prices/approve",
  summary: "Release a held price into the index, for fixings from now on",
  security: ADMIN_SECURITY,
  request: {
    body: { content: { "application/json": { schema: ApproveBody } }, required: true },
  },
  responses: {
    201: { content: { "application/json": { schema: Approval } }, description: "the approval" },
    ...ADMIN_ERROR_RESPONSES,
    409: { content: { "application/json": { schema: ErrorBody } }, description: "already approved" },
  },
});

export function register(app: OpenAPIHono, { db }: AppDeps): void {
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const asOf = parseInstant(body.as_of)!;
    const approval = await approvePrice(db, { provider: body.provider, model: body.model, asOf, by: APPROVED_BY });
    const [sheet] = await rows<{ t: string }>(db, sql`SELECT ${asOf}::timestamptz AS t`);
    const out: z.infer<typeof Approval> = {
      approval_id: approval.id,
      provider: body.provider,
      model: body.model,
      sheet_as_of: isoUtc(sheet!.t),
      approved_at: approval.approvedAt,
    };
    return untyped(c.body(toJson(out), 201, { "Content-Type": JSON_TYPE, "Cache-Control": "no-store" }));
  });
}
