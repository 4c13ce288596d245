// GET /v1/indices/{code}/fixings?from=&to=: final fixings in a range, oldest first, as
// JSON or CSV, streamed.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { accepts } from "hono/accepts";
import type { AppDeps } from "../../../deps.ts";
import { CiyuanError } from "../../../../errors.ts";
import { fixingsCsv } from "../../../csv.ts";
import { epochMillis, isDateOnly } from "../../../instants.ts";
import { fixingJson } from "../../../json.ts";
import { DateOrInstant, Format, IndexCode } from "../../../params.ts";
import { CSV_TYPE, JSON_TYPE, jsonList, streamResponse, untyped } from "../../../respond.ts";
import { ERROR_RESPONSES, FixingList } from "../../../schemas.ts";
import { listFixings, requireIndex } from "../../../views.ts";

export const route = createRoute({
  method: "get",
  path: "/v1/indices/{code}/fixings",
  summary: "Final fixings in a range, oldest first, latest revision of each",
  description:
    "`from` and `to` are ISO 8601 dates or instants, both inclusive; a date `to` runs through the end of that day (UTC). " +
    "CSV with `Accept: text/csv` or `?format=csv`.",
  request: {
    params: z.object({ code: IndexCode }),
    query: z.object({ from: DateOrInstant.optional(), to: DateOrInstant.optional(), format: Format.optional() }),
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

function wantsCsv(c: Context, format: "json" | "csv" | undefined): boolean {
  if (format) return format === "csv";
  const chosen = accepts(c, { header: "Accept", supports: ["application/json", "text/csv"], default: "application/json" });
  return chosen === "text/csv";
}

// An empty range is a mistake worth naming, not an empty answer.
function checkOrder(from: string | undefined, to: string | undefined): void {
  if (from === undefined || to === undefined) return;
  const start = epochMillis(from);
  const empty = isDateOnly(to) ? start >= epochMillis(to) + 86_400_000 : start > epochMillis(to);
  if (empty) throw new CiyuanError("bad_request", `from (${from}) is after to (${to})`);
}

export function register(app: OpenAPIHono, { db, signer }: AppDeps): void {
  app.openapi(route, async (c) => {
    const { code } = c.req.valid("param");
    const { from, to, format } = c.req.valid("query");
    checkOrder(from, to);
    await requireIndex(db, code);
    const views = listFixings(db, { index: code, from, to, kind: "final" });
    if (wantsCsv(c, format)) return untyped(await streamResponse(c, fixingsCsv(views), CSV_TYPE));
    return untyped(await streamResponse(c, jsonList(views, (v) => fixingJson(v, signer)), JSON_TYPE));
  });
}
