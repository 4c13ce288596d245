// GET /v1/indices: the index definitions, each with its latest final value.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../../deps.ts";
import { indexJson } from "../../../json.ts";
import { jsonResponse, untyped } from "../../../respond.ts";
import { ERROR_RESPONSES, IndexList } from "../../../schemas.ts";
import { listIndices } from "../../../read/index.ts";

export const route = createRoute({
  method: "get",
  path: "/v1/indices",
  summary: "The index definitions, each with its latest value",
  responses: {
    200: { content: { "application/json": { schema: IndexList } }, description: "every index, by code" },
    ...ERROR_RESPONSES,
  },
});

export function register(app: OpenAPIHono, { db }: AppDeps): void {
  app.openapi(route, async (c) => untyped(jsonResponse(c, { data: (await listIndices(db)).map(indexJson) })));
}
