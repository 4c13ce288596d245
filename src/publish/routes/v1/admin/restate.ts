// POST /v1/admin/indices/{code}/fixings/{fixing_time}/restate: recompute a published final
// fixing from the inputs held now, stored as revision n+1 with the operator's reason
// (methodology "Restatement"), signed like every fixing.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { restateFixing } from "../../../../engine/index.ts";
import type { AppDeps } from "../../../deps.ts";
import { parseInstant } from "../../../read/instants.ts";
import { fixingJson, toJson } from "../../../json.ts";
import { IndexCode, Instant } from "../../../params.ts";
import { JSON_TYPE, untyped } from "../../../respond.ts";
import { FixingWithDetails } from "../../../schemas.ts";
import { loadFixing, requireIndex } from "../../../read/index.ts";
import { ADMIN_ERROR_RESPONSES, ADMIN_SECURITY } from "./auth.ts";

// One line of text: it is printed by the CLI and shown beside the revision.
export const RestateBody = z
  .strictObject({
    reason: z
      .string()
      .min(1)
      .max(500)
      .refine((s) => s.trim().length > 0, "must not be blank")
      .refine((s) => !/\p{Cc}/u.test(s), "must be one line without control characters")
      .openapi({ example: "late usage figures from deepseek" }),
  })
  .openapi("RestateRequest");

export const route = createRoute({
  method: "post",
  path: "/v1/admin/indices/{code}/fixings/{fixing_time}/restate",
  summary: "Recompute a published final fixing as revision n+1, with a reason",
  description: "Only an existing final fixing can be restated (404 otherwise). Answers the new revision.",
  security: ADMIN_SECURITY,
  request: {
    params: z.object({
      code: IndexCode,
      fixing_time: Instant.openapi({ param: { name: "fixing_time", in: "path" }, example: "2026-10-01T08:00:00Z" }),
    }),
    body: { content: { "application/json": { schema: RestateBody } }, required: true },
  },
  responses: {
    201: { content: { "application/json": { schema: FixingWithDetails } }, description: "the new revision" },
    ...ADMIN_ERROR_RESPONSES,
  },
});

export function register(app: OpenAPIHono, { db, signer }: AppDeps): void {
  app.openapi(route, async (c) => {
    const { code, fixing_time: fixingTimeText } = c.req.valid("param");
    const { reason } = c.req.valid("json");
    const at = parseInstant(fixingTimeText)!;
    await requireIndex(db, code);
    // The engine's restatement: the calendar (400 off_calendar / future_fixing, even where
    // no fixing exists), then a published final to restate (404), then the recompute.
    const stored = await restateFixing(db, { index: code, at, reason, signer });
    const view = await loadFixing(db, { index: code, kind: "final", fixingTime: at, revision: stored.revision, details: true });
    if (!view) throw new Error(`revision ${stored.revision} of ${code} at ${at} not found after storing it`);
    const location = `/v1/indices/${encodeURIComponent(code)}/fixings/${encodeURIComponent(view.fixingTime)}?revision=${view.revision}`;
    return untyped(
      c.body(toJson(fixingJson(view, signer)), 201, { "Content-Type": JSON_TYPE, Location: location, "Cache-Control": "no-store" }),
    );
  });
}
