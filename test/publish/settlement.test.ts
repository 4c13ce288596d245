import { createPrivateKey, createPublicKey, verify } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/index.ts";
import { readFileSync } from "node:fs";
import { computeFixing, type StoredFixing } from "../../src/engine/index.ts";
import { settlementPayload } from "../../src/signing/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { D } from "../support/reference.ts";
import { addSheet, addUsage, day } from "../support/seed.ts";
import { serveForTest, testKeyPem, testSigner, type TestServer } from "../support/serve.ts";
import { seedBasket } from "../engine/fixture.ts";
import { get, n } from "./http.ts";

// CTPI September 2026, computed by the real engine and signed with the test key:
//   09-01, 09-02 (restated as revision 2 by a late moonshot sheet), 09-30 (the month's last);
//   settlement revisions 1 (09-01), 2 (+09-02 r1), 3 (09-02 r2), 4 (+09-30, final).
// CTPI October 2026: one fixing computed without a signer (signed on the fly when served).
const SEP_1 = "2026-09-01T08:00:00Z";
const SEP_2 = "2026-09-02T08:00:00Z";
const SEP_30 = "2026-09-30T08:00:00Z";
const OCT_1 = "2026-10-01T08:00:00Z";

type History = { sep1: StoredFixing; sep2: StoredFixing; sep2r2: StoredFixing; sep30: StoredFixing; oct1: StoredFixing };

async function seedMonth(db: Db): Promise<History> {
  await seedBasket(db, "2026-08-31T08:00:00Z");
  // Computed on a clock of early October, before September's cut-off, as the scheduler would.
  const now = new Date("2026-10-02T00:00:00Z");
  const final = (t: string, reason?: string, signed = true) =>
    computeFixing(db, { index: "CTPI", at: t, kind: "final", reason, signer: signed ? testSigner : undefined, now });
  const sep1 = await final(SEP_1);
  await addUsage(db, day("moonshot", "k2", SEP_2, "3000000000", "900000000"));
  const sep2 = await final(SEP_2);
  await addSheet(db, { provider: "moonshot", as_of: "2026-09-01T12:00:00Z", models: [{ model: "k2", input: "3.7", cached_input: "1", output: "15" }] });
  const sep2r2 = await final(SEP_2, "late moonshot sheet");
  await addUsage(db, day("deepseek", "chat", SEP_30, "9000000000", "1000000000", "5000000000"));
  for (const [p, m, i, o] of [["deepseek", "reasoner", "2000000000", "500000000"], ["moonshot", "k2", "1000000000", "300000000"], ["zhipu", "glm", "800000000", "200000000"], ["zhipu", "glm-air", "500000000", "100000000"]] as const) {
    await addUsage(db, day(p, m, SEP_30, i, o));
  }
  const sep30 = await final(SEP_30);
  const oct1 = await final(OCT_1, undefined, false);
  return { sep1, sep2, sep2r2, sep30, oct1 };
}

function mean(values: (string | null)[]): string {
  const counted = values.filter((v): v is string => v !== null);
  return counted.reduce((acc, v) => acc.plus(v), new D(0)).div(counted.length).toDecimalPlaces(6, D.ROUND_HALF_EVEN).toFixed(6);
}

/** The ciyuan-settlement/1 text rebuilt from the published JSON, as a verifier would. */
function signedText(body: any): string {
  return [
    "ciyuan-settlement/1",
    body.index,
    body.month,
    body.value === null ? "" : n(body.value),
    String(body.provisional),
    ...body.fixings.map((f: { fixing_time: string; revision: number }) => `${f.fixing_time} ${f.revision}`),
  ].join("\n");
}

const publicKey = createPublicKey(createPrivateKey(testKeyPem));
const verifies = (body: any) => verify(null, Buffer.from(signedText(body), "utf8"), publicKey, Buffer.from(body.signature.sig, "base64url"));

