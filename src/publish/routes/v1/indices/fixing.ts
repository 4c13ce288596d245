// GET /v1/indices/{code}/fixings/{fixing_time}: one fixing with its constituents and
// exclusions; the latest revision, or ?revision=N, or the one current ?as_of=ISO.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../../deps.ts";
import { CiyuanError } from "../../../../errors.ts";
import { fixingJson } from "../../../json.ts";
import { IndexCode, Instant, Kind, Revision } from "../../../params.ts";
import { jsonResponse, untyped } from "../../../respond.ts";
import { ERROR_RESPONSES, FixingWithDetails } from "../../../schemas.ts";
import { loadFixing, requireIndex } from "../../../views.ts";

export const route = createRoute({
  method: "get",
  path: "/v1/indices/{code}/fixings/{fixing_time}",
  summary: "One fixing with its constituents and exclusions",
  description: "The latest revision; `?revision=N` for revision N, `?as_of=ISO` for the revision current at that moment.",
  request: {
    params: z.object({
      code: IndexCode,
      fixing_time: Instant.openapi({ param: { name: "fixing_time", in: "path" }, example: "2026-10-01T08:00:00Z" }),
    }),
    query: z.object({ revision: Revision.optional(), as_of: Instant.optional(), kind: Kind.optional() }),
  },
  responses: {
    200: { content: { "application/json": { schema: FixingWithDetails } }, description: "the fixing" },
    ...ERROR_RESPONSES,
  },
});

export function register(app: OpenAPIHono, { db, signer }: AppDeps): void {
  app.openapi(route, async (c) => {
    const { code, fixing_time: fixingTime } = c.req.valid("param");
    const { revision, as_of: asOf, kind = "final" } = c.req.valid("query");
    if (revision !== undefined && asOf !== undefined) {
      throw new CiyuanError("bad_request", "give revision or as_of, not both");
    }
    await requireIndex(db, code);
    const view = await loadFixing(db, {
      index: code,
      kind,
      fixingTime,
      revision: revision === undefined ? undefined : Number(revision),
      asOf,
      details: true,
    });
    if (!view) {
      const which = revision !== undefined ? ` revision ${revision}` : asOf !== undefined ? ` as of ${asOf}` : "";
      throw new CiyuanError("not_found", `no ${kind} fixing of ${code} at ${fixingTime}${which}`);
    }
    return untyped(jsonResponse(c, fixingJson(view, signer)));
  });
}
