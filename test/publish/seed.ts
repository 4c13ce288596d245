/**
 * The published history the HTTP tests read, and a real server on 127.0.0.1 over it.
 *
 * CTPI finals: 2026-09-29 (ok), 2026-09-30 (ok, restated as revision 2), 2026-10-01
 * (insufficient, carrying 09-30 revision 2); one indicative at 2026-10-01T09:15Z.
 * CTPI-IN and CTPI-OUT have no fixings yet.
 */
import { afterAll, beforeAll, expect } from "vitest";
import type { Database, Db } from "../../src/db/index.ts";
import { serveForTest, type TestServer } from "../support/serve.ts";
import { insertFixing } from "./fixtures.ts";

export const BIG_TOKENS = "18014398509481986"; // 2^54 + 2: not representable as a JS number

export async function seedHistory(db: Db): Promise<void> {
  await insertFixing(db, {
    index: "CTPI",
    fixingTime: "2026-09-29T08:00:00Z",
    value: "2.345000",
    level: "1000.000000",
    p25: "1.1",
    p50: "2.000000",
    p75: "3.250000",
    computedAt: "2026-09-29T08:00:05.123456Z",
    constituents: [
      { provider: "deepseek", model: "deepseek-chat", weight: "0.25", price: "2.0000005", inputPrice: "1.0000015", outputPrice: "3", inputTokens: BIG_TOKENS, cachedInputTokens: "9007199254740993", outputTokens: "5", capped: true, sheetId: "11" },
      { provider: "moonshot", model: "kimi-k2", weight: "0.25", price: "4.5", outputTokens: "7", capped: true, held: ["input", "output"], sheetId: "12" },
      { provider: "zhipu", model: "glm-4.5", weight: "0.123456785", price: "1.25", sheetId: "13" },
      { provider: "alibaba", model: "qwen-max", weight: "0.376543215", price: "2.5", sheetId: "14" },
    ],
    exclusions: [
      { provider: "openai", model: "gpt-5", reason: "not_in_universe" },
      { provider: "baidu", model: "ernie-4", reason: "no_volume" },
    ],
  });
  await insertFixing(db, {
    index: "CTPI",
    fixingTime: "2026-09-30T08:00:00Z",
    value: "2.400000",
    level: "1010.000000",
    p25: "1.000000",
    p50: "2.000000",
    p75: "3.000000",
    computedAt: "2026-09-30T08:00:01Z",
    constituents: [{ provider: "deepseek", model: "deepseek-chat", weight: "1", price: "2.4" }],
  });
  const restated = await insertFixing(db, {
    index: "CTPI",
    fixingTime: "2026-09-30T08:00:00Z",
    revision: 2,
    value: "2.410000",
    level: "1012.500000",
    p25: "1.000000",
    p50: "2.000000",
    p75: "3.000000",
    computedAt: "2026-10-02T09:00:00.654321Z",
    reason: '=HYPERLINK("http://evil.example") late usage, "quoted"',
    constituents: [{ provider: "deepseek", model: "deepseek-chat", weight: "1", price: "2.41" }],
  });
  await insertFixing(db, {
    index: "CTPI",
    fixingTime: "2026-10-01T08:00:00Z",
    status: "insufficient",
    value: "2.410000",
    level: "1012.500000",
    p25: null,
    p50: null,
    p75: null,
    computedAt: "2026-10-01T08:00:02Z",
    reason: "-5% providers left",
    carriedFromId: restated,
    constituents: [{ provider: "deepseek", model: "deepseek-chat", weight: "1", price: "2.5" }],
  });
  await insertFixing(db, {
    index: "CTPI",
    fixingTime: "2026-10-01T09:15:00Z",
    kind: "indicative",
    value: "2.500000",
    level: "1013.000000",
    computedAt: "2026-10-01T09:15:01Z",
  });
}

/** Seeds the suite's database and serves it for the suite; `base()` is the server URL. */
export function servedHistory(ctx: { readonly db: Db; readonly database: Database }): { base(): string } {
  let server: TestServer | undefined;
  beforeAll(async () => {
    await seedHistory(ctx.db);
    server = await serveForTest(ctx.database);
  });
  afterAll(async () => {
    await server?.close();
    // No request of the suite may have ended in an unexpected (500) failure.
    expect(server?.unexpected ?? []).toEqual([]);
  });
  return {
    base() {
      if (!server) throw new Error("server not started");
      return server.url;
    },
  };
}
