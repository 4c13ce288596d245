/**
 * Response shapes, for the route definitions (and so the OpenAPI document). Responses
 * are written by json.ts, where numbers keep their exact decimal text; a `number` here
 * is such an exact decimal.
 */
import { z } from "@hono/zod-openapi";

const Exact = z.number().describe("exact decimal, written digit for digit");
const ExactOrNull = Exact.nullable();

export const ErrorBody = z
  .object({ error: z.object({ code: z.string(), message: z.string() }) })
  .openapi("Error");

export const Signature = z
  .object({
    kid: z.string().describe("the key, as listed at /v1/keys"),
    alg: z.literal("Ed25519"),
    sig: z.string().describe("base64url Ed25519 signature of the ciyuan-fixing/1 (or ciyuan-settlement/1) text"),
  })
  .openapi("Signature");

const ByOriginKind = z.object({ contributor: Exact, proxy: Exact, collector: Exact, file: Exact, sample: Exact });

export const Coverage = z
  .object({
    tokens: ByOriginKind.describe("the window's tokens (input + output) by origin kind"),
    shares: ByOriginKind.describe("each kind's share of total_tokens, 6 decimals, half-even"),
    total_tokens: Exact,
    providers_without_usage: z.array(z.string()).describe("providers with a sheet in force and no usage in the window"),
  })
  .openapi("Coverage");

export const Fixing = z
  .object({
    index: z.string(),
    fixing_time: z.string().describe("ISO 8601 UTC"),
    kind: z.enum(["final", "indicative"]),
    status: z.enum(["ok", "insufficient"]),
    value: ExactOrNull.describe("6 decimals, half-even; an insufficient fixing carries the last ok value"),
    level: ExactOrNull.describe("6 decimals, half-even"),
    currency: z.string(),
    unit: z.literal("1M tokens"),
    percentiles: z.object({ p25: ExactOrNull, p50: ExactOrNull, p75: ExactOrNull }),
    methodology_version: z.string(),
    revision: z.number().int(),
    computed_at: z.string(),
    inputs_sha256: z.string(),
    reason: z.string().describe("why this revision was computed"),
    constituent_count: z.number().int(),
    provider_count: z.number().int(),
    carried_from: z.object({ fixing_time: z.string(), revision: z.number().int() }).nullable(),
    data_origin: z.enum(["sample", "real"]).describe("sample when any input the fixing read is the bundled synthetic sample"),
    coverage: Coverage.nullable().describe("null for a fixing stored before coverage was kept"),
    signature: Signature.nullable(),
  })
  .openapi("Fixing");

export const Constituent = z
  .object({
    provider: z.string(),
    model: z.string(),
    weight: Exact.describe("8 decimals, half-even"),
    price: Exact.describe("the index's price basis, 6 decimals"),
    input_price: Exact,
    output_price: Exact,
    input_tokens: Exact,
    cached_input_tokens: Exact,
    output_tokens: Exact,
    capped: z.boolean(),
    held: z.array(z.string()).describe("components held at their last accepted price"),
    sheet_id: Exact,
    origins: z.array(z.enum(["contributor", "proxy", "collector", "file", "sample"])).nullable()
      .describe("the origin kinds of its window's usage (null: stored before origins were kept)"),
    estimated: z.boolean().nullable().describe("true when any of its volumes was estimated (a proxy's split)"),
  })
  .openapi("Constituent");

export const Exclusion = z
  .object({ provider: z.string(), model: z.string(), reason: z.string() })
  .openapi("Exclusion");

export const FixingWithDetails = Fixing.extend({
  constituents: z.array(Constituent),
  exclusions: z.array(Exclusion),
}).openapi("FixingWithDetails");

export const FixingList = z.object({ data: z.array(Fixing) }).openapi("FixingList");

export const Index = z
  .object({
    code: z.string(),
    name: z.string(),
    description: z.string(),
    currency: z.string(),
    unit: z.literal("1M tokens"),
    methodology_version: z.string(),
    fixing_time_local: z.string(),
    fixing_tz: z.string(),
    latest: z
      .object({ fixing_time: z.string(), value: ExactOrNull, level: ExactOrNull, status: z.enum(["ok", "insufficient"]) })
      .nullable(),
  })
  .openapi("Index");

export const IndexList = z.object({ data: z.array(Index) }).openapi("IndexList");

const errorResponse = (description: string) => ({
  content: { "application/json": { schema: ErrorBody } },
  description,
});

/** The error answers every route can give. */
export const ERROR_RESPONSES = {
  400: errorResponse("bad parameters"),
  404: errorResponse("unknown index, fixing or route"),
  503: errorResponse("the database is unavailable for the moment (code `unavailable`); try again shortly"),
} as const;
