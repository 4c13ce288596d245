// GET /v1/indices/{code}/settlement?month=YYYY-MM: the monthly settlement price with the
// fixing revisions it averaged; the latest revision, or ?revision=N, or the one current ?as_of=ISO.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../../deps.ts";
import { CiyuanError } from "../../../../errors.ts";
import { IndexCode, Instant, Revision } from "../../../params.ts";
import { jsonResponse, untyped } from "../../../respond.ts";
import { ERROR_RESPONSES, Signature } from "../../../schemas.ts";
import { settlementJson } from "../../../settlement-json.ts";
import { loadSettlement } from "../../../read/settlement.ts";
import { requireIndex } from "../../../read/index.ts";

const Exact = z.number().describe("exact decimal, written digit for digit");

export const Month = z
  .string()
  .regex(/^(?!0000)\d{4}-(0[1-9]|1[0-2])$/, "not a calendar month (YYYY-MM)")
  .openapi({ description: "calendar month in the index's fixing time zone", example: "2026-09" });

export const Settlement = z
  .object({
    index: z.string(),
    month: z.string().describe("YYYY-MM, calendar month in the index's fixing time zone (Asia/Shanghai)"),
    value: Exact.nullable().describe(
      "mean of the published values of the month's final fixings (latest revision of each), 6 decimals, half-even; null while none has a value",
    ),
    provisional: z.boolean().describe("true until the month's last final fixing is published"),
    final: z
      .boolean()
      .describe("the latest revision at or after the cut-off: the settlement never changes again"),
    cutoff: z.string().describe("ISO 8601 UTC: 16:00 Asia/Shanghai on the 5th calendar day of the next month"),
    fixings_expected: z.number().int().describe("calendar days of the month whose final fixing time has passed"),
    fixings_used: z.number().int().describe("final fixings averaged"),
    fixings_missing: z.array(z.string()).describe("expected days (YYYY-MM-DD, Asia/Shanghai) without a final fixing averaged"),
    complete: z.boolean().describe("the month is over and no day is missing"),
    restated_after_cutoff: z
      .array(z.object({ fixing_time: z.string(), settled_revision: z.number().int(), revision: z.number().int() }))
      .describe("averaged fixings restated after the cut-off (final settlements only): the revision averaged and the latest"),
    revision: z.number().int(),
    computed_at: z.string().describe("ISO 8601 UTC"),
    reason: z.string().describe("the fixing revision that caused this settlement revision"),
    fixings: z
      .array(
        z.object({
          fixing_time: z.string().describe("ISO 8601 UTC"),
          revision: z.number().int(),
          value: Exact.describe("the published value averaged (an insufficient fixing's carried value)"),
          status: z.enum(["ok", "insufficient"]),
        }),
      )
      .describe("the fixing revisions averaged, oldest first"),
    signature: Signature.describe("Ed25519 over the ciyuan-settlement/1 text"),
  })
  .openapi("Settlement");

export const route = createRoute({
  method: "get",
  path: "/v1/indices/{code}/settlement",
  summary: "The monthly settlement price",
  description:
    "The arithmetic mean of the published values of the index's final fixings in the calendar month (Asia/Shanghai), " +
    "latest revision of each, with the fixings it averaged. Provisional until the month's last fixing is published. " +
    "The latest revision; `?revision=N` for revision N, `?as_of=ISO` for the revision current at that moment.",
  request: {
    params: z.object({ code: IndexCode }),
    query: z.object({ month: Month, revision: Revision.optional(), as_of: Instant.optional() }),
  },
  responses: {
    200: { content: { "application/json": { schema: Settlement } }, description: "the settlement price" },
    ...ERROR_RESPONSES,
  },
});

export function register(app: OpenAPIHono, { db, signer, now }: AppDeps): void {
  app.openapi(route, async (c) => {
    const { code } = c.req.valid("param");
    const { month, revision, as_of: asOf } = c.req.valid("query");
    if (revision !== undefined && asOf !== undefined) {
      throw new CiyuanError("bad_request", "give revision or as_of, not both");
    }
    await requireIndex(db, code);
    const view = await loadSettlement(db, {
      index: code,
      month,
      revision: revision === undefined ? undefined : Number(revision),
      asOf,
      now: now?.(),
    });
    if (!view) {
      const which = revision !== undefined ? ` revision ${revision}` : asOf !== undefined ? ` as of ${asOf}` : "";
      throw new CiyuanError("not_found", `no settlement of ${code} for ${month}${which}`);
    }
    return untyped(jsonResponse(c, settlementJson(view, signer)));
  });
}
