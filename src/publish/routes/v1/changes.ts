// GET /v1/changes?from=&to=&provider=&model=: the price-change feed (operations-and-users.md
// section 7), oldest first, as JSON or CSV, streamed. The events are computed from the
// stored sheets by publish/read/changes.ts.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../deps.ts";
import { fingerprintTag, notModified } from "../../caching.ts";
import { wantsCsv } from "../../negotiate.ts";
import { DateOrInstant, Format } from "../../params.ts";
import { checkRangeOrder } from "../../ranges.ts";
import { CHANGE_CSV_COLUMNS, priceChangeJson, priceChangesCsv } from "../../changes-format.ts";
import { changeSnapshot, priceChanges } from "../../read/changes.ts";
import { CSV_TYPE, JSON_TYPE, jsonList, streamResponse, untyped } from "../../respond.ts";
import { ERROR_RESPONSES } from "../../schemas.ts";

const Exact = z.number().describe("exact decimal, written digit for digit");

const ListedPrices = z
  .object({ input: Exact.nullable(), cached_input: Exact.nullable(), output: Exact.nullable() })
  .describe("a listed or delisted model's prices, per 1M tokens in `currency`; null: the component is not listed")
  .openapi("ListedPrices");

const Price = z.union([Exact, ListedPrices]);

export const PriceChange = z
  .object({
    event: z.enum(["change", "listed", "delisted"]),
    provider: z.string(),
    model: z.string(),
    component: z.enum(["input", "cached_input", "output"]).nullable().describe("null for listed and delisted"),
    old: Price.nullable().describe(
      "change: the component's price on the previous sheet, per 1M tokens in its listed currency (null: not listed there); " +
        "delisted: the model's prices on the previous sheet; listed: null",
    ),
    new: Price.nullable().describe(
      "change: the component's price on this sheet (null: no longer listed); listed: the model's prices on this sheet; delisted: null",
    ),
    currency: z.string().describe("the listed currency (of this sheet; of the previous one for delisted)"),
    change_pct: Exact.nullable().describe(
      "new / old - 1 as a fraction, rounded half-even to 6 decimals; null when either side is absent or the currency changed",
    ),
    as_of: z.string().describe("ISO 8601 UTC: the as_of of the sheet that made the change"),
    sheet: Exact.describe("that sheet's id"),
    held: z.boolean().describe("the 80 % gate held the move when the sheet arrived (listed: any of its components)"),
    released_at: z
      .string()
      .nullable()
      .describe("ISO 8601 UTC: when the held move was confirmed (by the next sheet listing the same price) or approved; else null"),
  })
  .openapi("PriceChange");

export const PriceChangeList = z.object({ data: z.array(PriceChange).describe("oldest first") }).openapi("PriceChangeList");

const EXAMPLE = {
  data: [
    {
      event: "change", provider: "deepseek", model: "deepseek-chat", component: "output", old: 3, new: 8, currency: "CNY",
      change_pct: 1.666667, as_of: "2026-09-09T16:00:00Z", sheet: 42, held: true, released_at: "2026-09-19T16:00:00Z",
    },
    {
      event: "listed", provider: "deepseek", model: "deepseek-v4", component: null, old: null,
      new: { input: 2, cached_input: 0.2, output: 3 }, currency: "CNY", change_pct: null, as_of: "2026-09-09T16:00:00Z",
      sheet: 42, held: false, released_at: null,
    },
    {
      event: "delisted", provider: "deepseek", model: "deepseek-reasoner", component: null,
      old: { input: 4, cached_input: null, output: 16 }, new: null, currency: "CNY", change_pct: null,
      as_of: "2026-09-09T16:00:00Z", sheet: 42, held: false, released_at: null,
    },
  ],
} satisfies z.infer<typeof PriceChangeList>;

const Name = (example: string, description: string) =>
  z
    .string()
    .min(1)
    .max(512)
    // Postgres text cannot hold NUL: refused here, before it could reach a query.
    .regex(/^[^\u0000]*$/, "must not contain NUL")
    .openapi({ example, description });

export const route = createRoute({
  method: "get",
  path: "/v1/changes",
  summary: "Price changes between consecutive accepted sheets of each provider, oldest first",
  description:
    "One event per component whose listed price changed (`change`), per model that appears (`listed`, also when it " +
    "comes back after an absence; its prices as `new`) or disappears (`delisted`; its last prices as `old`), " +
    "between each two consecutive accepted price sheets of a provider; a provider's first sheet is the baseline. " +
    "Prices per 1M tokens in the listed currency. `from` and `to` (ISO 8601 dates or instants, inclusive; a date `to` " +
    "runs through the end of that day UTC) bound the new sheet's `as_of`. CSV (the same columns; a listed or delisted " +
    "model's prices in one cell, `input=2;cached_input=0.2;output=3`) with `Accept: text/csv` or `?format=csv`. " +
    "`/v1/stream` carries each new sheet's events as event `price_change`.",
  request: {
    query: z.object({
      from: DateOrInstant.optional(),
      to: DateOrInstant.optional(),
      provider: Name("deepseek", "only this provider").optional(),
      model: Name("deepseek-chat", "only this model").optional(),
      format: Format.optional(),
    }),
  },
  responses: {
    200: {
      content: {
        "application/json": { schema: PriceChangeList, example: EXAMPLE },
        "text/csv": { schema: z.string().openapi({ example: `${CHANGE_CSV_COLUMNS.join(",")}\r\n` +
          "change,deepseek,deepseek-chat,output,3,8,CNY,1.666667,2026-09-09T16:00:00Z,42,true,2026-09-19T16:00:00Z\r\n" }) },
      },
      description: "the events, oldest first",
    },
    ...ERROR_RESPONSES,
  },
});

export function register(app: OpenAPIHono, { db }: AppDeps): void {
  app.openapi(route, async (c) => {
    const { from, to, provider, model, format } = c.req.valid("query");
    checkRangeOrder(from, to);
    const csv = wantsCsv(c, format);
    const snap = await changeSnapshot(db);
    const etag = fingerprintTag([
      "changes", from, to, provider, model, csv ? "csv" : "json",
      snap.sheets, snap.maxSheetId, snap.approvals, snap.maxApprovalId,
    ]);
    const unchanged = notModified(c, etag);
    if (unchanged) return untyped(unchanged);
    const changes = priceChanges(db, { from, to, provider, model }, snap);
    if (csv) return untyped(await streamResponse(c, priceChangesCsv(changes), CSV_TYPE));
    return untyped(await streamResponse(c, jsonList(changes, priceChangeJson), JSON_TYPE));
  });
}
