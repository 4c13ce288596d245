// GET /v1/indices/{code}/fixings/{fixing_time}/revisions: every revision of one fixing,
// oldest first, each with the reason it was computed, when, and its signature.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../../deps.ts";
import { CiyuanError } from "../../../../errors.ts";
import { fixingJson } from "../../../json.ts";
import { IndexCode, Instant, Kind } from "../../../params.ts";
import { jsonResponse, untyped } from "../../../respond.ts";
import { ERROR_RESPONSES, Fixing } from "../../../schemas.ts";
import { listRevisions, requireIndex } from "../../../read/index.ts";

const RevisionList = z.object({ data: z.array(Fixing) }).openapi("RevisionList");

export const route = createRoute({
  method: "get",
  path: "/v1/indices/{code}/fixings/{fixing_time}/revisions",
  summary: "Every revision of one fixing, oldest first",
  description:
    "Each revision is a fixing object without constituents, with `reason`, `computed_at` and `signature`. " +
    "Final unless `?kind=indicative`. A restatement adds a revision; none is ever changed.",
  request: {
    params: z.object({
      code: IndexCode,
      fixing_time: Instant.openapi({ param: { name: "fixing_time", in: "path" }, example: "2026-10-01T08:00:00Z" }),
    }),
    query: z.object({ kind: Kind.optional() }),
  },
  responses: {
    200: { content: { "application/json": { schema: RevisionList } }, description: "the revisions, oldest first" },
    ...ERROR_RESPONSES,
  },
});

export function register(app: OpenAPIHono, { db, signer }: AppDeps): void {
  app.openapi(route, async (c) => {
    const { code, fixing_time: fixingTime } = c.req.valid("param");
    const kind = c.req.valid("query").kind ?? "final";
    await requireIndex(db, code);
    const revisions = await listRevisions(db, { index: code, kind, fixingTime });
    if (revisions.length === 0) throw new CiyuanError("not_found", `no ${kind} fixing of ${code} at ${fixingTime}`);
    return untyped(jsonResponse(c, { data: revisions.map((v) => fixingJson(v, signer)) }));
  });
}
