// Contributors submitting usage and prices over HTTP (operations-and-users.md section 5):
// POST /v1/contributions/usage and /prices with `Authorization: Bearer <token>`, checked in
// the spec's order (401, 413, 400, 403), a signed receipt (202; the same body again: 200
// and nothing stored), a rate limit per token (429), and the audit trail behind the admin
// token (GET /v1/contributions). Nothing is stored on a refusal; the refusal is audited.
import { createHash, createPublicKey, verify } from "node:crypto";
import { sql } from "drizzle-orm";
import { LosslessNumber, parse } from "lossless-json";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { addContributor, revokeContributor } from "../../src/contributors/index.ts";
import { rows, type Database, type Db } from "../../src/db/index.ts";
import { computeFixing, heldPrices } from "../../src/engine/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addFx, addSheet, addUsage, fixingRows } from "../support/seed.ts";
import { serveForTest, type TestServer } from "../support/serve.ts";
import { get } from "./http.ts";

const ADMIN_TOKEN = "contributions-admin-token-0123";
const MAX = 20 * 1024 * 1024;
const HEADER = "provider,model,period_start,period_end,input_tokens,cached_input_tokens,output_tokens";
const PRICE_HEADER = "provider,country,as_of,currency,unit,model,input,cached_input,output";

const keepExact = (t: string): unknown => (/^-?\d+$/.test(t) && Number.isSafeInteger(Number(t)) ? Number(t) : new LosslessNumber(t));

type Answer = { status: number; headers: Headers; text: string; json: any };

async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { method: "POST", headers, body: typeof body === "string" ? body : new Uint8Array(body) });
  const text = await res.text();
  const json = (res.headers.get("content-type") ?? "").startsWith("application/json") ? parse(text, null, keepExact) : undefined;
  return { status: res.status, headers: res.headers, text, json };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const CSV = { "Content-Type": "text/csv" };
const JSON_TYPE = { "Content-Type": "application/json" };
const sha256 = (body: string | Buffer) => createHash("sha256").update(body).digest("hex");

/** A usage CSV of the given rows (provider, model, period_end, input, cached, output), one day each. */
function usageCsv(...records: [string, string, string, string, string, string][]): string {
  const lines = records.map(([p, m, end, i, c, o]) => `${p},${m},${dayBefore(end)},${end},${i},${c},${o}`);
  return [HEADER, ...lines].join("\n") + "\n";
}
const dayBefore = (end: string) => new Date(Date.parse(end) - 86_400_000).toISOString().replace(".000Z", "Z");

function usageJson(records: object[]): string {
  return JSON.stringify({ schema: "ciyuan.usage/1", records });
}

function priceSheet(provider: string, asOf: string, models: object[], extra: object = {}): object {
  return { schema: "ciyuan.price-sheet/1", provider, country: "CN", as_of: asOf, currency: "CNY", unit: "per_1m_tokens", models, ...extra };
}

/** What a refusal must leave untouched: every stored input, and the accepted trail. */
async function counts(db: Db) {
  const [r] = await rows<Record<string, number>>(
    db,
    sql`SELECT (SELECT count(*) FROM usage_records)::int AS usage_records, (SELECT count(*) FROM price_sheets)::int AS price_sheets,
               (SELECT count(*) FROM sheet_models)::int AS sheet_models, (SELECT count(*) FROM input_batches)::int AS input_batches,
               (SELECT count(*) FROM payloads)::int AS payloads, (SELECT count(*) FROM quarantine)::int AS quarantine,
               (SELECT count(*) FROM contributions WHERE status = 'accepted')::int AS accepted,
               (SELECT count(*) FROM contributions WHERE status = 'refused')::int AS refused`,
  );
  return r!;
}

/** The audit rows, oldest first. */
async function trail(db: Db) {
  return rows<{ contributor: string; kind: string; sha256: string; status: string; records: number; batch: string | null; reason: string | null }>(
    db,
    sql`SELECT contributor, kind, sha256, status, records, batch_id::text AS batch, reason FROM contributions ORDER BY received_at, id`,
  );
}

/** Verifies a receipt as a contributor would: the text rebuilt from the JSON, the key from /v1/keys, node:crypto. */
async function verifyReceipt(base: string, doc: any): Promise<boolean> {
  const keys = await get(`${base}/v1/keys`);
  const key = keys.json.keys.find((k: { kid: string }) => k.kid === doc.signature.kid);
  if (!key) return false;
  const r = doc.receipt;
  const text = ["ciyuan-receipt/1", r.batch === null ? "" : String(r.batch), r.contributor, r.sha256, String(r.records), r.received_at].join("\n");
  return verify(null, Buffer.from(text, "utf8"), createPublicKey(key.public_key), Buffer.from(doc.signature.sig, "base64url"));
}

type Tokens = Record<string, string>;