describe("the settlement's signed text is the one METHODOLOGY.md documents", () => {
  it("the documented example is the text the service signs for the same settlement", () => {
    const doc = readFileSync(new URL("../../METHODOLOGY.md", import.meta.url), "utf8");
    const example = /For example, a provisional September settlement over two fixings:\n\n```\n([\s\S]*?)\n```/.exec(doc);
    expect(example).not.toBeNull();
    expect(
      settlementPayload({
        index: "CTPI",
        month: "2026-09",
        value: "4.125",
        provisional: true,
        fixings: [{ fixingTime: "2026-09-01T08:00:00Z", revision: 1 }, { fixingTime: "2026-09-02T08:00:00Z", revision: 2 }],
      }),
    ).toBe(example![1]);
  });
});

describeEachEngine("publish: GET /v1/indices/{code}/settlement?month=YYYY-MM", (ctx) => {
  let server: TestServer | undefined;
  let h: History;
  beforeAll(async () => {
    h = await seedMonth(ctx.db);
    server = await serveForTest(ctx.database);
  });
  afterAll(async () => {
    await server?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });
  const url = (query: string, code = "CTPI") => `${server!.url}/v1/indices/${code}/settlement${query}`;

  describe("the monthly settlement price with the fixings it averaged and their revisions", () => {
    it("has index, month, value, provisional, revision, computed_at, reason, fixings and signature", async () => {
      const r = await get(url("?month=2026-09"));
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/^application\/json/);
      expect(Object.keys(r.json)).toEqual([
        "index", "month", "value", "provisional", "final", "cutoff", "fixings_expected", "fixings_used", "fixings_missing",
        "complete", "restated_after_cutoff", "revision", "computed_at", "reason", "fixings", "signature",
      ]);
      expect(Object.keys(r.json.fixings[0])).toEqual(["fixing_time", "revision", "value", "status"]);
      expect(r.json.computed_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    });

    it("is the mean of the latest revisions, final once the month's last fixing is published, with its fixing list", async () => {
      const r = await get(url("?month=2026-09"));
      expect(r.json).toMatchObject({ index: "CTPI", month: "2026-09", provisional: false, revision: 4 });
      expect(n(r.json.value)).toBe(mean([h.sep1.value, h.sep2r2.value, h.sep30.value]));
      expect(r.json.fixings.map((f: any) => [f.fixing_time, f.revision, n(f.value), f.status])).toEqual([
        [SEP_1, 1, h.sep1.value, "ok"],
        [SEP_2, 2, h.sep2r2.value, "ok"],
        [SEP_30, 1, h.sep30.value, "ok"],
      ]);
      expect(r.json.reason).toBe(`fixing ${SEP_30} revision 1: initial`);
    });

    it("[1.1] states its coverage and cut-off: September is over and past its cut-off, three of 30 days averaged", async () => {
      const r = await get(url("?month=2026-09"));
      expect(r.json).toMatchObject({
        final: true,
        cutoff: "2026-10-05T08:00:00Z",
        fixings_expected: 30,
        fixings_used: 3,
        complete: false,
        restated_after_cutoff: [],
      });
      expect(r.json.fixings_missing).toHaveLength(27);
      expect(r.json.fixings_missing.slice(0, 2)).toEqual(["2026-09-03", "2026-09-04"]);
      // An earlier revision is never final.
      expect((await get(url("?month=2026-09&revision=1"))).json.final).toBe(false);
    });

    it("writes the value into the JSON text with exactly 6 decimals", async () => {
      const r = await get(url("?month=2026-09"));
      expect(r.text).toContain(`"value":${mean([h.sep1.value, h.sep2r2.value, h.sep30.value])},"provisional":false`);
      expect(n(r.json.value)).toMatch(/^\d+\.\d{6}$/);
    });

    it("a month whose last fixing is not published yet is provisional", async () => {
      const r = await get(url("?month=2026-10"));
      expect(r.json).toMatchObject({ month: "2026-10", provisional: true, revision: 1 });
      expect(n(r.json.value)).toBe(h.oct1.value);
    });
  });

  describe("a restated fixing restates the settlement as a new revision; ?revision=N or ?as_of=ISO for an earlier one", () => {
    it("?revision=1 serves the first revision, provisional, with the one fixing it averaged", async () => {
      const r = await get(url("?month=2026-09&revision=1"));
      expect(r.json).toMatchObject({ revision: 1, provisional: true, reason: `fixing ${SEP_1} revision 1: initial` });
      expect(n(r.json.value)).toBe(h.sep1.value);
      expect(r.json.fixings.map((f: any) => [f.fixing_time, f.revision])).toEqual([[SEP_1, 1]]);
      expect(verifies(r.json)).toBe(true);
    });

    it("the revision before the restatement averaged the fixing's revision 1; the next one its revision 2", async () => {
      const before = await get(url("?month=2026-09&revision=2"));
      const after = await get(url("?month=2026-09&revision=3"));
      expect(n(before.json.value)).toBe(mean([h.sep1.value, h.sep2.value]));
      expect(before.json.fixings.map((f: any) => [f.fixing_time, f.revision])).toEqual([[SEP_1, 1], [SEP_2, 1]]);
      expect(n(after.json.value)).toBe(mean([h.sep1.value, h.sep2r2.value]));
      expect(after.json.fixings.map((f: any) => [f.fixing_time, f.revision])).toEqual([[SEP_1, 1], [SEP_2, 2]]);
      expect(after.json.reason).toBe(`fixing ${SEP_2} revision 2: late moonshot sheet`);
      expect(n(after.json.value)).not.toBe(n(before.json.value));
    });

    it("?as_of=ISO serves the revision current at that moment", async () => {
      const r2 = await get(url("?month=2026-09&revision=2"));
      const r = await get(url(`?month=2026-09&as_of=${encodeURIComponent(r2.json.computed_at)}`));
      expect(r.json.revision).toBe(2);
      const early = await get(url("?month=2026-09&as_of=2000-01-01T00:00:00Z"));
      expect(early.status).toBe(404);
      expect(early.json.error.code).toBe("not_found");
    });
  });

  describe("signed with Ed25519 over the ciyuan-settlement/1 text", () => {
    it("the stored signature verifies with node:crypto and names the key", async () => {
      const r = await get(url("?month=2026-09"));
      expect(r.json.signature).toMatchObject({ kid: testSigner.kid, alg: "Ed25519" });
      expect(verifies(r.json)).toBe(true);
      const tampered = { ...r.json, provisional: true };
      expect(verifies(tampered)).toBe(false);
    });

    it("a settlement stored unsigned is signed with the service's key when served", async () => {
      const r = await get(url("?month=2026-10"));
      expect(r.json.signature).toMatchObject({ kid: testSigner.kid, alg: "Ed25519" });
      expect(verifies(r.json)).toBe(true);
    });
  });

  describe("errors: 400 for bad parameters, 404 for an unknown index or a month with no settlement", () => {
    it.each([
      ["", "month"],
      ["?month=2026-9", "month"],
      ["?month=2026-13", "month"],
      ["?month=2026-00", "month"],
      ["?month=0000-01", "month"],
      ["?month=2026-09-01", "month"],
      ["?month=2026-09&revision=0", "revision"],
      ["?month=2026-09&revision=x", "revision"],
      ["?month=2026-09&as_of=yesterday", "as_of"],
      ["?month=2026-09&revision=1&as_of=2026-10-01T00:00:00Z", "revision or as_of"],
    ])("%s is a 400 naming %s", async (query, named) => {
      const r = await get(url(query));
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ error: { code: "bad_request", message: expect.stringContaining(named) } });
    });

    it("an unknown index is a 404 unknown_index", async () => {
      const r = await get(url("?month=2026-09", "NOPE"));
      expect(r.status).toBe(404);
      expect(r.json.error.code).toBe("unknown_index");
    });

    it("a month with no settlement is a 404 not_found, as is a revision that does not exist", async () => {
      for (const [query, code] of [["?month=2026-08", "CTPI"], ["?month=2026-09", "CTPI-IN"], ["?month=2026-09&revision=99", "CTPI"]] as const) {
        const r = await get(url(query, code));
        expect(r.status).toBe(404);
        expect(r.json).toEqual({ error: { code: "not_found", message: expect.stringContaining("no settlement") } });
      }
    });
  });
});
