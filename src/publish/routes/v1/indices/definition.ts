// GET /v1/indices/{code}: one index's definition, published as the data the engine uses.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../../deps.ts";
import { exact, UNIT } from "../../../json.ts";
import { IndexCode } from "../../../params.ts";
import { loadDefinition, type IndexDefinitionView } from "../../../read/definition.ts";
import { jsonResponse, untyped } from "../../../respond.ts";
import { ERROR_RESPONSES } from "../../../schemas.ts";

const Exact = z.number().describe("exact decimal, written digit for digit");

export const IndexDefinition = z
  .object({
    // What GET /v1/indices publishes per index, in the same fields.
    code: z.string().openapi({ example: "CTPI" }),
    name: z.string().openapi({ example: "Ciyuan Token Price Index" }),
    description: z.string().openapi({ example: "Volume-weighted blended price of one million tokens at Chinese providers, CNY" }),
    currency: z.string().describe("the currency the value is published in").openapi({ example: "CNY" }),
    unit: z.literal("1M tokens"),
    methodology_version: z.string().describe("the rulebook version fixings are computed under").openapi({ example: "1.1" }),
    fixing_time_local: z.string().describe("HH:MM in fixing_tz: the daily final fixing").openapi({ example: "16:00" }),
    fixing_tz: z.string().describe("IANA time zone").openapi({ example: "Asia/Shanghai" }),
    latest: z
      .object({
        fixing_time: z.string().describe("ISO 8601 UTC"),
        value: Exact.nullable(),
        level: Exact.nullable(),
        status: z.enum(["ok", "insufficient"]),
      })
      .nullable()
      .describe("the latest final fixing (latest revision); null before the first"),
    // The definition itself.
    definition_version: z.number().int().describe("the version of the definition shown (definitions are versioned data)").openapi({ example: 2 }),
    valid_from: z.string().describe("ISO 8601 UTC: the version is in force for fixings from then").openapi({ example: "2020-01-01T00:00:00Z" }),
    universe: z
      .object({
        provider_country: z
          .string()
          .nullable()
          .describe("only providers of this country (ISO 3166 alpha-2, from their price sheets) are eligible; null: every provider")
          .openapi({ example: "CN" }),
      })
      .describe(
        "who is eligible: a (provider, model) in the universe is a constituent when listed with an input and an output price " +
          "and its weighting volume in the usage window is > 0",
      ),
    weighting: z
      .enum(["total", "input", "output"])
      .describe("the volume weights come from: input + output tokens, input tokens, or output tokens")
      .openapi({ example: "total" }),
    price_basis: z
      .enum(["blended", "effective_input", "output"])
      .describe("the constituent price averaged, which follows from the weighting")
      .openapi({ example: "blended" }),
    cap: Exact.describe("the largest weight of one constituent once capping applies (n x cap > 1)").openapi({ example: 0.25 }),
    sufficiency: z
      .object({
        min_constituents: z.number().int().openapi({ example: 5 }),
        min_providers: z.number().int().openapi({ example: 3 }),
      })
      .describe("a fixing is ok with at least this many constituents from at least this many providers, else insufficient"),
    usage_window: z.string().describe("the usage window ending at the fixing time, as a Postgres interval").openapi({ example: "7 days" }),
    base_level: Exact.describe("the level at the index's first ok fixing").openapi({ example: 1000 }),
    late_data_days: z
      .number()
      .int()
      .describe("at each final fixing the finals of this many previous days are recomputed for late data")
      .openapi({ example: 3 }),
    fixing_times: z.object({
      final: z
        .object({ local_time: z.string().openapi({ example: "16:00" }), time_zone: z.string().openapi({ example: "Asia/Shanghai" }) })
        .describe("one final fixing each calendar day at local_time in time_zone"),
      indicative: z
        .object({ every_minutes: z.number().int().openapi({ example: 15 }), time_zone: z.string().openapi({ example: "Asia/Shanghai" }) })
        .describe("indicative fixings on the slots every every_minutes minutes (the quarter hours) in time_zone"),
    }),
  })
  .openapi("IndexDefinition");

export const route = createRoute({
  method: "get",
  path: "/v1/indices/{code}",
  summary: "One index's definition: universe, weighting, cap, sufficiency, fixing times, methodology version",
  description:
    "The stored definition in force now (its highest version valid from now or earlier; before any is in force, the " +
    "highest version, whose `valid_from` says when it starts), with the fields `GET /v1/indices` lists per index.",
  request: { params: z.object({ code: IndexCode }) },
  responses: {
    200: { content: { "application/json": { schema: IndexDefinition } }, description: "the definition" },
    ...ERROR_RESPONSES,
  },
});

export function definitionJson(d: IndexDefinitionView): object {
  return {
    code: d.code,
    name: d.name,
    description: d.description,
    currency: d.currency,
    unit: UNIT,
    methodology_version: d.methodologyVersion,
    fixing_time_local: d.fixingLocalTime,
    fixing_tz: d.fixingTz,
    latest: d.latest && {
      fixing_time: d.latest.fixingTime,
      value: exact(d.latest.value),
      level: exact(d.latest.level),
      status: d.latest.status,
    },
    definition_version: d.definitionVersion,
    valid_from: d.validFrom,
    universe: { provider_country: d.universeCountry },
    weighting: d.weighting,
    price_basis: d.priceBasis,
    cap: exact(d.cap),
    sufficiency: { min_constituents: d.minConstituents, min_providers: d.minProviders },
    usage_window: d.usageWindow,
    base_level: exact(d.baseLevel),
    late_data_days: d.lateDataDays,
    fixing_times: {
      final: { local_time: d.fixingLocalTime, time_zone: d.fixingTz },
      indicative: { every_minutes: d.indicativeEveryMinutes, time_zone: d.fixingTz },
    },
  };
}

export function register(app: OpenAPIHono, { db, now }: AppDeps): void {
  app.openapi(route, async (c) => {
    const { code } = c.req.valid("param");
    return untyped(jsonResponse(c, definitionJson(await loadDefinition(db, code, now ? now() : new Date()))));
  });
}