/** A server over the suite's database with contributors added (name -> providers); their tokens by name. */
function serving(ctx: { readonly database: Database }, contributors: Record<string, string[]>, options: { adminToken?: string; contributionRate?: number } = {}) {
  let server: TestServer | undefined;
  const tokens: Tokens = {};
  beforeAll(async () => {
    for (const [name, providers] of Object.entries(contributors)) {
      tokens[name] = (await addContributor(ctx.database.db, { name, providers })).token;
    }
    server = await serveForTest(ctx.database, { adminToken: ADMIN_TOKEN, contributionRate: 1000, ...options });
  });
  afterAll(async () => {
    await server?.close();
    // No request of the suite may have ended in an unexpected (500) failure.
    expect(server?.unexpected ?? []).toEqual([]);
  });
  return { base: () => server!.url, tokens };
}

describeEachEngine("401: a submission needs a contributor token, known and not revoked; nothing is stored or audited", (ctx) => {
  const { base, tokens } = serving(ctx, { acme: ["deepseek"], gone: ["deepseek"] });
  const body = usageCsv(["deepseek", "chat", "2026-09-02T00:00:00Z", "10", "", "5"]);

  it("refuses no token, another scheme, an unknown token and a revoked one, before reading the body", async () => {
    await revokeContributor(ctx.db, "gone");
    const before = await counts(ctx.db);
    const cases: [Record<string, string>, string][] = [
      [{}, "missing Authorization: Bearer token"],
      [{ Authorization: `Basic ${Buffer.from(`acme:${tokens.acme}`).toString("base64")}` }, "missing Authorization: Bearer token"],
      [bearer(`${tokens.acme}x`), "unknown contributor token"],
      [bearer(ADMIN_TOKEN), "unknown contributor token"],
      [bearer(tokens.gone!), "this contributor token was revoked"],
    ];
    for (const kind of ["usage", "prices"]) {
      for (const [headers, message] of cases) {
        // A broken body changes nothing: the token is checked first.
        for (const sent of [body, "not,a,usage,file"]) {
          const r = await post(`${base()}/v1/contributions/${kind}`, sent, { ...CSV, ...headers });
          expect(r.status, message).toBe(401);
          expect(r.json).toEqual({ error: { code: "unauthorized", message } });
          expect(r.headers.get("www-authenticate")).toMatch(/^Bearer /);
        }
      }
    }
    // An oversized body too: the token is checked before the size.
    const big = await post(`${base()}/v1/contributions/usage`, Buffer.alloc(MAX + 1, 0x61), { ...CSV, ...bearer(tokens.gone!) });
    expect(big.status).toBe(401);
    expect(await counts(ctx.db)).toEqual(before);
  });

  it("accepts the same body with the contributor's token, the scheme name in any case", async () => {
    const r = await post(`${base()}/v1/contributions/usage`, body, { ...CSV, Authorization: `bearer ${tokens.acme}` });
    expect(r.status).toBe(202);
  });
});

