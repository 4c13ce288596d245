// Operator routes (/v1/admin/...): off (404) without CIYUAN_ADMIN_TOKEN; with it, they need
// `Authorization: Bearer <token>`. Approve a held price; restate a final fixing.
import { sql } from "drizzle-orm";
import { LosslessNumber, parse } from "lossless-json";
import { afterAll, beforeAll, expect, it } from "vitest";
import { rows, type Database } from "../../src/db/index.ts";
import { computeFixing, heldPrices } from "../../src/engine/index.ts";
import { createApp } from "../../src/publish/app.ts";
import { fixingPayload, verifySignature } from "../../src/signing/index.ts";
import { at, seedBasket, T } from "../engine/fixture.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addSheet } from "../support/seed.ts";
import { serveForTest, testSigner, type TestServer } from "../support/serve.ts";
import { get } from "./http.ts";

const TOKEN = "admin-test-token-0123456789";
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const JSON_BODY = { "Content-Type": "application/json" };

// As in http.ts: small integers (revision, counts) as numbers, other numbers exact.
const keepExact = (t: string): unknown => (/^-?\d+$/.test(t) && Number.isSafeInteger(Number(t)) ? Number(t) : new LosslessNumber(t));

type Answer = { status: number; headers: Headers; text: string; json: any };

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, {
    method: "POST",
    headers: { ...JSON_BODY, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const json = (res.headers.get("content-type") ?? "").startsWith("application/json") ? parse(text, null, keepExact) : undefined;
  return { status: res.status, headers: res.headers, text, json };
}

/** Every admin route the app registers, with its path parameters filled in. */
function adminRoutes(database: Database): { method: string; path: string }[] {
  const app = createApp({
    db: database.db,
    signer: testSigner,
    events: { subscribe: () => () => {}, close: async () => {} },
    adminToken: TOKEN,
    log: () => {},
  });
  const seen = new Map<string, { method: string; path: string }>();
  for (const r of app.routes) {
    if (r.method === "ALL" || !r.path.startsWith("/v1/admin/")) continue;
    const path = r.path.replace(":code", "CTPI").replace(":fixing_time", T);
    seen.set(`${r.method} ${path}`, { method: r.method, path });
  }
  return [...seen.values()];
}

function serving(ctx: { readonly database: Database }, adminToken: string | undefined) {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await serveForTest(ctx.database, { adminToken });
  });
  afterAll(async () => {
    await server?.close();
    // No request of the suite may have ended in an unexpected (500) failure.
    expect(server?.unexpected ?? []).toEqual([]);
  });
  return () => server!.url;
}

const RESTATE_T = `/v1/admin/indices/CTPI/fixings/${T}/restate`;
/** A quarter hour after T: an indicative fixing time, not a final one. */
const INDICATIVE_T = new Date(Date.parse(T) + 15 * 60_000).toISOString().replace(".000Z", "Z");

describeEachEngine("Operator routes without CIYUAN_ADMIN_TOKEN are off: 404, as if absent", (ctx) => {
  const base = serving(ctx, undefined);

  it("every /v1/admin route answers exactly as an absent route does, token or not", async () => {
    const absent = await post(`${base()}/v1/admin/no-such-route`, {});
    expect(absent.status).toBe(404);
    const routes = adminRoutes(ctx.database);
    expect(routes.length).toBeGreaterThanOrEqual(2);
    for (const { method, path } of routes) {
      for (const headers of [{}, AUTH]) {
        const res = await fetch(`${base()}${path}`, { method, headers: { ...JSON_BODY, ...headers }, body: "{}" });
        expect(res.status, path).toBe(404);
        expect(await res.json()).toEqual({ error: { code: "not_found", message: `no such route: ${method} ${path}` } });
      }
    }
  });
});

