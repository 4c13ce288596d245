// GET /v1/sources/{name}/runs: a collector source's runs, newest first, each with the
// registry entries it skipped and why (operations-and-users.md section 4).
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../../deps.ts";
import { CiyuanError } from "../../../../errors.ts";
import { exact } from "../../../json.ts";
import { jsonResponse, untyped } from "../../../respond.ts";
import { ERROR_RESPONSES, ErrorBody } from "../../../schemas.ts";
import { sourceRuns, type SourceRunView } from "../../../read/source-runs.ts";

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

const SkippedEntry = z
  .object({
    provider: z.string().describe("our provider name (the source's `providers` mapping)"),
    model: z.string().describe("the model name: the registry key without its provider prefix"),
    reason: z.string().describe("why the entry cannot be a price"),
  })
  .openapi("SkippedEntry");

export const SourceRun = z
  .object({
    started_at: z.string().describe("ISO 8601 UTC: the collection time"),
    finished_at: z.string().describe("ISO 8601 UTC: when the run was recorded"),
    outcome: z.enum(["ok", "not_modified", "failed"]),
    detail: z.string().nullable().describe("what was stored (`2 sheets, 3 skipped`), or the failure reason"),
    payload_id: z.number().int().nullable().describe("the stored body the run read; null when nothing was fetched"),
    skipped: z.array(SkippedEntry).describe("registry entries that could not be prices (zero or missing placeholder, not chat, unparsable); empty when none"),
  })
  .openapi("SourceRun");

export const SourceRunList = z.object({ data: z.array(SourceRun).describe("newest first") }).openapi("SourceRunList");

const EXAMPLE: z.infer<typeof SourceRunList> = {
  data: [
    {
      started_at: "2026-10-01T08:00:00.000Z",
      finished_at: "2026-10-01T08:00:01.482Z",
      outcome: "ok",
      detail: "1 sheet, 2 unchanged, 2 skipped",
      payload_id: 1042,
      skipped: [
        { provider: "volcengine", model: "deepseek-v3-2-251201", reason: "input_cost_per_token is 0: a placeholder, not a price" },
        { provider: "volcengine", model: "doubao-embedding", reason: 'mode "embedding": not a chat or completion model' },
      ],
    },
    { started_at: "2026-10-01T07:00:00.000Z", finished_at: "2026-10-01T07:00:05.010Z", outcome: "failed", detail: "HTTP 503", payload_id: null, skipped: [] },
  ],
};

const Name = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "not a source name (letters, digits, '.', '_' or '-')")
  .openapi({ param: { name: "name", in: "path" }, example: "litellm", description: "the source's `name` in the sources configuration" });

const Limit = z
  .string()
  .regex(/^[1-9]\d{0,8}$/, "not a positive integer")
  .refine((s) => Number(s) <= MAX_LIMIT, `at most ${MAX_LIMIT}`)
  .openapi({ param: { name: "limit", in: "query" }, example: "50", description: `how many runs, newest first (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT})` });

export const route = createRoute({
  method: "get",
  path: "/v1/sources/{name}/runs",
  summary: "A collector source's runs, newest first, with the registry entries each skipped",
  description:
    "Each run: `started_at`, `finished_at`, `outcome` (`ok`, `not_modified`, `failed`), `detail`, `payload_id` and " +
    "`skipped`: the registry entries of mapped providers that could not be prices (a zero or missing placeholder, " +
    "a model that is not chat, an unparsable price), each with its reason; the provider's other models were stored. " +
    "404 for a source that never ran.",
  request: {
    params: z.object({ name: Name }),
    query: z.object({ limit: Limit.optional() }),
  },
  responses: {
    200: { content: { "application/json": { schema: SourceRunList, example: EXAMPLE } }, description: "the runs, newest first" },
    ...ERROR_RESPONSES,
    404: { content: { "application/json": { schema: ErrorBody } }, description: "no run of that source on record (or an unknown route)" },
  },
});

function runJson(r: SourceRunView): object {
  return {
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    outcome: r.outcome,
    detail: r.detail,
    payload_id: exact(r.payloadId),
    skipped: r.skipped,
  };
}

export function register(app: OpenAPIHono, { db }: AppDeps): void {
  app.openapi(route, async (c) => {
    const { name } = c.req.valid("param");
    const { limit } = c.req.valid("query");
    const runs = await sourceRuns(db, name, limit === undefined ? DEFAULT_LIMIT : Number(limit));
    if (runs.length === 0) throw new CiyuanError("not_found", `source ${name} never ran`);
    return untyped(jsonResponse(c, { data: runs.map(runJson) }));
  });
}
