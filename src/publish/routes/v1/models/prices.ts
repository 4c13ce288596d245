// GET /v1/models/{provider}/{model}/prices?from=&to=: one model's normalised price
// history, one row per accepted sheet listing it, oldest first, as JSON or CSV, streamed.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../../deps.ts";
import { fingerprintTag, notModified } from "../../../caching.ts";
import { pricesCsv } from "../../../csv-tables.ts";
import { exact, UNIT } from "../../../json.ts";
import { modelPrices, priceSnapshot, type PriceView } from "../../../read/models.ts";
import { wantsCsv } from "../../../negotiate.ts";
import { DateOrInstant, Format } from "../../../params.ts";
import { checkRangeOrder } from "../../../ranges.ts";
import { CSV_TYPE, JSON_TYPE, jsonList, streamResponse, untyped } from "../../../respond.ts";
import { ERROR_RESPONSES } from "../../../schemas.ts";

const Exact = z.number().describe("exact decimal, written digit for digit");

const Price = z
  .object({
    provider: z.string(),
    model: z.string(),
    sheet_id: Exact,
    as_of: z.string().describe("the sheet's as_of, ISO 8601 UTC: in force from then"),
    status: z.enum(["accepted", "held"]).describe("held: a component moved by more than 80 % and stays at its last accepted price"),
    held: z.array(z.enum(["input", "cached_input", "output"])).describe("the components held"),
    approved_at: z.string().nullable().describe("an operator approval of this listing, releasing held prices from then on"),
    currency: z.literal("CNY"),
    unit: z.literal("1M tokens"),
    input: Exact.nullable().describe("CNY per 1M tokens, FX at as_of, 6 decimals half-even; null: not listed or no FX rate"),
    cached_input: Exact.nullable(),
    output: Exact.nullable(),
    listed_currency: z.string(),
    listed_unit: z.enum(["per_token", "per_1k_tokens", "per_1m_tokens"]),
    listed_input: Exact.nullable().describe("as listed, in listed_currency per listed_unit"),
    listed_cached_input: Exact.nullable(),
    listed_output: Exact.nullable(),
    fx_rate: Exact.nullable().describe("CNY per one unit of listed_currency in force at as_of (1 for CNY)"),
    fx_as_of: z.string().nullable().describe("as_of of that rate (null for CNY or when none)"),
  })
  .openapi("ModelPrice");

const PriceList = z.object({ data: z.array(Price) }).openapi("ModelPriceList");

const Name = (name: string, example: string, description: string) =>
  z
    .string()
    .min(1)
    .max(512)
    // Postgres text cannot hold NUL: refused here, before it could reach a query.
    .regex(/^[^\u0000]*$/, "must not contain NUL")
    .openapi({ param: { name, in: "path" }, example, description });

export const route = createRoute({
  method: "get",
  path: "/v1/models/{provider}/{model}/prices",
  summary: "One model's normalised price history (CNY per 1M tokens), oldest first",
  description:
    "One row per accepted price sheet of the provider listing the model, with the sheet's `as_of` and the held-price status. " +
    "The model is one path segment: percent-encode it (`/` as `%2F`; `openai/gpt-4o:free` → `openai%2Fgpt-4o%3Afree`). " +
    "`from` and `to` (ISO 8601 dates or instants, inclusive; a date `to` runs through the end of that day UTC) bound `as_of`. " +
    "CSV with `Accept: text/csv` or `?format=csv`.",
  request: {
    params: z.object({
      provider: Name("provider", "deepseek", "the provider, as on its price sheets"),
      model: Name("model", "deepseek-chat", "the model, as on the sheets, percent-encoded as one segment"),
    }),
    query: z.object({ from: DateOrInstant.optional(), to: DateOrInstant.optional(), format: Format.optional() }),
  },
  responses: {
    200: {
      content: { "application/json": { schema: PriceList }, "text/csv": { schema: z.string() } },
      description: "the price history",
    },
    ...ERROR_RESPONSES,
  },
});

function priceJson(p: PriceView): object {
  return {
    provider: p.provider,
    model: p.model,
    sheet_id: exact(p.sheetId),
    as_of: p.asOf,
    status: p.status,
    held: p.held,
    approved_at: p.approvedAt,
    currency: "CNY",
    unit: UNIT,
    input: exact(p.input),
    cached_input: exact(p.cachedInput),
    output: exact(p.output),
    listed_currency: p.listedCurrency,
    listed_unit: p.listedUnit,
    listed_input: exact(p.listedInput),
    listed_cached_input: exact(p.listedCachedInput),
    listed_output: exact(p.listedOutput),
    fx_rate: exact(p.fxRate),
    fx_as_of: p.fxAsOf,
  };
}

export function register(app: OpenAPIHono, { db }: AppDeps): void {
  app.openapi(route, async (c) => {
    const { provider, model } = c.req.valid("param");
    const { from, to, format } = c.req.valid("query");
    checkRangeOrder(from, to);
    const csv = wantsCsv(c, format);
    const snap = await priceSnapshot(db, { provider, model });
    const etag = fingerprintTag([
      "model-prices", provider, model, from, to, csv ? "csv" : "json",
      snap.listings, snap.maxSheetId, snap.approvals, snap.fxRates, snap.maxFxId,
    ]);
    const unchanged = notModified(c, etag);
    if (unchanged) return untyped(unchanged);
    const prices = modelPrices(db, { provider, model, from, to }, snap);
    if (csv) return untyped(await streamResponse(c, pricesCsv(prices, UNIT), CSV_TYPE));
    return untyped(await streamResponse(c, jsonList(prices, priceJson), JSON_TYPE));
  });
}