describeEachEngine("Operator routes need Authorization: Bearer CIYUAN_ADMIN_TOKEN: 401 when missing or wrong", (ctx) => {
  const base = serving(ctx, TOKEN);

  it("every /v1/admin route refuses a request without a token (401, WWW-Authenticate: Bearer)", async () => {
    for (const { method, path } of adminRoutes(ctx.database)) {
      const res = await fetch(`${base()}${path}`, { method, headers: JSON_BODY, body: "{}" });
      expect(res.status, path).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect(await res.json()).toEqual({ error: { code: "unauthorized", message: "missing Authorization: Bearer token" } });
    }
  });

  it("a wrong token, a token of another length or another scheme is refused (401)", async () => {
    const wrong = [
      `Bearer ${TOKEN.slice(0, -1)}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Bearer ${TOKEN}${TOKEN}`,
      `Bearer ${TOKEN.toUpperCase()}`,
      `Basic ${Buffer.from(`admin:${TOKEN}`).toString("base64")}`,
      TOKEN,
      "Bearer",
      "Bearer ",
    ];
    for (const header of wrong) {
      const r = await post(`${base()}/v1/admin/prices/approve`, {}, { Authorization: header });
      expect(r.status, header).toBe(401);
      expect(r.json.error.code).toBe("unauthorized");
    }
  });

  it("a request without the token learns nothing about the body it sent (401 before validation)", async () => {
    expect((await post(`${base()}/v1/admin/prices/approve`, "{not json")).status).toBe(401);
    expect((await post(`${base()}${RESTATE_T}`, { reason: "" })).status).toBe(401);
  });

  it("the right token passes, the scheme name in any case", async () => {
    const r = await post(`${base()}/v1/admin/prices/approve`, {}, { Authorization: `bearer ${TOKEN}` });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("bad_request");
  });
});

describeEachEngine("POST /v1/admin/prices/approve: an operator approval releases a held price for fixings from then on", (ctx) => {
  const base = serving(ctx, TOKEN);
  // Whole seconds, so times come back from Postgres in the same text.
  const now = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace(".000Z", "Z");
  const start = at(now, -3);
  const heldSheetAsOf = at(start, 1);

  beforeAll(async () => {
    await seedBasket(ctx.db, start);
    // 4 -> 40: a move of more than 80 %, held.
    await addSheet(ctx.db, { provider: "moonshot", as_of: heldSheetAsOf, models: [{ model: "k2", input: "40", cached_input: "1", output: "16" }] });
  });

  it("approves the held price (201) and records the approval; later fixings no longer hold it", async () => {
    expect((await heldPrices(ctx.db, at(now, 1))).map((h) => [h.model, h.component])).toEqual([["k2", "input"]]);
    const asOfWithOffset = heldSheetAsOf.replace("Z", "+00:00");
    const r = await post(`${base()}/v1/admin/prices/approve`, { provider: "moonshot", model: "k2", as_of: asOfWithOffset }, AUTH);
    expect(r.status).toBe(201);
    expect(r.json).toEqual({
      approval_id: expect.stringMatching(/^\d+$/),
      provider: "moonshot",
      model: "k2",
      sheet_as_of: heldSheetAsOf,
      approved_at: expect.stringMatching(/Z$/),
    });
    expect(Date.parse(r.json.approved_at)).toBeGreaterThanOrEqual(Date.parse(now) - 1000);
    const [row] = await rows<{ approved_by: string }>(ctx.db, sql`SELECT approved_by FROM price_approvals WHERE id = ${r.json.approval_id}::bigint`);
    expect(row!.approved_by).toBe("admin-api");
    expect(await heldPrices(ctx.db, at(now, 1))).toEqual([]);
  });

  it("approving the same price again is a conflict (409), a sheet that does not list the model is 404", async () => {
    const again = await post(`${base()}/v1/admin/prices/approve`, { provider: "moonshot", model: "k2", as_of: heldSheetAsOf }, AUTH);
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("conflict");
    const none = await post(`${base()}/v1/admin/prices/approve`, { provider: "moonshot", model: "nope", as_of: heldSheetAsOf }, AUTH);
    expect(none.status).toBe(404);
    expect(none.json.error).toEqual({ code: "not_found", message: `no sheet of moonshot as of ${heldSheetAsOf} lists nope` });
  });

  it("a bad body is a 400 naming what is wrong, never a 500", async () => {
    const good = { provider: "moonshot", model: "k2", as_of: heldSheetAsOf };
    const bad: [unknown, RegExp][] = [
      ["{not json", /malformed json/i],
      ["", /malformed json/i],
      ["[]", /expected object/i],
      ["null", /expected object/i],
      [{ ...good, as_of: undefined }, /^as_of: /],
      [{ ...good, as_of: "2026-10-01T08:00:00" }, /^as_of: not an ISO 8601 instant with offset/],
      [{ ...good, as_of: 1759305600 }, /^as_of: /],
      [{ ...good, provider: "" }, /^provider: /],
      [{ ...good, model: "x".repeat(201) }, /^model: /],
      [{ ...good, by: "mallory" }, /by/],
    ];
    for (const [body, message] of bad) {
      const r = await post(`${base()}/v1/admin/prices/approve`, body, AUTH);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.code).toBe("bad_request");
      expect(r.json.error.message, JSON.stringify(body)).toMatch(message);
    }
  });

  it("a body that is not JSON is refused (415), not guessed", async () => {
    const r = await post(`${base()}/v1/admin/prices/approve`, "provider=moonshot", { ...AUTH, "Content-Type": "application/x-www-form-urlencoded" });
    expect(r.status).toBe(415);
    expect(r.json.error.code).toBe("bad_request");
  });
});

