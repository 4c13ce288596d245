/**
 * Where the numbers come from (operations-and-users.md section 4): every fixing says
 * data_origin (sample when any input it read is sample data, else real), each constituent
 * the origin kinds of its window's usage and whether any was estimated, and the fixing its
 * coverage: the window's tokens by origin kind and the listed providers without usage.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { rows } from "../../src/db/index.ts";
import { computeFixing } from "../../src/engine/index.ts";
import { fixingJson, toJson } from "../../src/publish/json.ts";
import { loadFixing } from "../../src/publish/read/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addSheet, addUsage, day } from "../support/seed.ts";
import { T, seedBasket } from "./fixture.ts";

describeEachEngine("data_origin, origins and coverage", (ctx) => {
  const published = async (db: Parameters<typeof loadFixing>[0]) => {
    const view = await loadFixing(db, { index: "CTPI", kind: "final", details: true });
    return JSON.parse(toJson(fixingJson(view!))) as {
      data_origin: string;
      coverage: { tokens: Record<string, number>; shares: Record<string, number>; total_tokens: number; providers_without_usage: string[] };
      constituents: { provider: string; model: string; origins: string[]; estimated: boolean }[];
    };
  };

  it("a fixing of files only is real; its coverage is all file, shares exact", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const f = await published(db);
    expect(f.data_origin).toBe("real");
    expect(f.coverage.shares).toEqual({ contributor: 0, proxy: 0, collector: 0, file: 1, sample: 0 });
    // 9e9+5e9 ... : every constituent's input + output tokens
    expect(f.coverage.total_tokens).toBe(9e9 + 1e9 + 2e9 + 5e8 + 1e9 + 3e8 + 8e8 + 2e8 + 5e8 + 1e8);
    expect(f.constituents.every((c) => c.origins.join() === "file" && c.estimated === false)).toBe(true);
  });

  it("one sample record in the window makes the fixing sample; the constituent names both kinds", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    await addUsage(db, day("moonshot", "k2", "2026-09-30T08:00:00Z", "1000", "0"), { origin: "sample" });
    await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const f = await published(db);
    expect(f.data_origin).toBe("sample");
    expect(f.constituents.find((c) => c.model === "k2")).toMatchObject({ origins: ["file", "sample"], estimated: false });
    const [stored] = await rows<{ data_origin: string }>(db, sql`SELECT data_origin FROM fixings`);
    expect(stored!.data_origin).toBe("sample");
  });

  it("a sample price sheet in force makes the fixing sample too", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    // a newer sheet of moonshot from the sample: in force at T, so read by the fixing
    await addSheet(db, { provider: "moonshot", as_of: "2026-09-02T00:00:00Z", models: [{ model: "k2", input: "4", cached_input: "1", output: "16" }] }, "sample");
    await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const f = await published(db);
    expect(f.data_origin).toBe("sample");
    // its usage is still all from files
    expect(f.constituents.find((c) => c.model === "k2")!.origins).toEqual(["file"]);
  });

  it("contributor, proxy and collector volumes are told apart; a proxy's estimated split says estimated", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    await addUsage(db, day("deepseek", "reasoner", "2026-09-29T08:00:00Z", "100", "0"), { origin: "contributor:acme" });
    await addUsage(db, day("zhipu", "glm", "2026-09-29T08:00:00Z", "90", "10"), { origin: "collector:openrouter-weekly", proxy: true, estimated: true });
    await addUsage(db, day("zhipu", "glm-air", "2026-09-29T08:00:00Z", "7", "3"), { origin: "collector:usage-feed" });
    await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const f = await published(db);
    expect(f.data_origin).toBe("real");
    const by = (m: string) => f.constituents.find((c) => c.model === m)!;
    expect(by("reasoner")).toMatchObject({ origins: ["contributor", "file"], estimated: false });
    expect(by("glm")).toMatchObject({ origins: ["file", "proxy"], estimated: true });
    expect(by("glm-air")).toMatchObject({ origins: ["collector", "file"], estimated: false });
    expect(f.coverage.tokens).toMatchObject({ contributor: 100, proxy: 100, collector: 10 });
    // Each share is the exact ratio rounded once, half-even (stored text, no float between).
    const [stored] = await rows<{ coverage: { tokens: Record<string, string>; shares: Record<string, string>; total: string } }>(
      db,
      sql`SELECT coverage FROM fixings`,
    );
    const { tokens, shares, total } = stored!.coverage;
    expect(BigInt(total)).toBe(Object.values(tokens).reduce((a, t) => a + BigInt(t), 0n));
    for (const kind of Object.keys(tokens)) expect(shares[kind]).toBe(halfEven(BigInt(tokens[kind]!), BigInt(total), 6));
  });

  it("a listed provider without any usage in the window is named", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    await addSheet(db, { provider: "baidu", as_of: "2026-09-02T00:00:00Z", models: [{ model: "ernie", input: "1", output: "2" }] });
    await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    expect((await published(db)).coverage.providers_without_usage).toEqual(["baidu"]);
  });
});

/** The test's own exact reference: num / den rounded half-even to `places` decimals. */
function halfEven(num: bigint, den: bigint, places: number): string {
  const scaled = num * 10n ** BigInt(places);
  const q = scaled / den;
  const r = scaled % den;
  const n = (q + (r * 2n > den || (r * 2n === den && q % 2n === 1n) ? 1n : 0n)).toString().padStart(places + 1, "0");
  return `${n.slice(0, -places)}.${n.slice(-places)}`;
}

describe("halfEven, the reference of the shares", () => {
  it("rounds ties to even", () => {
    expect([halfEven(1n, 8n, 2), halfEven(3n, 8n, 2), halfEven(1n, 3n, 6), halfEven(2n, 3n, 6), halfEven(5n, 5n, 6)]).toEqual([
      "0.12", "0.38", "0.333333", "0.666667", "1.000000",
    ]);
  });
});
