// GET /v1/indices/{code}/fixings?from=&to=&kind=: final (or indicative) fixings in a
// range, oldest first, as JSON or CSV, streamed.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../../deps.ts";
import { fingerprintTag, notModified } from "../../../caching.ts";
import { fixingsCsv } from "../../../csv.ts";
import { fixingJson } from "../../../json.ts";
import { wantsCsv } from "../../../negotiate.ts";
import { DateOrInstant, Format, IndexCode, Kind } from "../../../params.ts";
import { checkRangeOrder } from "../../../ranges.ts";
import { CSV_TYPE, JSON_TYPE, jsonList, streamResponse, untyped } from "../../../respond.ts";
import { ERROR_RESPONSES, FixingList } from "../../../schemas.ts";
import { fixingRangeFingerprint, listFixings, requireIndex } from "../../../read/index.ts";

export const route = createRoute({
  method: "get",
  path: "/v1/indices/{code}/fixings",
  summary: "Final fixings in a range (indicative ones with ?kind=indicative), oldest first, latest revision of each",
  description:
    "`from` and `to` are ISO 8601 dates or instants, both inclusive; a date `to` runs through the end of that day (UTC). " +
    "`kind` is `final` unless `indicative` is asked for (the dashboard draws the day's indicative fixings from it). " +
    "CSV with `Accept: text/csv` or `?format=csv`.",
  request: {
    params: z.object({ code: IndexCode }),
    query: z.object({
      from: DateOrInstant.optional(),
      to: DateOrInstant.optional(),
      kind: Kind.optional().openapi({ description: "final (the default) or indicative" }),
      format: Format.optional(),
    }),
  },
  responses: {
    200: {
      content: {
        "application/json": { schema: FixingList },
        "text/csv": { schema: z.string() },
      },
      description: "the fixings",
    },
    ...ERROR_RESPONSES,
  },
});

export function register(app: OpenAPIHono, { db, signer }: AppDeps): void {
  app.openapi(route, async (c) => {
    const { code } = c.req.valid("param");
    const { from, to, kind = "final", format } = c.req.valid("query");
    checkRangeOrder(from, to);
    await requireIndex(db, code);
    const range = { index: code, from, to, kind };
    const csv = wantsCsv(c, format);
    // Fixings without a stored signature are signed on the fly: the key is part of the body.
    const etag = fingerprintTag(["fixings", code, kind, from, to, csv ? "csv" : "json", signer.kid, await fixingRangeFingerprint(db, range)]);
    const unchanged = notModified(c, etag);
    if (unchanged) return untyped(unchanged);
    const views = listFixings(db, range);
    if (csv) return untyped(await streamResponse(c, fixingsCsv(views), CSV_TYPE));
    return untyped(await streamResponse(c, jsonList(views, (v) => fixingJson(v, signer)), JSON_TYPE));
  });
}