describeEachEngine("POST /v1/admin/indices/{code}/fixings/{fixing_time}/restate: a published final fixing recomputed as revision n+1 with a reason", (ctx) => {
  const base = serving(ctx, TOKEN);

  beforeAll(async () => {
    await seedBasket(ctx.db, T);
    await computeFixing(ctx.db, { index: "CTPI", at: T, kind: "final", signer: testSigner });
    await computeFixing(ctx.db, { index: "CTPI", at: INDICATIVE_T, kind: "indicative", signer: testSigner });
  });

  it("answers 201 with revision 2, the reason and its signature, and the fixing routes serve it", async () => {
    const reason = "late usage figures from deepseek";
    const r = await post(`${base()}${RESTATE_T}`, { reason }, AUTH);
    expect(r.status).toBe(201);
    const f = r.json;
    expect(f).toMatchObject({ index: "CTPI", fixing_time: T, kind: "final", status: "ok", revision: 2, reason });
    expect(f.constituents.length).toBe(5);
    expect(r.headers.get("location")).toBe(`/v1/indices/CTPI/fixings/${encodeURIComponent(T)}?revision=2`);
    const str = (x: unknown) => (x instanceof LosslessNumber ? x.toString() : (x as string | null));
    const payload = fixingPayload({
      index: f.index,
      fixingTime: f.fixing_time,
      kind: f.kind,
      revision: f.revision,
      status: f.status,
      value: str(f.value),
      level: str(f.level),
      p25: str(f.percentiles.p25),
      p50: str(f.percentiles.p50),
      p75: str(f.percentiles.p75),
      methodologyVersion: f.methodology_version,
      inputsSha256: f.inputs_sha256,
    });
    expect(f.signature).toMatchObject({ kid: testSigner.kid, alg: "Ed25519" });
    expect(verifySignature(testSigner.publicKeyPem, payload, f.signature.sig)).toBe(true);
    // Signed when stored, not only on the way out.
    const stored = await rows<{ sig: string }>(
      ctx.db,
      sql`SELECT s.sig FROM fixing_signatures s JOIN fixings x ON x.id = s.fixing_id
          WHERE x.index_code = 'CTPI' AND x.kind = 'final' AND x.fixing_time = ${T}::timestamptz AND x.revision = 2`,
    );
    expect(stored.map((s) => s.sig)).toEqual([f.signature.sig]);

    const latest = await get(`${base()}/v1/indices/CTPI/fixings/${T}`);
    expect(latest.json).toMatchObject({ revision: 2, reason });
    const first = await get(`${base()}/v1/indices/CTPI/fixings/${T}?revision=1`);
    expect(first.json).toMatchObject({ revision: 1, reason: "initial" });
    expect(first.json.inputs_sha256).toBe(f.inputs_sha256);
  });

  it("takes the fixing time with any offset, and a reason of up to 500 characters (revision 3)", async () => {
    const shanghai = `/v1/admin/indices/CTPI/fixings/${encodeURIComponent("2026-10-01T16:00:00+08:00")}/restate`;
    const r = await post(`${base()}${shanghai}`, { reason: "r".repeat(500) }, AUTH);
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ fixing_time: T, revision: 3 });
  });

  it("restates only an existing final fixing: unknown index or no fixing there is 404; a time off the calendar or in the future is 400", async () => {
    const cases: [string, number, string][] = [
      [`/v1/admin/indices/NOPE/fixings/${T}/restate`, 404, "unknown_index"],
      [`/v1/admin/indices/CTPI/fixings/${at(T, 1)}/restate`, 404, "not_found"],
      [`/v1/admin/indices/CTPI-IN/fixings/${T}/restate`, 404, "not_found"],
      // Only an indicative fixing there: its time is not a final fixing time.
      [`/v1/admin/indices/CTPI/fixings/${INDICATIVE_T}/restate`, 400, "off_calendar"],
      ["/v1/admin/indices/CTPI/fixings/2026-10-01T10:07:00Z/restate", 400, "off_calendar"],
      ["/v1/admin/indices/CTPI/fixings/2030-01-01T08:00:00Z/restate", 400, "future_fixing"],
    ];
    for (const [path, status, code] of cases) {
      const r = await post(`${base()}${path}`, { reason: "try" }, AUTH);
      expect(r.status, path).toBe(status);
      expect(r.json.error.code, path).toBe(code);
    }
    const count = await rows<{ n: number }>(ctx.db, sql`SELECT count(*)::int AS n FROM fixings WHERE kind = 'final'`);
    expect(count[0]!.n).toBe(3);
  });

  it("a bad body or fixing time is a 400 naming what is wrong, and stores nothing", async () => {
    const bad: [string, unknown, RegExp][] = [
      [RESTATE_T, "{not json", /malformed json/i],
      [RESTATE_T, {}, /^reason: /],
      [RESTATE_T, { reason: "" }, /^reason: /],
      [RESTATE_T, { reason: "   " }, /^reason: must not be blank/],
      [RESTATE_T, { reason: "r".repeat(501) }, /^reason: /],
      [RESTATE_T, { reason: "two\nlines" }, /^reason: must be one line/],
      [RESTATE_T, { reason: 42 }, /^reason: /],
      [RESTATE_T, { reason: "ok", revision: 7 }, /revision/],
      ["/v1/admin/indices/CTPI/fixings/2026-10-01T08:00:00/restate", { reason: "ok" }, /^fixing_time: /],
      ["/v1/admin/indices/CTPI/fixings/yesterday/restate", { reason: "ok" }, /^fixing_time: /],
      [`/v1/admin/indices/${encodeURIComponent("bad code!")}/fixings/${T}/restate`, { reason: "ok" }, /^code: /],
    ];
    for (const [path, body, message] of bad) {
      const r = await post(`${base()}${path}`, body, AUTH);
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(r.json.error.message, `${path} ${JSON.stringify(body)}`).toMatch(message);
    }
    const count = await rows<{ n: number }>(ctx.db, sql`SELECT count(*)::int AS n FROM fixings WHERE kind = 'final'`);
    expect(count[0]!.n).toBe(3);
  });
});
