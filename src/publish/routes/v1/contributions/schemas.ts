// The documents of the contribution routes, for the route definitions and so the OpenAPI
// document. The request bodies are documented here but read by the importers, which hold
// them to the formats' rules (formats-and-interfaces.md), not by these schemas.
import { z } from "@hono/zod-openapi";

const Count = z.number().int().min(0).describe("non-negative integer, written digit for digit (may exceed 2^53)");
const Instant = z.string().describe("ISO 8601 with offset").openapi({ example: "2026-09-30T00:00:00+08:00" });

export const UsageRecordDoc = z
  .object({
    provider: z.string().openapi({ example: "deepseek" }),
    model: z.string().openapi({ example: "deepseek-chat" }),
    period_start: Instant,
    period_end: Instant.openapi({ example: "2026-10-01T00:00:00+08:00" }),
    input_tokens: Count.openapi({ example: 9000000000 }),
    cached_input_tokens: Count.nullable().optional().openapi({ example: 5000000000 }),
    output_tokens: Count.openapi({ example: 1000000000 }),
  })
  .openapi("UsageRecord");

export const UsageDocument = z
  .object({ schema: z.literal("ciyuan.usage/1"), records: z.array(UsageRecordDoc) })
  .openapi("UsageDocument");

export const USAGE_CSV_EXAMPLE =
  "provider,model,period_start,period_end,input_tokens,cached_input_tokens,output_tokens\n" +
  "deepseek,deepseek-chat,2026-09-30T00:00:00+08:00,2026-10-01T00:00:00+08:00,9000000000,5000000000,1000000000\n";

const Price = z.number().positive().describe("price in the currency per the unit, exact decimal");

const SheetModel = z
  .object({
    model: z.string().openapi({ example: "deepseek-chat" }),
    input: Price.optional().openapi({ example: 2 }),
    cached_input: Price.optional().openapi({ example: 0.2 }),
    output: Price.optional().openapi({ example: 3 }),
    currency: z.string().optional().describe("overrides the sheet's"),
    unit: z.enum(["per_token", "per_1k_tokens", "per_1m_tokens"]).optional().describe("overrides the sheet's"),
    tiers: z.array(z.object({ min_input_tokens: z.number().int(), input: Price.optional(), cached_input: Price.optional(), output: Price.optional() })).optional(),
    off_peak: z.array(z.object({ from: z.string(), to: z.string(), tz: z.string(), multiplier: z.number().positive() })).optional(),
  })
  .openapi("PriceSheetModel");

export const PriceSheetDocument = z
  .object({
    schema: z.literal("ciyuan.price-sheet/1"),
    provider: z.string().openapi({ example: "deepseek" }),
    country: z.string().optional().describe("ISO 3166 alpha-2; absent: the provider's known country").openapi({ example: "CN" }),
    as_of: Instant.describe("ISO 8601 with offset: the sheet is in force from then").openapi({ example: "2026-09-29T00:00:00+08:00" }),
    currency: z.string().describe("ISO 4217").openapi({ example: "CNY" }),
    unit: z.enum(["per_token", "per_1k_tokens", "per_1m_tokens"]).openapi({ example: "per_1m_tokens" }),
    models: z.array(SheetModel).min(1),
  })
  .openapi("PriceSheet");

export const PRICES_CSV_EXAMPLE =
  "provider,country,as_of,currency,unit,model,input,cached_input,output\n" +
  "deepseek,CN,2026-09-29T00:00:00+08:00,CNY,per_1m_tokens,deepseek-chat,2,0.2,3\n";

export const ContributionReceipt = z
  .object({
    receipt: z.object({
      batch: z
        .number()
        .int()
        .nullable()
        .describe("the input batch holding the submission (the last, when a price body held several sheets); null when every record was stored already"),
      contributor: z.string(),
      sha256: z.string().describe("SHA-256 of the body's bytes, lowercase hex"),
      records: z.number().int().describe("records in the body (usage records, or price rows: models over all sheets)"),
      received_at: z.string().describe("ISO 8601 UTC"),
    }),
    signature: z.object({
      kid: z.string().describe("the key, as listed at /v1/keys"),
      alg: z.literal("Ed25519"),
      sig: z
        .string()
        .describe(
          "base64url Ed25519 signature of the UTF-8 lines `ciyuan-receipt/1`, batch (empty when null), contributor, sha256, records, received_at joined by `\\n`",
        ),
    }),
  })
  .openapi("ContributionReceipt", {
    example: {
      receipt: {
        batch: 4182,
        contributor: "acme-cloud",
        sha256: "9f2c4a0e1b7d3c5a8e6f4b2d0c9a7e5f3b1d9c7a5e3f1b9d7c5a3e1f9b7d5c3a",
        records: 1,
        received_at: "2026-10-01T07:59:12.482311Z",
      },
      signature: { kid: "ed25519-3f1c9a0b27d4e865", alg: "Ed25519", sig: "3q2-7wAAABBBCCC..." },
    },
  });

export const Contribution = z
  .object({
    received_at: z.string().describe("ISO 8601 UTC"),
    contributor: z.string(),
    kind: z.enum(["usage", "prices"]),
    sha256: z.string().nullable().describe("SHA-256 of the body, hex; null for a body refused for its size, which was not read to its end"),
    bytes: z.number().int().describe("the body's size (a refused oversized body: what was declared or read)"),
    records: z.number().int().describe("records in the body; 0 when it was refused for its size or an invalid record"),
    status: z.enum(["accepted", "refused"]),
    batch: z.number().int().nullable().describe("the input batch of an accepted submission; null when refused or nothing new was stored"),
    reason: z.string().nullable().describe("why it was refused, as answered"),
  })
  .openapi("Contribution");

export const ContributionList = z.object({ data: z.array(Contribution) }).openapi("ContributionList");
