// GET /v1/models: every (provider, model) an accepted price sheet ever listed.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../../deps.ts";
import { modelsCsv } from "../../../csv-tables.ts";
import { listModels, type ModelView } from "../../../read/models.ts";
import { wantsCsv } from "../../../negotiate.ts";
import { Format } from "../../../params.ts";
import { CSV_TYPE, jsonResponse, textResponse, untyped } from "../../../respond.ts";
import { ERROR_RESPONSES } from "../../../schemas.ts";

const Model = z
  .object({
    provider: z.string(),
    model: z.string(),
    country: z.string().describe("the provider's country on its sheet in force now"),
    first_listed_as_of: z.string().describe("as_of of the first sheet listing the model (ISO 8601 UTC)"),
    last_listed_as_of: z.string().describe("as_of of the latest sheet listing the model"),
    sheet_count: z.number().int().describe("how many accepted sheets list it"),
    listed: z.boolean().describe("on the provider's sheet in force now"),
    prices: z.string().describe("path of the model's price history (the model name percent-encoded as one segment)"),
  })
  .openapi("Model");

const ModelList = z.object({ data: z.array(Model) }).openapi("ModelList");

export const route = createRoute({
  method: "get",
  path: "/v1/models",
  summary: "The models ever listed on an accepted price sheet",
  description: "By provider, then model. CSV with `Accept: text/csv` or `?format=csv`.",
  request: { query: z.object({ format: Format.optional() }) },
  responses: {
    200: {
      content: { "application/json": { schema: ModelList }, "text/csv": { schema: z.string() } },
      description: "every model",
    },
    ...ERROR_RESPONSES,
  },
});

/** Where one model's price history is; a model name may hold `/` or `:`, so it is one encoded segment. */
export function pricesPath(provider: string, model: string): string {
  return `/v1/models/${encodeURIComponent(provider)}/${encodeURIComponent(model)}/prices`;
}

function modelJson(m: ModelView): object {
  return {
    provider: m.provider,
    model: m.model,
    country: m.country,
    first_listed_as_of: m.firstListedAsOf,
    last_listed_as_of: m.lastListedAsOf,
    sheet_count: m.sheetCount,
    listed: m.listed,
    prices: pricesPath(m.provider, m.model),
  };
}

export function register(app: OpenAPIHono, { db }: AppDeps): void {
  app.openapi(route, async (c) => {
    const { format } = c.req.valid("query");
    const csv = wantsCsv(c, format);
    const models = await listModels(db);
    if (csv) return untyped(textResponse(c, modelsCsv(models), CSV_TYPE));
    return untyped(jsonResponse(c, { data: models.map(modelJson) }));
  });
}
