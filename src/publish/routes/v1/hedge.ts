// POST /v1/hedge?index=CTPI: the hedge desk (operations-and-users.md section 9). The body
// is the user's monthly bill as CSV; the answer is the hedge ratio of their unit cost on
// the index's monthly settlement prices, how well it hedges, and the series it used.
// Public like the GET routes (no token, any origin): nothing is stored.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { hedge, hedgeJson } from "../../../hedge/index.ts";
import type { AppDeps } from "../../deps.ts";
import { errorResponse, statusFor } from "../../errors.ts";
import { toJson } from "../../json.ts";
import { readBodyWithin } from "../../read-body.ts";
import { JSON_TYPE, untyped } from "../../respond.ts";
import { ErrorBody } from "../../schemas.ts";

/** A bill of 240 months is a few kilobytes: a body over this is not a bill. */
export const MAX_BILL_BYTES = 1_048_576;

const Exact = z.number().describe("exact decimal, 6 places, half-even, written digit for digit");

export const BILL_CSV_EXAMPLE =
  "month,cost_cny,tokens\n" +
  "2026-03,2000.00,400000000\n" +
  "2026-04,2362.50,450000000\n" +
  "2026-05,2475.00,500000000\n" +
  "2026-06,2938.00,520000000\n" +
  "2026-07,3360.00,600000000\n" +
  "2026-08,3900.00,650000000\n";

export const HedgeAnswer = z
  .object({
    index: z.string().openapi({ example: "CTPI" }),
    hedge_ratio: Exact.describe("cov(dS, dF) / var(dF): contracts (1M tokens at the settlement price) per 1M tokens of the bill; per month without tokens").openapi({ example: 1.06203 }),
    correlation: Exact.describe("of the monthly changes dS and dF").openapi({ example: 0.995898 }),
    r_squared: Exact.openapi({ example: 0.991813 }),
    variance_reduction: Exact.describe("1 - var(dS - h dF) / var(dS); equals r_squared in sample").openapi({ example: 0.991813 }),
    volatility_reduction: Exact.describe("1 - sqrt(1 - variance_reduction)").openapi({ example: 0.909519 }),
    effective: z.boolean().describe("r_squared (as published) >= 0.8: the regression test of hedge accounting"),
    contracts_per_month: Exact.nullable()
      .describe("hedge_ratio x mean monthly tokens / 1e6 over the months used; null when the bill gives no tokens")
      .openapi({ example: 552.255639 }),
    months: z.number().int().describe("bill months used: those entering at least one monthly change").openapi({ example: 6 }),
    warnings: z
      .array(z.string())
      .describe("fewer than 12 months used; months without a settlement (left out); provisional, not yet final or incomplete settlements"),
    cost_unit: z.enum(["CNY per 1M tokens", "CNY per month"]).describe("the unit of S_t: a unit cost with tokens, a monthly total without"),
    series: z
      .array(
        z.object({
          month: z.string().openapi({ example: "2026-03" }),
          unit_cost: Exact.describe("S_t: cost_cny x 1e6 / tokens, or cost_cny without tokens").openapi({ example: 5 }),
          settlement: Exact.nullable().describe("F_t: the index's settlement value for the month, latest revision; null when none").openapi({ example: 4 }),
          settlement_status: z
            .enum(["final", "not_final", "provisional", "none"])
            .describe("provisional: the month's last final fixing not published yet; not_final: before the cut-off; none: no settlement"),
          complete: z.boolean().nullable().describe("the settlement averaged a final fixing for every day of the month"),
          used: z.boolean().describe("the month enters a monthly change"),
        }),
      )
      .describe("every month of the bill, oldest first, for charting S against F"),
  })
  .openapi("Hedge");

const errorContent = { "application/json": { schema: ErrorBody } };

export const route = createRoute({
  method: "post",
  path: "/v1/hedge",
  summary: "Hedge desk: the hedge ratio of a monthly bill on the index's settlement prices",
  description:
    "The body is CSV (`Content-Type: text/csv`; any other type is read as CSV too): a header `month,cost_cny,tokens` " +
    "(`tokens` optional, as a column or left empty on every row), then one row per month, `YYYY-MM`, consecutive, oldest first. " +
    "S_t = cost_cny x 1e6 / tokens (or cost_cny without tokens), F_t = the index's settlement value for the month " +
    "(latest revision); on monthly changes dS, dF with sample (n - 1) moments: hedge_ratio = cov(dS, dF) / var(dF), " +
    "correlation, r_squared, variance_reduction, volatility_reduction, effective (r_squared >= 0.8), contracts_per_month. " +
    "Months without a settlement are left out (a change is taken only between two consecutive months that both have one); " +
    "at least 4 consecutive months with a settlement are needed. Computed exactly in the database's decimal arithmetic, " +
    "each figure rounded half-even to 6 places. Nothing is stored.",
  request: {
    query: z.object({
      index: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "not an index code")
        .openapi({ param: { name: "index", in: "query" }, example: "CTPI" }),
    }),
    body: {
      required: true,
      content: { "text/csv": { schema: z.string().openapi({ example: BILL_CSV_EXAMPLE }) } },
    },
  },
  responses: {
    200: { content: { "application/json": { schema: HedgeAnswer } }, description: "the hedge statistics and the series used" },
    400: {
      content: errorContent,
      description:
        "a bad bill, naming its line (the header is line 1); fewer than 4 consecutive months with a settlement; " +
        "a settlement or a cost that never changed (var = 0); or a bad index code",
    },
    404: { content: errorContent, description: "unknown index" },
    413: { content: errorContent, description: "the body is over 1 MB (1048576 bytes)" },
    503: { content: errorContent, description: "the database is unavailable for the moment (code `unavailable`); try again shortly" },
  },
});

export function register(app: OpenAPIHono, { db, now }: AppDeps): void {
  app.openapi(route, async (c) => {
    const { index } = c.req.valid("query");
    const read = await readBodyWithin(c.req.raw, MAX_BILL_BYTES);
    if ("tooLarge" in read) {
      const res = errorResponse(c, statusFor("payload_too_large"), "payload_too_large", `the body is over 1 MB (${MAX_BILL_BYTES} bytes): not a monthly bill`);
      // The rest of the body was never read: this connection cannot carry another request.
      res.headers.set("Connection", "close");
      res.headers.set("Cache-Control", "no-store");
      return untyped(res);
    }
    const result = await hedge(db, { index, bill: read.body, now: now?.() });
    return untyped(c.body(toJson(hedgeJson(result)), 200, { "Content-Type": JSON_TYPE, "Cache-Control": "no-store" }));
  });
}
