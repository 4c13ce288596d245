// GET /v1/indices/{code}/fixings/{fixing_time}: one fixing with its constituents and
// exclusions; the latest revision, or ?revision=N, or the one current ?as_of=ISO. As CSV
// (one table per answer): its constituents, or with ?table=exclusions its exclusions.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../../deps.ts";
import { CiyuanError } from "../../../../errors.ts";
import { cacheControl, IMMUTABLE } from "../../../caching.ts";
import { fixingTableCsv } from "../../../csv-tables.ts";
import { fixingJson } from "../../../json.ts";
import { wantsCsv } from "../../../negotiate.ts";
import { Format, IndexCode, Instant, Kind, Revision } from "../../../params.ts";
import { CSV_TYPE, jsonResponse, textResponse, untyped } from "../../../respond.ts";
import { ERROR_RESPONSES, FixingWithDetails } from "../../../schemas.ts";
import { loadFixing, requireIndex } from "../../../read/index.ts";

export const route = createRoute({
  method: "get",
  path: "/v1/indices/{code}/fixings/{fixing_time}",
  summary: "One fixing with its constituents and exclusions",
  description:
    "The latest revision; `?revision=N` for revision N, `?as_of=ISO` for the revision current at that moment. " +
    "CSV with `Accept: text/csv` or `?format=csv`: the constituents, or with `table=exclusions` the exclusions. " +
    "A final fixing at an explicit revision never changes and is sent as immutable.",
  request: {
    params: z.object({
      code: IndexCode,
      fixing_time: Instant.openapi({ param: { name: "fixing_time", in: "path" }, example: "2026-10-01T08:00:00Z" }),
    }),
    query: z.object({
      revision: Revision.optional(),
      as_of: Instant.optional(),
      kind: Kind.optional(),
      format: Format.optional(),
      table: z.enum(["constituents", "exclusions"]).optional().openapi({ description: "which table a CSV answer holds" }),
    }),
  },
  responses: {
    200: {
      content: { "application/json": { schema: FixingWithDetails }, "text/csv": { schema: z.string() } },
      description: "the fixing",
    },
    ...ERROR_RESPONSES,
  },
});

export function register(app: OpenAPIHono, { db, signer }: AppDeps): void {
  app.openapi(route, async (c) => {
    const { code, fixing_time: fixingTime } = c.req.valid("param");
    const { revision, as_of: asOf, kind = "final", format, table = "constituents" } = c.req.valid("query");
    if (revision !== undefined && asOf !== undefined) {
      throw new CiyuanError("bad_request", "give revision or as_of, not both");
    }
    await requireIndex(db, code);
    const view = await loadFixing(db, {
      index: code,
      kind,
      fixingTime,
      revision: revision === undefined ? undefined : Number(revision),
      asOf,
      details: true,
    });
    if (!view) {
      const which = revision !== undefined ? ` revision ${revision}` : asOf !== undefined ? ` as of ${asOf}` : "";
      throw new CiyuanError("not_found", `no ${kind} fixing of ${code} at ${fixingTime}${which}`);
    }
    // Only a pinned revision is immutable: the latest can still be restated, and a fixing
    // signed on the fly (no stored signature) would change with the key.
    if (revision !== undefined && kind === "final" && view.signature) cacheControl(c, IMMUTABLE);
    if (wantsCsv(c, format)) return untyped(textResponse(c, fixingTableCsv(view, table), CSV_TYPE));
    return untyped(jsonResponse(c, fixingJson(view, signer)));
  });
}
