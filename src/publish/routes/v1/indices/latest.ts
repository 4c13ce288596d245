// GET /v1/indices/{code}/latest: the latest final (or, on request, indicative) fixing.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../../deps.ts";
import { CiyuanError } from "../../../../errors.ts";
import { fixingJson } from "../../../json.ts";
import { IndexCode, Kind } from "../../../params.ts";
import { jsonResponse, untyped } from "../../../respond.ts";
import { ERROR_RESPONSES, Fixing } from "../../../schemas.ts";
import { loadFixing, requireIndex } from "../../../views.ts";

export const route = createRoute({
  method: "get",
  path: "/v1/indices/{code}/latest",
  summary: "The latest fixing of an index (final unless ?kind=indicative), latest revision",
  request: {
    params: z.object({ code: IndexCode }),
    query: z.object({ kind: Kind.optional() }),
  },
  responses: {
    200: { content: { "application/json": { schema: Fixing } }, description: "the fixing, without constituents" },
    ...ERROR_RESPONSES,
  },
});

export function register(app: OpenAPIHono, { db, signer }: AppDeps): void {
  app.openapi(route, async (c) => {
    const { code } = c.req.valid("param");
    const kind = c.req.valid("query").kind ?? "final";
    await requireIndex(db, code);
    const view = await loadFixing(db, { index: code, kind, details: false });
    if (!view) throw new CiyuanError("not_found", `no ${kind} fixing of ${code} yet`);
    return untyped(jsonResponse(c, fixingJson(view, signer)));
  });
}
