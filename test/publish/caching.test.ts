import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rows } from "../../src/db/index.ts";
import { signFixing } from "../../src/engine/seal.ts";
import { importFx, importPrices } from "../../src/normalise/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { serveForTest, testSigner, type TestServer } from "../support/serve.ts";
import { insertFixing } from "./fixtures.ts";
import { get } from "./http.ts";
import { seedHistory } from "./seed.ts";

const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "public, no-cache";
const STRONG = /^"[A-Za-z0-9_-]{43}"$/;

const sha256Tag = (text: string) => `"${createHash("sha256").update(text, "utf8").digest("base64url")}"`;

async function sendIfNoneMatch(url: string, etag: string, headers: Record<string, string> = {}, method = "GET") {
  const res = await fetch(url, { method, headers: { "If-None-Match": etag, ...headers } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describeEachEngine("publish: HTTP caching (ETag, If-None-Match, Cache-Control)", (ctx) => {
  let server: TestServer | undefined;
  const base = () => server!.url;

  beforeAll(async () => {
    await seedHistory(ctx.db);
    // 2026-09-29 revision 1 is signed as the engine signs at compute time; the others are not.
    const [signed] = await rows<{ id: string }>(
      ctx.db,
      sql`SELECT id::text AS id FROM fixings WHERE fixing_time = '2026-09-29T08:00:00Z' AND kind = 'final' AND revision = 1`,
    );
    await signFixing(ctx.db, signed!.id, testSigner);
    const sheet = `{"schema":"ciyuan.price-sheet/1","provider":"deepseek","country":"CN","as_of":"2026-09-01T00:00:00+08:00","currency":"USD","unit":"per_1m_tokens","models":[{"model":"deepseek-chat","input":0.28,"output":0.42}]}`;
    await importPrices(ctx.db, { location: "deepseek.json", text: sheet });
    await importFx(ctx.db, { location: "fx.csv", text: "currency,cny_per_unit,as_of\nUSD,7.1,2026-08-01T00:00:00Z\n" });
    server = await serveForTest(ctx.database);
  });
  afterAll(async () => {
    await server?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });

  describe("every GET sends a strong ETag: the hash of the exact body for a small answer", () => {
    it("is the SHA-256 (base64url) of the body bytes, the same on every request", async () => {
      for (const path of ["/v1/indices", "/v1/indices/CTPI/latest", "/v1/indices/CTPI/fixings/2026-09-29T08:00:00Z", "/v1/indices/CTPI/fixings/2026-09-30T08:00:00Z/revisions", "/v1/models"]) {
        const r = await get(`${base()}${path}`);
        expect(r.status, path).toBe(200);
        expect(r.headers.get("etag"), path).toMatch(STRONG);
        expect(r.headers.get("etag"), path).toBe(sha256Tag(r.text));
        expect((await get(`${base()}${path}`)).headers.get("etag"), path).toBe(r.headers.get("etag"));
      }
    });

    it("CSV and JSON of the same URL have different ETags", async () => {
      for (const path of ["/v1/indices/CTPI/fixings/2026-09-29T08:00:00Z", "/v1/indices/CTPI/fixings", "/v1/models/deepseek/deepseek-chat/prices"]) {
        const json = await get(`${base()}${path}`);
        const csv = await get(`${base()}${path}`, { Accept: "text/csv" });
        expect(csv.headers.get("etag"), path).not.toBe(json.headers.get("etag"));
        expect(csv.headers.get("vary"), path).toMatch(/Accept/);
        expect(json.headers.get("vary"), path).toMatch(/Accept/);
      }
    });

    it("CORS still exposes the ETag to browsers", async () => {
      const r = await get(`${base()}/v1/indices`, { Origin: "https://example.org" });
      expect(r.headers.get("access-control-allow-origin")).toBe("*");
      expect(r.headers.get("access-control-expose-headers")).toMatch(/ETag/i);
    });
  });

  describe("If-None-Match with the current ETag is answered 304 with no body", () => {
    it("answers 304, no body, keeping ETag, Cache-Control, Vary and CORS", async () => {
      for (const path of ["/v1/indices", "/v1/indices/CTPI/fixings/2026-09-29T08:00:00Z?revision=1", "/v1/indices/CTPI/fixings", "/v1/models/deepseek/deepseek-chat/prices?format=csv"]) {
        const first = await get(`${base()}${path}`);
        const etag = first.headers.get("etag")!;
        const again = await sendIfNoneMatch(`${base()}${path}`, etag, { Origin: "https://example.org" });
        expect(again.status, path).toBe(304);
        expect(again.text, path).toBe("");
        expect(again.headers.get("etag"), path).toBe(etag);
        expect(again.headers.get("cache-control"), path).toBe(first.headers.get("cache-control"));
        expect(again.headers.get("access-control-allow-origin"), path).toBe("*");
        expect(again.headers.get("content-type"), path).toBeNull();
      }
    });

    it("compares weakly, takes a list, and * matches; another ETag gets the full 200", async () => {
      const url = `${base()}/v1/indices/CTPI/latest`;
      const etag = (await get(url)).headers.get("etag")!;
      expect((await sendIfNoneMatch(url, `W/${etag}`)).status).toBe(304);
      expect((await sendIfNoneMatch(url, `"old", ${etag}`)).status).toBe(304);
      expect((await sendIfNoneMatch(url, "*")).status).toBe(304);
      const other = await sendIfNoneMatch(url, `"not-this-one"`);
      expect(other.status).toBe(200);
      expect(other.text).toMatch(/^\{"index":"CTPI"/);
    });

    it("answers a HEAD with If-None-Match 304 too", async () => {
      const url = `${base()}/v1/indices`;
      const etag = (await get(url)).headers.get("etag")!;
      expect((await sendIfNoneMatch(url, etag, {}, "HEAD")).status).toBe(304);
    });

    it("the ETag of a streamed range is the same whether or not the body is sent, and matches JSON or CSV only", async () => {
      const url = `${base()}/v1/indices/CTPI/fixings?from=2026-09-29`;
      const json = await get(url);
      const csv = await get(url, { Accept: "text/csv" });
      expect(json.headers.get("etag")).toMatch(STRONG);
      expect((await sendIfNoneMatch(url, json.headers.get("etag")!)).status).toBe(304);
      expect((await sendIfNoneMatch(url, json.headers.get("etag")!, { Accept: "text/csv" })).status).toBe(200);
      expect((await sendIfNoneMatch(url, csv.headers.get("etag")!, { Accept: "text/csv" })).status).toBe(304);
    });
  });

  describe("a new revision, fixing, sheet or FX rate changes the ETag of what it changes", () => {
    it("a restatement changes the range's, the revisions' and the latest fixing's ETag", async () => {
      const database = await ctx.fresh();
      await insertFixing(database.db, { index: "CTPI", fixingTime: "2026-09-29T08:00:00Z", value: "2.5", level: "1000", computedAt: "2026-09-29T08:00:01Z" });
      const running = await serveForTest(database);
      try {
        const paths = ["/v1/indices/CTPI/fixings", "/v1/indices/CTPI/fixings?format=csv", "/v1/indices/CTPI/fixings/2026-09-29T08:00:00Z/revisions", "/v1/indices/CTPI/fixings/2026-09-29T08:00:00Z"];
        const before = await Promise.all(paths.map(async (p) => (await get(`${running.url}${p}`)).headers.get("etag")!));
        await insertFixing(database.db, { index: "CTPI", fixingTime: "2026-09-29T08:00:00Z", revision: 2, value: "2.6", level: "1040", computedAt: "2026-09-30T08:00:01Z", reason: "late usage" });
        for (const [i, p] of paths.entries()) {
          const r = await sendIfNoneMatch(`${running.url}${p}`, before[i]!);
          expect(r.status, p).toBe(200);
          expect(r.headers.get("etag"), p).not.toBe(before[i]);
        }
        // Revision 1 itself has not changed.
        const one = `${running.url}/v1/indices/CTPI/fixings/2026-09-29T08:00:00Z?revision=1`;
        const etag = (await get(one)).headers.get("etag")!;
        await insertFixing(database.db, { index: "CTPI", fixingTime: "2026-09-30T08:00:00Z", value: "2.7", level: "1080", computedAt: "2026-09-30T08:00:01Z" });
        expect((await sendIfNoneMatch(one, etag)).status).toBe(304);
        expect(running.unexpected).toEqual([]);
      } finally {
        await running.close();
      }
    });

    it("a new sheet listing the model, or a new FX rate, changes the price history's ETag", async () => {
      const database = await ctx.fresh();
      const sheet = (asOf: string, input: string) =>
        `{"schema":"ciyuan.price-sheet/1","provider":"deepseek","country":"CN","as_of":"${asOf}","currency":"USD","unit":"per_1m_tokens","models":[{"model":"deepseek-chat","input":${input},"output":0.42}]}`;
      await importPrices(database.db, { location: "a.json", text: sheet("2026-09-01T00:00:00+08:00", "0.28") });
      const running = await serveForTest(database);
      try {
        const url = `${running.url}/v1/models/deepseek/deepseek-chat/prices`;
        const first = await get(url);
        expect(first.json.data[0].input).toBeNull(); // no USD rate yet
        await importFx(database.db, { location: "fx.csv", text: "currency,cny_per_unit,as_of\nUSD,7.1,2026-08-01T00:00:00Z\n" });
        const withFx = await sendIfNoneMatch(url, first.headers.get("etag")!);
        expect(withFx.status).toBe(200);
        expect(withFx.text).toContain(`"input":1.988000`);
        const etag = withFx.headers.get("etag")!;
        expect((await sendIfNoneMatch(url, etag)).status).toBe(304);
        await importPrices(database.db, { location: "b.json", text: sheet("2026-09-10T00:00:00+08:00", "0.3") });
        const later = await sendIfNoneMatch(url, etag);
        expect(later.status).toBe(200);
        expect(JSON.parse(later.text).data).toHaveLength(2);
      } finally {
        await running.close();
      }
    });
  });

  describe("Cache-Control: only a final fixing's explicit revision is immutable", () => {
    const cacheControl = async (path: string, headers: Record<string, string> = {}) =>
      (await get(`${base()}${path}`, headers)).headers.get("cache-control");

    it("a final fixing at ?revision=N with its stored signature is public, max-age=31536000, immutable (JSON and CSV)", async () => {
      expect(await cacheControl("/v1/indices/CTPI/fixings/2026-09-29T08:00:00Z?revision=1")).toBe(IMMUTABLE);
      expect(await cacheControl("/v1/indices/CTPI/fixings/2026-09-29T08:00:00Z?revision=1&format=csv")).toBe(IMMUTABLE);
    });

    it("the latest revision (no ?revision), an ?as_of, an indicative or an unsigned revision must be revalidated", async () => {
      expect(await cacheControl("/v1/indices/CTPI/fixings/2026-09-29T08:00:00Z")).toBe(REVALIDATE);
      expect(await cacheControl("/v1/indices/CTPI/fixings/2026-09-29T08:00:00Z?as_of=2026-10-01T00:00:00Z")).toBe(REVALIDATE);
      expect(await cacheControl("/v1/indices/CTPI/fixings/2026-10-01T09:15:00Z?kind=indicative&revision=1")).toBe(REVALIDATE);
      // Signed on the fly by the service's key: the body would change with the key.
      expect(await cacheControl("/v1/indices/CTPI/fixings/2026-09-30T08:00:00Z?revision=1")).toBe(REVALIDATE);
    });

    it("lists, latest values, revisions and price histories must be revalidated", async () => {
      for (const path of ["/v1/indices", "/v1/indices/CTPI/latest", "/v1/indices/CTPI/fixings", "/v1/indices/CTPI/fixings?format=csv", "/v1/indices/CTPI/fixings/2026-09-30T08:00:00Z/revisions", "/v1/models", "/v1/models/deepseek/deepseek-chat/prices"]) {
        expect(await cacheControl(path), path).toBe(REVALIDATE);
      }
    });

    it("errors are no-store and carry no ETag", async () => {
      for (const path of ["/v1/indices/NOPE/latest", "/v1/indices/CTPI/fixings/2030-01-01T08:00:00Z", "/v1/indices/CTPI/fixings?from=soon", "/v1/models/deepseek/nope/prices", "/no/such/route"]) {
        const r = await get(`${base()}${path}`);
        expect(r.status, path).toBeGreaterThanOrEqual(400);
        expect(r.headers.get("cache-control"), path).toBe("no-store");
        expect(r.headers.get("etag"), path).toBeNull();
      }
    });

    it("an answer to a request with Authorization is never public", async () => {
      expect(await cacheControl("/v1/indices", { Authorization: "Bearer someone" })).toBe("no-store");
    });
  });
});