describeEachEngine("202: accepted usage comes back with a receipt signed by the publication key", (ctx) => {
  const { base, tokens } = serving(ctx, { acme: ["deepseek", "moonshot"] });

  it("a CSV body: stored under a batch of origin contributor:<name>, receipt verifiable with /v1/keys", async () => {
    const body = usageCsv(["deepseek", "chat", "2026-09-02T00:00:00Z", "9000000000", "5000000000", "1000000000"], ["moonshot", "k2", "2026-09-02T00:00:00Z", "18014398509481986", "", "7"]);
    const r = await post(`${base()}/v1/contributions/usage`, body, { ...CSV, ...bearer(tokens.acme!) });
    expect(r.status).toBe(202);
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(Object.keys(r.json)).toEqual(["receipt", "signature"]);
    expect(Object.keys(r.json.receipt)).toEqual(["batch", "contributor", "sha256", "records", "received_at"]);
    expect(r.json.receipt).toMatchObject({ contributor: "acme", sha256: sha256(body), records: 2 });
    expect(r.json.receipt.received_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(r.json.signature).toMatchObject({ alg: "Ed25519", kid: expect.stringMatching(/^ed25519-/) });
    expect(await verifyReceipt(base(), r.json)).toBe(true);

    const [batch] = await rows<{ id: string; kind: string; origin: string }>(ctx.db, sql`SELECT id::text, kind, origin FROM input_batches WHERE id = ${String(r.json.receipt.batch)}::bigint`);
    expect(batch).toEqual({ id: String(r.json.receipt.batch), kind: "usage", origin: "contributor:acme" });
    const stored = await rows<{ provider: string; input_tokens: string; batch: string }>(
      ctx.db,
      sql`SELECT provider, input_tokens::text, batch_id::text AS batch FROM usage_records ORDER BY provider`,
    );
    expect(stored).toEqual([
      { provider: "deepseek", input_tokens: "9000000000", batch: String(r.json.receipt.batch) },
      { provider: "moonshot", input_tokens: "18014398509481986", batch: String(r.json.receipt.batch) },
    ]);
  });

  it("a JSON body (ciyuan.usage/1), the same receipt shape", async () => {
    const body = usageJson([
      { provider: "deepseek", model: "reasoner", period_start: "2026-09-01T00:00:00Z", period_end: "2026-09-02T00:00:00Z", input_tokens: 2000000000, cached_input_tokens: null, output_tokens: 500000000 },
    ]);
    const r = await post(`${base()}/v1/contributions/usage`, body, { ...JSON_TYPE, ...bearer(tokens.acme!) });
    expect(r.status).toBe(202);
    expect(r.json.receipt).toMatchObject({ contributor: "acme", sha256: sha256(body), records: 1 });
    expect(await verifyReceipt(base(), r.json)).toBe(true);
  });

  it("a body without a Content-Type is read by its first character, as a file without an extension", async () => {
    const body = usageCsv(["moonshot", "k2", "2026-09-03T00:00:00Z", "10", "", "5"]);
    const r = await post(`${base()}/v1/contributions/usage`, body, { "Content-Type": "application/octet-stream", ...bearer(tokens.acme!) });
    expect(r.status).toBe(202);
  });

  it("a tampered receipt does not verify", async () => {
    const body = usageCsv(["moonshot", "k2", "2026-09-04T00:00:00Z", "10", "", "5"]);
    const r = await post(`${base()}/v1/contributions/usage`, body, { ...CSV, ...bearer(tokens.acme!) });
    expect(await verifyReceipt(base(), r.json)).toBe(true);
    expect(await verifyReceipt(base(), { ...r.json, receipt: { ...r.json.receipt, records: 3 } })).toBe(false);
    expect(await verifyReceipt(base(), { ...r.json, receipt: { ...r.json.receipt, contributor: "other" } })).toBe(false);
  });

  it("records every accepted submission in the audit trail with its batch", async () => {
    const accepted = await trail(ctx.db);
    expect(accepted.map((a) => [a.contributor, a.kind, a.status, a.reason])).toEqual(Array(4).fill(["acme", "usage", "accepted", null]));
    expect(accepted.every((a) => a.batch !== null)).toBe(true);
  });
});

describeEachEngine("200: the same body again from the same contributor returns the same receipt and stores nothing", (ctx) => {
  const { base, tokens } = serving(ctx, { acme: ["deepseek"], other: ["deepseek"] });
  const usage = usageCsv(["deepseek", "chat", "2026-09-02T00:00:00Z", "10", "", "5"]);
  const sheet = JSON.stringify(priceSheet("deepseek", "2026-09-01T00:00:00+08:00", [{ model: "chat", input: 2, cached_input: 0.2, output: 3 }]));

  it("usage: 202 then 200 with the identical receipt, and no row more", async () => {
    const first = await post(`${base()}/v1/contributions/usage`, usage, { ...CSV, ...bearer(tokens.acme!) });
    expect(first.status).toBe(202);
    const after = await counts(ctx.db);
    const again = await post(`${base()}/v1/contributions/usage`, usage, { ...CSV, ...bearer(tokens.acme!) });
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(await counts(ctx.db)).toEqual(after);
  });

  it("prices: 202 then 200 with the identical receipt, and no row more", async () => {
    const first = await post(`${base()}/v1/contributions/prices`, sheet, { ...JSON_TYPE, ...bearer(tokens.acme!) });
    expect(first.status).toBe(202);
    expect(first.json.receipt).toMatchObject({ records: 1, sha256: sha256(sheet) });
    const after = await counts(ctx.db);
    const again = await post(`${base()}/v1/contributions/prices`, sheet, { ...JSON_TYPE, ...bearer(tokens.acme!) });
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(await verifyReceipt(base(), again.json)).toBe(true);
    expect(await counts(ctx.db)).toEqual(after);
  });

  it("two identical bodies at once: one 202, one 200, one receipt", async () => {
    const body = usageCsv(["deepseek", "chat", "2026-09-05T00:00:00Z", "10", "", "5"]);
    const both = await Promise.all([0, 1].map(() => post(`${base()}/v1/contributions/usage`, body, { ...CSV, ...bearer(tokens.acme!) })));
    expect(both.map((r) => r.status).sort()).toEqual([200, 202]);
    expect(both[0]!.text).toBe(both[1]!.text);
  });

  it("the same bytes from another contributor are its own submission: a receipt of its own, with no new batch", async () => {
    const r = await post(`${base()}/v1/contributions/usage`, usage, { ...CSV, ...bearer(tokens.other!) });
    expect(r.status).toBe(202);
    // Every record was stored already (by acme): nothing new, so no batch.
    expect(r.json.receipt).toMatchObject({ contributor: "other", batch: null, records: 1 });
    expect(await verifyReceipt(base(), r.json)).toBe(true);
  });
});

describeEachEngine("400: any invalid record refuses the whole body, naming its line (CSV, header = line 1) or records[i], and the field", (ctx) => {
  const { base, tokens } = serving(ctx, { acme: ["deepseek", "moonshot"] });
  const submit = (kind: string, body: string, type = CSV) => post(`${base()}/v1/contributions/${kind}`, body, { ...type, ...bearer(tokens.acme!) });

  it("usage CSV: the first bad record's line and field; nothing stored; the refusal audited with its reason", async () => {
    const before = await counts(ctx.db);
    const body = usageCsv(
      ["deepseek", "chat", "2026-09-02T00:00:00Z", "10", "", "5"],
      ["deepseek", "reasoner", "2026-09-02T00:00:00Z", "12x", "", "5"],
      ["moonshot", "k2", "2026-09-02T00:00:00Z", "-1", "", "5"],
    );
    const r = await submit("usage", body);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: { code: "bad_input", message: "body.csv:3: input_tokens: not a non-negative integer" } });
    expect(await counts(ctx.db)).toEqual({ ...before, refused: before.refused! + 1 });
    const [refusal] = (await trail(ctx.db)).slice(-1);
    expect(refusal).toEqual({ contributor: "acme", kind: "usage", sha256: sha256(body), status: "refused", records: 0, batch: null, reason: r.json.error.message });
  });

  it("usage CSV: a period_end not after period_start (a gate relating cells) names its line", async () => {
    const body = `${HEADER}\ndeepseek,chat,2026-09-01T00:00:00Z,2026-09-02T00:00:00Z,10,,5\ndeepseek,chat,2026-09-03T00:00:00Z,2026-09-02T00:00:00Z,10,,5\n`;
    const r = await submit("usage", body);
    expect(r.status).toBe(400);
    expect(r.json.error.message).toBe("body.csv:3: period_end: not after period_start");
  });

  it("usage JSON: records[i] and the field", async () => {
    const body = usageJson([
      { provider: "deepseek", model: "chat", period_start: "2026-09-01T00:00:00Z", period_end: "2026-09-02T00:00:00Z", input_tokens: 10, output_tokens: 5 },
      { provider: "deepseek", model: "chat2", period_start: "2026-09-01T00:00:00Z", period_end: "2026-09-02T00:00:00Z", input_tokens: 1.5, output_tokens: 5 },
    ]);
    const r = await submit("usage", body, JSON_TYPE);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: { code: "bad_input", message: "body.json: records[1].input_tokens: not a non-negative integer" } });
  });

  it("usage: a missing header, a body that is not UTF-8 text, a header and no records", async () => {
    expect((await submit("usage", "deepseek,chat\n")).json.error.message).toMatch(/^body\.csv:1: header: /);
    const latin1 = Buffer.concat([Buffer.from(`${HEADER}\ndeepseek,caf`), Buffer.from([0xe9]), Buffer.from(",2026-09-01T00:00:00Z,2026-09-02T00:00:00Z,1,,1\n")]);
    const r = await post(`${base()}/v1/contributions/usage`, latin1, { ...CSV, ...bearer(tokens.acme!) });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toBe("body.csv: not a UTF-8 text file");
    expect((await submit("usage", `${HEADER}\n`)).json).toEqual({ error: { code: "bad_input", message: "body.csv: no records" } });
  });

  it("prices JSON: the sheet, the model's field, and why", async () => {
    const body = JSON.stringify(priceSheet("deepseek", "2026-09-01T00:00:00+08:00", [{ model: "chat", input: 2, output: 3 }, { model: "reasoner", input: -4, output: 16 }]));
    const r = await submit("prices", body, JSON_TYPE);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("bad_input");
    expect(r.json.error.message).toMatch(/^body\.json: sheet deepseek@2026-09-01T00:00:00\+08:00: models\[1\]\.input: /);
  });

  it("prices CSV: the first bad row by line, across interleaved sheets", async () => {
    const body = [
      PRICE_HEADER,
      "deepseek,CN,2026-09-01T00:00:00Z,CNY,per_1m_tokens,chat,2,0.2,3",
      "moonshot,CN,2026-09-01T00:00:00Z,CNY,per_1m_tokens,k2,4,,abc",
      "deepseek,CN,2026-09-01T00:00:00Z,CNY,per_1m_tokens,reasoner,zero,,16",
    ].join("\n");
    const r = await submit("prices", body);
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/^body\.csv:3: sheet moonshot@2026-09-01T00:00:00Z: output: /);
  });

  it("prices: a sheet the store refuses (no country, none known for the provider) refuses the body; nothing quarantined", async () => {
    const before = await counts(ctx.db);
    const body = JSON.stringify(priceSheet("moonshot", "2026-09-01T00:00:00Z", [{ model: "k2", input: 4, output: 16 }], { country: undefined }));
    const r = await submit("prices", body, JSON_TYPE);
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/country: unknown_country/);
    expect(await counts(ctx.db)).toEqual({ ...before, refused: before.refused! + 1 });
  });

  it("an invalid record is answered 400 even when another names a provider outside the scope (400 is checked first)", async () => {
    const body = usageCsv(["openai", "gpt", "2026-09-02T00:00:00Z", "10", "", "5"], ["deepseek", "chat", "2026-09-02T00:00:00Z", "x", "", "5"]);
    expect((await submit("usage", body)).status).toBe(400);
    const sheets = JSON.stringify([
      priceSheet("openai", "2026-09-01T00:00:00Z", [{ model: "gpt", input: 1, output: 2 }]),
      priceSheet("deepseek", "2026-09-01T00:00:00Z", [{ model: "chat", input: "two", output: 2 }]),
    ]);
    expect((await submit("prices", sheets, JSON_TYPE)).status).toBe(400);
  });

  it("nothing of any refused body was stored", async () => {
    const c = await counts(ctx.db);
    expect({ usage: c.usage_records, sheets: c.price_sheets, quarantine: c.quarantine, accepted: c.accepted }).toEqual({ usage: 0, sheets: 0, quarantine: 0, accepted: 0 });
    expect((await trail(ctx.db)).every((t) => t.status === "refused" && t.batch === null && t.reason)).toBe(true);
  });
});

