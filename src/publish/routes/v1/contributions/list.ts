// GET /v1/contributions?contributor=&from=&to=: the audit trail of submissions, accepted
// and refused, oldest first. An operator route: behind CIYUAN_ADMIN_TOKEN, off (404)
// without it, like /v1/admin/...
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { contributorNameProblem, listContributions, type ContributionRecord } from "../../../../contributors/index.ts";
import type { AppDeps } from "../../../deps.ts";
import { exact } from "../../../json.ts";
import { DateOrInstant } from "../../../params.ts";
import { checkRangeOrder } from "../../../ranges.ts";
import { JSON_TYPE, jsonList, streamResponse, untyped } from "../../../respond.ts";
import { ADMIN_ERROR_RESPONSES, ADMIN_SECURITY, adminGuard } from "../admin/auth.ts";
import { ContributionList } from "./schemas.ts";

export const route = createRoute({
  method: "get",
  path: "/v1/contributions",
  summary: "The audit trail of contributions, accepted and refused, oldest first (operator)",
  description:
    "Every submission by a contributor with a valid token (401 and 429 answers are not submissions). " +
    "`from` and `to` bound `received_at`: ISO 8601 dates or instants, inclusive; a date `to` runs through the end of that day (UTC).",
  security: ADMIN_SECURITY,
  request: {
    query: z.object({
      contributor: z
        .string()
        .refine((s) => contributorNameProblem(s) === null, "not a contributor name")
        .optional()
        .openapi({ example: "acme-cloud" }),
      from: DateOrInstant.optional(),
      to: DateOrInstant.optional(),
    }),
  },
  responses: {
    200: { content: { "application/json": { schema: ContributionList } }, description: "the submissions" },
    ...ADMIN_ERROR_RESPONSES,
  },
});

function contributionJson(c: ContributionRecord): object {
  return {
    received_at: c.receivedAt,
    contributor: c.contributor,
    kind: c.kind,
    sha256: c.sha256 === "" ? null : c.sha256,
    bytes: c.bytes,
    records: c.records,
    status: c.status,
    batch: exact(c.batch),
    reason: c.reason,
  };
}

export function register(app: OpenAPIHono, deps: AppDeps): void {
  // The guard runs before the query is validated: without the token a caller learns nothing.
  app.openapi({ ...route, middleware: [adminGuard(deps.adminToken)] }, async (c) => {
    const { contributor, from, to } = c.req.valid("query");
    checkRangeOrder(from, to);
    const res = await streamResponse(c, jsonList(listContributions(deps.db, { contributor, from, to }), contributionJson), JSON_TYPE);
    res.headers.set("Cache-Control", "no-store");
    return untyped(res);
  });
}
