// GET /v1/indices/{code}/latest: the latest final (or, on request, indicative) fixing.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../../deps.ts";
import { CiyuanError } from "../../../../errors.ts";
import { bodyTag, cachedBody } from "../../../caching.ts";
import { fixingJson, toJson } from "../../../json.ts";
import { latestCache } from "../../../latest-cache.ts";
import { IndexCode, Kind } from "../../../params.ts";
import { plainGet } from "../../../plain-get.ts";
import { JSON_TYPE } from "../../../respond.ts";
import { ERROR_RESPONSES, Fixing } from "../../../schemas.ts";
import { loadFixing, requireIndex, type FixingKind } from "../../../read/index.ts";

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

export function register(app: OpenAPIHono, { db, signer, events }: AppDeps): void {
  // Served from memory while no fixing revision is committed (see latest-cache.ts).
  const latest = latestCache({
    events,
    load: async (code, kind: FixingKind) => {
      await requireIndex(db, code);
      const view = await loadFixing(db, { index: code, kind, details: false });
      if (!view) return null;
      const text = toJson(fixingJson(view, signer));
      return { text, etag: bodyTag(Buffer.from(text)) };
    },
  });
  plainGet(app, route, async (c, { param, query }) => {
    const { code } = param;
    const kind = query.kind ?? "final";
    const body = await latest.get(code, kind);
    if (!body) throw new CiyuanError("not_found", `no ${kind} fixing of ${code} yet`);
    // Its caching headers and 304 here, with the body: the caching middleware leaves it be.
    return cachedBody(c, body.text, JSON_TYPE, body.etag);
  });
}