describeEachEngine("403: a record naming a provider outside the token's providers refuses the body; nothing stored", (ctx) => {
  const { base, tokens } = serving(ctx, { acme: ["deepseek"] });

  it("usage: names the first such record and the token's providers", async () => {
    const before = await counts(ctx.db);
    const body = usageCsv(["deepseek", "chat", "2026-09-02T00:00:00Z", "10", "", "5"], ["moonshot", "k2", "2026-09-02T00:00:00Z", "10", "", "5"]);
    const r = await post(`${base()}/v1/contributions/usage`, body, { ...CSV, ...bearer(tokens.acme!) });
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ error: { code: "forbidden", message: 'body.csv:3: provider: "moonshot" is outside this token\'s providers ("deepseek")' } });
    expect(await counts(ctx.db)).toEqual({ ...before, refused: before.refused! + 1 });
    const [refusal] = (await trail(ctx.db)).slice(-1);
    expect(refusal).toMatchObject({ status: "refused", records: 2, batch: null, reason: r.json.error.message });
  });

  it("usage CSV with quoted cells (a comma, a line break inside a cell): the line the record starts on", async () => {
    const body = `${HEADER}\n"deepseek","chat, long",2026-09-01T00:00:00Z,2026-09-02T00:00:00Z,1,,1\n"deepseek","multi\nline",2026-09-01T00:00:00Z,2026-09-02T00:00:00Z,1,,1\n" moonshot",k2,2026-09-01T00:00:00Z,2026-09-02T00:00:00Z,1,,1\n`;
    const r = await post(`${base()}/v1/contributions/usage`, body, { ...CSV, ...bearer(tokens.acme!) });
    expect(r.status).toBe(403);
    expect(r.json.error.message).toBe('body.csv:5: provider: "moonshot" is outside this token\'s providers ("deepseek")');
    const inScope = `${HEADER}\n"deepseek","chat, long",2026-09-01T00:00:00Z,2026-09-02T00:00:00Z,1,,1\n`;
    const ok = await post(`${base()}/v1/contributions/usage`, inScope, { ...CSV, ...bearer(tokens.acme!) });
    expect(ok.status).toBe(202);
    expect(ok.json.receipt.records).toBe(1);
  });

  it("usage JSON: records[i].provider", async () => {
    const body = usageJson([{ provider: "moonshot", model: "k2", period_start: "2026-09-01T00:00:00Z", period_end: "2026-09-02T00:00:00Z", input_tokens: 1, output_tokens: 1 }]);
    const r = await post(`${base()}/v1/contributions/usage`, body, { ...JSON_TYPE, ...bearer(tokens.acme!) });
    expect(r.status).toBe(403);
    expect(r.json.error.message).toMatch(/^body\.json: records\[0\]\.provider: "moonshot" is outside/);
  });

  it("a record already stored, identical, still counts: the scope is the body's, not what is new", async () => {
    // Stored by a file import before: the contribution would change nothing, and is refused all the same.
    await addUsage(ctx.db, { provider: "moonshot", model: "k2", start: "2026-09-01T00:00:00Z", end: "2026-09-02T00:00:00Z", input: "10", output: "5" });
    const before = await counts(ctx.db);
    const body = usageCsv(["deepseek", "chat", "2026-09-02T00:00:00Z", "10", "", "5"], ["moonshot", "k2", "2026-09-02T00:00:00Z", "10", "", "5"]);
    const r = await post(`${base()}/v1/contributions/usage`, body, { ...CSV, ...bearer(tokens.acme!) });
    expect(r.status).toBe(403);
    expect(r.json.error.message).toMatch(/^body\.csv:3: provider: "moonshot" is outside/);
    expect(await counts(ctx.db)).toEqual({ ...before, refused: before.refused! + 1 });
  });

  it("prices JSON: the sheet and its provider", async () => {
    const before = await counts(ctx.db);
    const body = JSON.stringify(priceSheet("moonshot", "2026-09-01T00:00:00Z", [{ model: "k2", input: 4, output: 16 }]));
    const r = await post(`${base()}/v1/contributions/prices`, body, { ...JSON_TYPE, ...bearer(tokens.acme!) });
    expect(r.status).toBe(403);
    expect(r.json.error.message).toMatch(/^body\.json: sheet moonshot@2026-09-01T00:00:00Z: provider: "moonshot" is outside/);
    expect(await counts(ctx.db)).toEqual({ ...before, refused: before.refused! + 1 });
  });

  it("prices CSV: one sheet out of scope refuses the sheets in scope with it", async () => {
    const before = await counts(ctx.db);
    const body = [PRICE_HEADER, "deepseek,CN,2026-09-01T00:00:00Z,CNY,per_1m_tokens,chat,2,0.2,3", "zhipu,CN,2026-09-01T00:00:00Z,CNY,per_1m_tokens,glm,1,,2"].join("\n");
    const r = await post(`${base()}/v1/contributions/prices`, body, { ...CSV, ...bearer(tokens.acme!) });
    expect(r.status).toBe(403);
    expect(r.json.error.message).toMatch(/^body\.csv:3: sheet zhipu@2026-09-01T00:00:00Z: provider: "zhipu" is outside/);
    expect(await counts(ctx.db)).toEqual({ ...before, refused: before.refused! + 1 });
  });
});

