/**
 * Request parameters, validated by zod at the edge. The route definitions carry these,
 * so the OpenAPI document describes exactly what is checked.
 */
import { z } from "@hono/zod-openapi";
import { isCalendarDate, parseInstant } from "./read/instants.ts";

export const IndexCode = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "not an index code")
  .openapi({ param: { name: "code", in: "path" }, example: "CTPI" });

export const Instant = z
  .string()
  .max(64)
  .refine((s) => parseInstant(s) !== null, "not an ISO 8601 instant with offset (e.g. 2026-10-01T08:00:00Z)")
  .openapi({ description: "ISO 8601 instant with Z or an offset", example: "2026-10-01T08:00:00Z" });

export const DateOrInstant = z
  .string()
  .max(64)
  .refine(
    (s) => isCalendarDate(s) || parseInstant(s) !== null,
    "not an ISO 8601 date (YYYY-MM-DD) or instant with offset (e.g. 2026-10-01T08:00:00Z)",
  )
  .openapi({ description: "ISO 8601 date (YYYY-MM-DD, UTC) or instant with Z or an offset", example: "2026-10-01" });

export const Revision = z
  .string()
  .regex(/^[1-9]\d{0,8}$/, "not a revision number (a positive integer)")
  .openapi({ example: "1" });

export const Kind = z.enum(["final", "indicative"]);

export const Format = z.enum(["json", "csv"]);
