// GET /v1/sources/{name}/runs (operations-and-users.md section 4): a collector source's
// runs, newest first, each with the registry entries it skipped and why; ?limit= (default
// 50, at most 500); 404 for a source that never ran; in the OpenAPI document.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { recordRawPayload, recordRun } from "../../src/collect/record.ts";
import type { Db } from "../../src/db/index.ts";
import { SourceRunList } from "../../src/publish/routes/v1/sources/runs.ts";
import { describeEachEngine } from "../support/engines.ts";
import { serveForTest, type TestServer } from "../support/serve.ts";
import { get } from "./http.ts";

const SKIPPED = [
  { provider: "volcengine", model: "glm-4-7-251222", reason: "input_cost_per_token is 0: a placeholder, not a price" },
  { provider: "volcengine", model: "doubao-embedding", reason: 'mode "embedding": not a chat or completion model' },
];

/** Runs as the collector records them (src/collect/record.ts), oldest first. */
async function seedRuns(db: Db): Promise<string> {
  const body = Buffer.from('{"acme/x": {}}');
  const payloadId = await recordRawPayload(db, {
    kind: "prices",
    source: "litellm",
    url: "http://127.0.0.1/registry.json",
    sha256: createHash("sha256").update(body).digest("hex"),
    body,
  });
  const run = (startedAt: string, outcome: "ok" | "not_modified" | "failed", detail: string, withPayload: boolean, skipped?: typeof SKIPPED) =>
    recordRun(db, { source: "litellm", kind: "litellm", startedAt: new Date(startedAt), outcome, detail, payloadId: withPayload ? payloadId : null, skipped });
  await run("2026-10-01T06:00:00Z", "ok", "1 sheet", true);
  await run("2026-10-01T07:00:00Z", "failed", "HTTP 503", false);
  await run("2026-10-01T08:00:00Z", "ok", "1 sheet, 2 skipped", true, SKIPPED);
  await recordRun(db, { source: "ecb", kind: "ecb", startedAt: new Date("2026-10-01T08:00:00Z"), outcome: "ok", detail: "29 rates", payloadId: null });
  for (let i = 0; i < 51; i++) {
    await recordRun(db, { source: "busy", kind: "fx", startedAt: new Date(Date.parse("2026-10-01T00:00:00Z") + i * 60_000), outcome: "ok", detail: `run ${i}`, payloadId: null });
  }
  return payloadId;
}

describeEachEngine("GET /v1/sources/{name}/runs: a source's runs, newest first, with the entries each skipped", (ctx) => {
  let server: TestServer;
  let payloadId: string;
  const url = (path: string) => `${server.url}${path}`;
  beforeAll(async () => {
    payloadId = await seedRuns(ctx.db);
    server = await serveForTest(ctx.database);
  });
  afterAll(async () => {
    await server?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });

  it("lists the runs newest first, with started_at, finished_at, outcome, detail, payload_id and skipped (empty when none)", async () => {
    const res = await get(url("/v1/sources/litellm/runs"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    // The schema that defines the response in the OpenAPI document validates it.
    const body = SourceRunList.parse(JSON.parse(res.text));
    expect(body.data.map((r) => [r.started_at, r.outcome, r.detail, r.payload_id, r.skipped])).toEqual([
      ["2026-10-01T08:00:00Z", "ok", "1 sheet, 2 skipped", Number(payloadId), SKIPPED],
      ["2026-10-01T07:00:00Z", "failed", "HTTP 503", null, []],
      ["2026-10-01T06:00:00Z", "ok", "1 sheet", Number(payloadId), []],
    ]);
    for (const r of body.data) {
      expect(r.finished_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    }
    const finished = body.data.map((r) => Date.parse(r.finished_at));
    expect([...finished].sort((a, b) => b - a)).toEqual(finished);
  });

  it("only that source's runs", async () => {
    const res = await get(url("/v1/sources/ecb/runs"));
    expect(res.status).toBe(200);
    expect(SourceRunList.parse(JSON.parse(res.text)).data.map((r) => r.detail)).toEqual(["29 rates"]);
  });

  it("?limit=N gives the N newest; without it, 50", async () => {
    const two = SourceRunList.parse(JSON.parse((await get(url("/v1/sources/litellm/runs?limit=2"))).text));
    expect(two.data.map((r) => r.detail)).toEqual(["1 sheet, 2 skipped", "HTTP 503"]);
    const busy = SourceRunList.parse(JSON.parse((await get(url("/v1/sources/busy/runs"))).text));
    expect(busy.data).toHaveLength(50);
    expect(busy.data[0]!.detail).toBe("run 50");
    expect(busy.data.at(-1)!.detail).toBe("run 1");
    const most = SourceRunList.parse(JSON.parse((await get(url("/v1/sources/busy/runs?limit=500"))).text));
    expect(most.data).toHaveLength(51);
  });

  it("a bad limit is a 400 with the error shape", async () => {
    for (const limit of ["0", "501", "-1", "1.5", "abc", "", "99999999999"]) {
      const res = await get(url(`/v1/sources/litellm/runs?limit=${encodeURIComponent(limit)}`));
      expect(res.status, limit).toBe(400);
      expect(res.json, limit).toEqual({ error: { code: "bad_request", message: expect.stringMatching(/^limit: /) } });
    }
  });

  it("a source that never ran is a 404 with the error shape; a name no source can have is a 400", async () => {
    const res = await get(url("/v1/sources/nobody/runs"));
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ error: { code: "not_found", message: "source nobody never ran" } });
    const bad = await get(url("/v1/sources/%20bad%00/runs"));
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: { code: "bad_request", message: expect.stringMatching(/^name: /) } });
  });

  it("is a GET like the others: CORS for any origin, an ETag, and a 304 on If-None-Match", async () => {
    const first = await get(url("/v1/sources/litellm/runs"));
    expect(first.headers.get("access-control-allow-origin")).toBe("*");
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[^"]+"$/);
    const again = await get(url("/v1/sources/litellm/runs"), { "If-None-Match": etag });
    expect(again.status).toBe(304);
    const missing = await get(url("/v1/sources/nobody/runs"));
    expect(missing.headers.get("access-control-allow-origin")).toBe("*");
    expect(missing.headers.get("cache-control")).toBe("no-store");
  });

  it("is in /openapi.json with its parameters, its example and its 400 and 404", async () => {
    const doc = (await get(url("/openapi.json"))).json as { paths: Record<string, Record<string, any>> };
    const op = doc.paths["/v1/sources/{name}/runs"]?.get;
    expect(op).toBeDefined();
    expect(op.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`).sort()).toEqual(["path:name", "query:limit"]);
    const ok = op.responses["200"].content["application/json"];
    expect(ok.schema).toEqual({ $ref: "#/components/schemas/SourceRunList" });
    // The example is itself a valid answer.
    expect(() => SourceRunList.parse(JSON.parse(JSON.stringify(ok.example)))).not.toThrow();
    expect(ok.example.data[0].skipped.length).toBeGreaterThan(0);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["200", "400", "404"]));
  });
});