describeEachEngine("413: a body over 20 MB is refused, declared or streamed, before it is held; nothing stored", (ctx) => {
  const { base, tokens } = serving(ctx, { acme: ["deepseek"] });

  it("a Content-Length over 20 MB, and a chunked body that passes 20 MB", async () => {
    const before = await counts(ctx.db);
    const declared = await post(`${base()}/v1/contributions/usage`, Buffer.alloc(MAX + 1, 0x61), { ...CSV, ...bearer(tokens.acme!) });
    expect(declared.status).toBe(413);
    expect(declared.json).toEqual({ error: { code: "payload_too_large", message: `the body is over 20 MB (${MAX} bytes)` } });
    expect(declared.headers.get("connection")).toBe("close");

    const chunk = new Uint8Array(1 << 20).fill(0x61);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 21; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await fetch(`${base()}/v1/contributions/prices`, { method: "POST", headers: { ...JSON_TYPE, ...bearer(tokens.acme!) }, body: stream, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe("payload_too_large");

    expect(await counts(ctx.db)).toEqual({ ...before, refused: before.refused! + 2 });
    const refusals = (await trail(ctx.db)).slice(-2);
    expect(refusals.map((t) => [t.kind, t.status, t.sha256, t.records])).toEqual([["usage", "refused", "", 0], ["prices", "refused", "", 0]]);
  });

  it("exactly 20 MB is read (and judged on its records)", async () => {
    const row = "deepseek,chat,2026-09-01T00:00:00Z,2026-09-02T00:00:00Z,1,,1\n";
    const head = `${HEADER}\n`;
    const body = Buffer.alloc(MAX, 0x20);
    body.write(head + row, 0);
    // Padding: spaces then a bad record at the end, so the answer is a 400 about the records, not a 413.
    body.write("\nx\n", MAX - 3);
    const r = await post(`${base()}/v1/contributions/usage`, body, { ...CSV, ...bearer(tokens.acme!) });
    expect(r.status).toBe(400);
  });

  it("the connection is closed after a 413, and the next request is served", async () => {
    const r = await post(`${base()}/v1/contributions/usage`, usageCsv(["deepseek", "chat", "2026-09-02T00:00:00Z", "1", "", "1"]), { ...CSV, ...bearer(tokens.acme!) });
    expect(r.status).toBe(202);
  });
});

describeEachEngine("429: more submissions in a minute than CIYUAN_CONTRIBUTION_RATE, per token, with Retry-After", (ctx) => {
  const { base, tokens } = serving(ctx, { acme: ["deepseek"], beta: ["deepseek"] }, { contributionRate: 3 });

  it("the 4th submission of a token within the minute is refused; another token is not; requests without a token do not count", async () => {
    for (let i = 0; i < 5; i++) expect((await post(`${base()}/v1/contributions/usage`, "x", { ...CSV, ...bearer("ctb_unknown") })).status).toBe(401);
    const statuses: number[] = [];
    let limited: Answer | undefined;
    for (let i = 0; i < 4; i++) {
      const r = await post(`${base()}/v1/contributions/usage`, usageCsv(["deepseek", "chat", `2026-09-${String(10 + i)}T00:00:00Z`, "1", "", "1"]), { ...CSV, ...bearer(tokens.acme!) });
      statuses.push(r.status);
      expect(r.headers.get("ratelimit-limit")).toBe("3");
      limited = r;
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
    expect(limited!.json).toEqual({ error: { code: "rate_limited", message: "more than 3 submissions in a minute with this token; try again after Retry-After seconds" } });
    const retryAfter = Number(limited!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Refused bodies count too (each is a submission the service read), and so does a repeat.
    expect((await post(`${base()}/v1/contributions/prices`, "{}", { ...JSON_TYPE, ...bearer(tokens.acme!) })).status).toBe(429);
    expect((await post(`${base()}/v1/contributions/usage`, usageCsv(["deepseek", "chat", "2026-09-20T00:00:00Z", "1", "", "1"]), { ...CSV, ...bearer(tokens.beta!) })).status).toBe(202);
    // A rate-limited request is not a submission: the trail holds the three accepted and beta's.
    expect((await trail(ctx.db)).length).toBe(4);
  });

  it("CIYUAN_CONTRIBUTION_RATE: requests per minute, default 60, a positive whole number", () => {
    expect(loadConfig({}).contributionRate).toBe(60);
    expect(loadConfig({ CIYUAN_CONTRIBUTION_RATE: "600" }).contributionRate).toBe(600);
    for (const bad of ["0", "-5", "1.5", "many"]) {
      expect(() => loadConfig({ CIYUAN_CONTRIBUTION_RATE: bad })).toThrow(/^environment: CIYUAN_CONTRIBUTION_RATE: /);
    }
  });
});

describeEachEngine("Accepted prices pass the same gates as a price file: a move of more than 80 % is held", (ctx) => {
  const { base, tokens } = serving(ctx, { acme: ["deepseek"] });

  it("a sheet is stored under origin contributor:acme; the next, ten times dearer, is stored but held", async () => {
    const first = JSON.stringify(priceSheet("deepseek", "2026-09-01T00:00:00Z", [{ model: "chat", input: 2, cached_input: 0.2, output: 3 }]));
    const r1 = await post(`${base()}/v1/contributions/prices`, first, { ...JSON_TYPE, ...bearer(tokens.acme!) });
    expect(r1.status).toBe(202);
    const csv = [PRICE_HEADER, "deepseek,CN,2026-09-10T00:00:00Z,CNY,per_1m_tokens,chat,20,0.2,3"].join("\n");
    const r2 = await post(`${base()}/v1/contributions/prices`, csv, { ...CSV, ...bearer(tokens.acme!) });
    expect(r2.status).toBe(202);
    expect(r2.json.receipt.records).toBe(1);
    const batches = await rows<{ origin: string }>(ctx.db, sql`SELECT b.origin FROM price_sheets s JOIN input_batches b ON b.id = s.batch_id ORDER BY s.as_of`);
    expect(batches).toEqual([{ origin: "contributor:acme" }, { origin: "contributor:acme" }]);
    expect(String(r2.json.receipt.batch)).toBe((await rows<{ b: string }>(ctx.db, sql`SELECT max(batch_id)::text AS b FROM price_sheets`))[0]!.b);
    const held = await heldPrices(ctx.db, "2026-09-11T00:00:00Z");
    expect(held.map((h) => [h.provider, h.model, h.component, h.heldPrice])).toEqual([["deepseek", "chat", "input", expect.stringMatching(/^20(\.0+)?$/)]]);
  });

  it("a price body of several sheets: one receipt naming the last batch, every sheet committed with it", async () => {
    const body = JSON.stringify([
      priceSheet("deepseek", "2026-09-20T00:00:00Z", [{ model: "chat", input: 2.1, output: 3 }]),
      priceSheet("deepseek", "2026-09-21T00:00:00Z", [{ model: "chat", input: 2.2, output: 3 }, { model: "reasoner", input: 4, output: 16 }]),
    ]);
    const r = await post(`${base()}/v1/contributions/prices`, body, { ...JSON_TYPE, ...bearer(tokens.acme!) });
    expect(r.status).toBe(202);
    expect(r.json.receipt.records).toBe(3);
    const sheets = await rows<{ batch: string }>(ctx.db, sql`SELECT batch_id::text AS batch FROM price_sheets WHERE as_of >= '2026-09-20' ORDER BY batch_id`);
    expect(sheets.length).toBe(2);
    expect(String(r.json.receipt.batch)).toBe(sheets[1]!.batch);
  });
});

describeEachEngine("A fixing after a contributed usage body carries its volumes", (ctx) => {
  const { base, tokens } = serving(ctx, { platform: ["deepseek", "moonshot", "zhipu"] });
  const T = "2026-10-01T08:00:00Z";

  beforeAll(async () => {
    await addFx(ctx.db, "USD", "7.1", "2026-09-01T00:00:00Z");
    await addSheet(ctx.db, { provider: "deepseek", as_of: "2026-09-01T00:00:00Z", models: [{ model: "chat", input: "2", cached_input: "0.2", output: "3" }, { model: "reasoner", input: "4", output: "16" }] });
    await addSheet(ctx.db, { provider: "moonshot", as_of: "2026-09-01T00:00:00Z", models: [{ model: "k2", input: "4", cached_input: "1", output: "16" }] });
    await addSheet(ctx.db, { provider: "zhipu", as_of: "2026-09-01T00:00:00Z", currency: "USD", unit: "per_token", models: [{ model: "glm", input: "0.0000006", output: "0.0000022" }, { model: "glm-air", input: "0.0000002", output: "0.0000011" }] });
  });

  it("CTPI at T weighs the constituents by the contributed tokens", async () => {
    const volumes: [string, string, string, string, string][] = [
      ["deepseek", "chat", "9000000000", "5000000000", "1000000000"],
      ["deepseek", "reasoner", "2000000000", "", "500000000"],
      ["moonshot", "k2", "1000000000", "", "300000000"],
      ["zhipu", "glm", "800000000", "", "200000000"],
      ["zhipu", "glm-air", "500000000", "", "100000000"],
    ];
    const body = usageCsv(...volumes.map(([p, m, i, c, o]) => [p, m, T, i, c, o] as [string, string, string, string, string, string]));
    const r = await post(`${base()}/v1/contributions/usage`, body, { ...CSV, ...bearer(tokens.platform!) });
    expect(r.status).toBe(202);

    const f = await computeFixing(ctx.db, { index: "CTPI", at: T, kind: "final" });
    expect(f.status).toBe("ok");
    const { constituents } = await fixingRows(ctx.db, f.id);
    expect(constituents.map((c) => [c.provider, c.model, c.input_tokens, c.output_tokens])).toEqual(
      volumes.map(([p, m, i, , o]) => [p, m, i, o]).sort((a, b) => `${a[0]}/${a[1]}`.localeCompare(`${b[0]}/${b[1]}`)),
    );
    expect(constituents.find((c) => c.model === "chat")!.cached_input_tokens).toBe("5000000000");
  });
});

describeEachEngine("GET /v1/contributions: the audit trail, oldest first, behind the admin token", (ctx) => {
  const { base, tokens } = serving(ctx, { acme: ["deepseek"], beta: ["moonshot"] });
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

  beforeAll(async () => {
    const submit = (who: string, body: string) => post(`${base()}/v1/contributions/usage`, body, { ...CSV, ...bearer(tokens[who]!) });
    expect((await submit("acme", usageCsv(["deepseek", "chat", "2026-09-02T00:00:00Z", "1", "", "1"]))).status).toBe(202);
    expect((await submit("beta", usageCsv(["deepseek", "chat", "2026-09-02T00:00:00Z", "1", "", "1"]))).status).toBe(403);
    expect((await submit("beta", usageCsv(["moonshot", "k2", "2026-09-02T00:00:00Z", "1x", "", "1"]))).status).toBe(400);
    expect((await submit("beta", usageCsv(["moonshot", "k2", "2026-09-02T00:00:00Z", "1", "", "1"]))).status).toBe(202);
  });

  it("every submission, accepted and refused, with its batch or reason", async () => {
    const r = await get(`${base()}/v1/contributions`, admin);
    expect(r.status).toBe(200);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.json.data.map((d: any) => [d.contributor, d.status, d.records, d.batch === null, d.reason === null])).toEqual([
      ["acme", "accepted", 1, false, true],
      ["beta", "refused", 1, true, false],
      ["beta", "refused", 0, true, false],
      ["beta", "accepted", 1, false, true],
    ]);
    const first = r.json.data[0];
    expect(Object.keys(first)).toEqual(["received_at", "contributor", "kind", "sha256", "bytes", "records", "status", "batch", "reason"]);
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.json.data[1].reason).toMatch(/is outside this token's providers/);
    const times = r.json.data.map((d: any) => Date.parse(d.received_at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("filters by contributor and by received_at (from, to: instants inclusive, a date through its end)", async () => {
    const all = (await get(`${base()}/v1/contributions`, admin)).json.data;
    expect((await get(`${base()}/v1/contributions?contributor=beta`, admin)).json.data.length).toBe(3);
    expect((await get(`${base()}/v1/contributions?contributor=nobody`, admin)).json.data).toEqual([]);
    const from = all[1].received_at;
    const to = all[2].received_at;
    const ranged = (await get(`${base()}/v1/contributions?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, admin)).json.data;
    expect(ranged).toEqual(all.slice(1, 3));
    const today = all[0].received_at.slice(0, 10);
    expect((await get(`${base()}/v1/contributions?from=${today}&to=${today}`, admin)).json.data.length).toBe(4);
    expect((await get(`${base()}/v1/contributions?to=2000-01-01`, admin)).json.data).toEqual([]);
    for (const query of ["from=yesterday", "contributor=a%00b", "contributor=a%20b", "contributor="]) {
      const bad = await get(`${base()}/v1/contributions?${query}`, admin);
      expect(bad.status, query).toBe(400);
      expect(bad.json.error.code).toBe("bad_request");
    }
    expect((await get(`${base()}/v1/contributions?from=2026-12-02&to=2026-12-01`, admin)).status).toBe(400);
  });

  it("401 without the admin token, with a wrong one, or with a contributor token", async () => {
    for (const headers of [{}, { Authorization: `Bearer ${ADMIN_TOKEN}x` }, bearer(tokens.acme!)]) {
      const r = await get(`${base()}/v1/contributions`, headers);
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe("unauthorized");
    }
  });
});

describeEachEngine("GET /v1/contributions without CIYUAN_ADMIN_TOKEN is off: 404, as if absent", (ctx) => {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await serveForTest(ctx.database, { adminToken: undefined });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers 404 not_found, token or not", async () => {
    for (const headers of [{}, { Authorization: `Bearer ${ADMIN_TOKEN}` }] as Record<string, string>[]) {
      const r = await get(`${server!.url}/v1/contributions`, headers);
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ error: { code: "not_found", message: "no such route: GET /v1/contributions" } });
    }
  });
});

describe("the contribution routes are in /openapi.json", () => {
  describeEachEngine("OpenAPI", (ctx) => {
    const { base } = serving(ctx, {});

    it("documents both submission routes (bearer contributorToken, every status) and the audit route (adminToken)", async () => {
      const doc = (await get(`${base()}/openapi.json`)).json;
      for (const kind of ["usage", "prices"]) {
        const op = doc.paths[`/v1/contributions/${kind}`].post;
        expect(op.security).toEqual([{ contributorToken: [] }]);
        expect(Object.keys(op.responses).sort()).toEqual(["200", "202", "400", "401", "403", "413", "429", "503"]);
        expect(Object.keys(op.requestBody.content).sort()).toEqual(["application/json", "text/csv"]);
      }
      expect(doc.components.securitySchemes.contributorToken).toMatchObject({ type: "http", scheme: "bearer" });
      expect(doc.components.schemas.ContributionReceipt).toBeDefined();
      expect(doc.components.schemas.UsageDocument).toBeDefined();
      expect(doc.components.schemas.PriceSheet).toBeDefined();
      const audit = doc.paths["/v1/contributions"].get;
      expect(audit.security).toEqual([{ adminToken: [] }]);
      expect(audit.parameters.map((p: { name: string }) => p.name).sort()).toEqual(["contributor", "from", "to"]);
    });
  });
});
