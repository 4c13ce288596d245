// GET /v1/indices/{code}/attribution?from=&to=: price versus mix between two final ok
// fixings (operations-and-users.md section 8).
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../../deps.ts";
import { CiyuanError } from "../../../../errors.ts";
import { exact } from "../../../json.ts";
import { DateOrInstant, IndexCode } from "../../../params.ts";
import { checkRangeOrder } from "../../../ranges.ts";
import { loadAttribution, type Attribution as AttributionView } from "../../../read/attribution.ts";
import { jsonResponse, untyped } from "../../../respond.ts";
import { ERROR_RESPONSES } from "../../../schemas.ts";
import { requireIndex } from "../../../read/index.ts";

const Exact = z.number().describe("exact decimal, written digit for digit");
const Fraction = Exact.describe("a fraction (0.01 is 1 %), rounded half-even to 6 decimals");

export const Attribution = z
  .object({
    index: z.string().openapi({ example: "CTPI" }),
    from_fixing: z
      .string()
      .describe("ISO 8601 UTC: the first final fixing at or after `from` whose latest revision is ok")
      .openapi({ example: "2026-09-01T08:00:00Z" }),
    to_fixing: z
      .string()
      .describe("ISO 8601 UTC: the last final fixing at or before `to` whose latest revision is ok")
      .openapi({ example: "2026-09-30T08:00:00Z" }),
    from_revision: z.number().int().describe("the revision of from_fixing used (its latest)").openapi({ example: 1 }),
    to_revision: z.number().int().describe("the revision of to_fixing used (its latest)").openapi({ example: 2 }),
    value_from: Exact.describe("published value of from_fixing, 6 decimals").openapi({ example: 2.4 }),
    value_to: Exact.describe("published value of to_fixing, 6 decimals").openapi({ example: 2.16 }),
    level_from: Exact.describe("published level of from_fixing, 6 decimals").openapi({ example: 1000 }),
    level_to: Exact.describe("published level of to_fixing, 6 decimals").openapi({ example: 950 }),
    value_change_pct: Fraction.describe("value_to / value_from - 1, rounded half-even to 6 decimals").openapi({ example: -0.1 }),
    price_effect_pct: Fraction.describe(
      "level_to / level_from - 1: listed prices and FX with the basket held, rounded half-even to 6 decimals",
    ).openapi({ example: -0.05 }),
    mix_effect_pct: Fraction.describe(
      "(value_to / value_from) / (level_to / level_from) - 1: usage mix, entries and exits, rounded half-even to 6 decimals",
    ).openapi({ example: -0.052632 }),
  })
  .openapi("Attribution");

export const route = createRoute({
  method: "get",
  path: "/v1/indices/{code}/attribution",
  summary: "Price versus mix: how much of the value's move came from listed prices and how much from the usage mix",
  description:
    "Between the first final fixing at or after `from` and the last at or before `to` whose latest revision is `ok` " +
    "(insufficient fixings are skipped). `from` and `to` are ISO 8601 dates or instants, both inclusive, as for " +
    "`/fixings`: a date `from` starts at 00:00 UTC, a date `to` runs through the end of that day (UTC). Without " +
    "`from`, from the index's first final ok fixing; without `to`, up to its latest. The three ratios are computed " +
    "from the published (6-decimal) values and levels, exactly, and rounded half-even to 6 decimals; they are " +
    "fractions, not percent points. 404 `no_ok_fixing` when the range holds no final ok fixing.",
  request: {
    params: z.object({ code: IndexCode }),
    query: z.object({
      from: DateOrInstant.optional().openapi({ example: "2026-09-01" }),
      to: DateOrInstant.optional().openapi({ example: "2026-09-30" }),
    }),
  },
  responses: {
    200: { content: { "application/json": { schema: Attribution } }, description: "the attribution" },
    ...ERROR_RESPONSES,
  },
});

export function attributionJson(a: AttributionView): object {
  return {
    index: a.index,
    from_fixing: a.fromFixing,
    to_fixing: a.toFixing,
    from_revision: a.fromRevision,
    to_revision: a.toRevision,
    value_from: exact(a.valueFrom),
    value_to: exact(a.valueTo),
    level_from: exact(a.levelFrom),
    level_to: exact(a.levelTo),
    value_change_pct: exact(a.valueChangePct),
    price_effect_pct: exact(a.priceEffectPct),
    mix_effect_pct: exact(a.mixEffectPct),
  };
}

export function register(app: OpenAPIHono, { db }: AppDeps): void {
  app.openapi(route, async (c) => {
    const { code } = c.req.valid("param");
    const { from, to } = c.req.valid("query");
    checkRangeOrder(from, to);
    await requireIndex(db, code);
    const found = await loadAttribution(db, { index: code, from, to });
    if (!found) {
      const range = from === undefined && to === undefined ? "yet" : `between ${from ?? "the first fixing"} and ${to ?? "now"}`;
      throw new CiyuanError("no_ok_fixing", `no final ok fixing of ${code} ${range}`);
    }
    return untyped(jsonResponse(c, attributionJson(found)));
  });
}
