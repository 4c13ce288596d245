/**
 * ciyuan verify, in process: a stored fixing evaluated again at its watermark, not from
 * what is in force now, with its inputs hash, numbers, exclusions and signature checked;
 * nothing stored.
 */
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { rows, type Db } from "../../src/db/index.ts";
import { approvePrice, computeFixing, verifyFixing, type Verification } from "../../src/engine/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { addFx, addSheet, addUsage, fixingRows } from "../support/seed.ts";
import { testSigner } from "../support/serve.ts";
import { rowCounts, tamper } from "../support/tamper.ts";
import { T, at, seedBasket, usage } from "./fixture.ts";

const sign = { signer: testSigner };
const lines = (v: Verification) => v.checks.map((c) => `${c.name}: ${c.detail}`);
const failed = (v: Verification) => v.checks.filter((c) => !c.ok).map((c) => c.name);

describeEachEngine("Verify: a stored fixing recomputed from the inputs stored for it matches its hash, numbers and signature", (ctx) => {
  it("a fixing just computed verifies: inputs_sha256 ok, numbers ok, signature ok with its kid", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const f = await computeFixing(db, { index: "CTPI", at: T, kind: "final", ...sign });
    const v = await verifyFixing(db, { index: "CTPI", at: T });
    expect(v).toMatchObject({ index: "CTPI", fixingTime: T, kind: "final", revision: f.revision, ok: true });
    expect(lines(v)).toEqual([
      `inputs_sha256: ok (${f.inputsSha256} at watermark ${f.inputsWatermark})`,
      expect.stringMatching(/^numbers: ok \(ok, value \d+\.\d{6}, 5 constituents\)$/),
      "exclusions: ok (0 exclusions with their reasons)",
      `signature: ok (kid ${testSigner.kid})`,
    ]);
  });

  it("verification stores nothing: the recompute's transaction is rolled back", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    await computeFixing(db, { index: "CTPI", at: T, kind: "final", ...sign });
    const before = await rowCounts(db);
    expect((await verifyFixing(db, { index: "CTPI", at: T })).ok).toBe(true);
    expect(await rowCounts(db)).toEqual(before);
  });

  it("data that arrived after the fixing (a backdated sheet, usage and FX corrections, an approval) does not change the recompute", async () => {
    const { db } = await ctx.fresh();
    const t = at(new Date().toISOString().slice(0, 10) + "T08:00:00Z", 1); // after now, so an approval made now is in force at t
    await seedBasket(db, t);
    await addSheet(db, { provider: "moonshot", as_of: at(t, -2), models: [{ model: "k2", input: "40", cached_input: "1", output: "16" }] });
    const now = new Date(Date.parse(t) + 60_000); // t is after the real clock: computed just after it
    const first = await computeFixing(db, { index: "CTPI", at: t, kind: "final", now, ...sign });
    expect((await fixingRows(db, first.id)).constituents.find((c) => c.model === "k2")!.held).toEqual(["input"]);

    await addSheet(db, { provider: "zhipu", as_of: at(t, -1), currency: "USD", unit: "per_token", models: [{ model: "glm", input: "0.0000009", output: "0.000003" }] });
    await addUsage(db, { provider: "deepseek", model: "chat", start: at(t, -1), end: t, input: "1", output: "1" });
    await addFx(db, "USD", "7.3", "2026-09-01T00:00:00Z");
    await approvePrice(db, { provider: "moonshot", model: "k2", asOf: at(t, -2) });
    const second = await computeFixing(db, { index: "CTPI", at: t, kind: "final", reason: "late data", now, ...sign });
    expect(second.value).not.toBe(first.value);

    const v1 = await verifyFixing(db, { index: "CTPI", at: t, revision: 1 });
    expect(lines(v1)).toEqual([
      `inputs_sha256: ok (${first.inputsSha256} at watermark ${first.inputsWatermark})`,
      expect.stringMatching(/^numbers: ok /),
      expect.stringMatching(/^exclusions: ok /),
      `signature: ok (kid ${testSigner.kid})`,
    ]);
    expect(v1.revision).toBe(1);
    const latest = await verifyFixing(db, { index: "CTPI", at: t });
    expect([latest.revision, latest.ok]).toEqual([2, true]);
  });

  it("the level is chained from the fixing stored as prev, even after that fixing is restated", async () => {
    const { db } = await ctx.fresh();
    const t2 = at(T, 1);
    await seedBasket(db);
    await computeFixing(db, { index: "CTPI", at: T, kind: "final", ...sign });
    await usage(db, t2);
    await addSheet(db, { provider: "moonshot", as_of: at(T, 0.5), models: [{ model: "k2", input: "3", cached_input: "1", output: "12" }] });
    const day2 = await computeFixing(db, { index: "CTPI", at: t2, kind: "final", ...sign });
    expect(day2.level).not.toBe("1000.000000");
    await addSheet(db, { provider: "deepseek", as_of: at(T, -0.5), models: [{ model: "chat", input: "2.5", cached_input: "0.2", output: "3" }, { model: "reasoner", input: "4", output: "16" }] });
    const restated = await computeFixing(db, { index: "CTPI", at: T, kind: "final", reason: "late sheet", ...sign });
    expect(restated.revision).toBe(2);
    expect((await verifyFixing(db, { index: "CTPI", at: t2 })).ok).toBe(true);
  });

  it("a price whose hold was decided by a sheet neither in force nor accepted recomputes the same (the hold was decided at import)", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db); // deepseek chat input 2 and reasoner input 4, as of 2026-09-01
    const b = await addSheet(db, { provider: "deepseek", as_of: "2026-09-10T00:00:00Z", models: [
      { model: "chat", input: "6", cached_input: "0.2", output: "3" }, // +200 %: held at 2
      { model: "reasoner", input: "5", output: "16" }, // accepted
    ] });
    await addSheet(db, { provider: "deepseek", as_of: "2026-09-20T00:00:00Z", models: [
      { model: "chat", input: "1.1", cached_input: "0.2", output: "3" }, // -45 % from 2: accepted (from 6 it would be held)
      { model: "reasoner", input: "50", output: "16" }, // held at 5: sheet b stays accepted
    ] });
    const f = await computeFixing(db, { index: "CTPI", at: T, kind: "final", ...sign });
    const { constituents } = await fixingRows(db, f.id);
    expect(constituents.find((c) => c.model === "chat")!.held).toEqual([]);
    expect(constituents.find((c) => c.model === "reasoner")!.held).toEqual(["input"]);
    expect(lines(await verifyFixing(db, { index: "CTPI", at: T }))).toEqual([
      expect.stringMatching(/^inputs_sha256: ok/), expect.stringMatching(/^numbers: ok/), expect.stringMatching(/^exclusions: ok/),
      expect.stringMatching(/^signature: ok/),
    ]);
    // reasoner's accepted input price comes from sheet b, which is not the sheet in force
    const [c] = await rows<{ price_sheet_ids: string[] }>(
      db,
      sql`SELECT price_sheet_ids::text[] AS price_sheet_ids FROM fixing_constituents WHERE fixing_id = ${f.id}::bigint AND model = 'reasoner'`,
    );
    expect(c!.price_sheet_ids[0]).toBe(b);
  });

  it("an insufficient fixing (value carried, null percentiles) verifies", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    await computeFixing(db, { index: "CTPI", at: T, kind: "final", ...sign });
    const later = at(T, 30); // no usage in the window: no constituents
    const f = await computeFixing(db, { index: "CTPI", at: later, kind: "final", ...sign });
    expect(f.status).toBe("insufficient");
    const v = await verifyFixing(db, { index: "CTPI", at: later });
    expect(lines(v)[1]).toMatch(/^numbers: ok \(insufficient, value \d+\.\d{6}, 0 constituents\)$/);
    expect(v.ok).toBe(true);
  });
});

describeEachEngine("Verify: a tampered input, number or signature fails its check", (ctx) => {
  async function fixed(): Promise<{ db: Db; id: string }> {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    const f = await computeFixing(db, { index: "CTPI", at: T, kind: "final", ...sign });
    return { db, id: f.id };
  }

  it("an accepted price changed in the database: the inputs hash and the numbers no longer match", async () => {
    const { db } = await fixed();
    await tamper(db, sql`UPDATE listing_states SET accepted_price = 20 WHERE model = 'k2' AND component = 'output'`);
    const v = await verifyFixing(db, { index: "CTPI", at: T });
    expect(failed(v)).toEqual(["inputs_sha256", "numbers"]);
    expect(lines(v)[1]).toMatch(/^numbers: mismatch: value stored \d+\.\d{6} != recomputed \d+\.\d{6}; .*constituent moonshot\/k2 .*price stored/);
  });

  it("a usage record changed in the database: the inputs hash no longer matches (one token moves no published digit)", async () => {
    const { db } = await fixed();
    await tamper(db, sql`UPDATE usage_records SET output_tokens = output_tokens + 1 WHERE model = 'glm'`);
    const v = await verifyFixing(db, { index: "CTPI", at: T });
    expect(failed(v)).toEqual(["inputs_sha256"]);
    expect(lines(v)[0]).toMatch(/^inputs_sha256: mismatch: stored [0-9a-f]{64} != recomputed [0-9a-f]{64}$/);
  });

  it("an FX rate removed from the database: the inputs hash, the numbers and the exclusions no longer match", async () => {
    const { db } = await fixed();
    await tamper(db, sql`DELETE FROM fx_rates WHERE currency = 'USD'`);
    const v = await verifyFixing(db, { index: "CTPI", at: T });
    expect(failed(v)).toEqual(["inputs_sha256", "numbers", "exclusions"]);
    expect(lines(v)[2]).toBe("exclusions: mismatch: zhipu/glm excluded on recompute (no_fx_rate) but not stored; zhipu/glm-air excluded on recompute (no_fx_rate) but not stored");
  });

  it("an exclusion added to the stored fixing: only the exclusions check fails, naming it and its reason", async () => {
    const { db, id } = await fixed();
    await tamper(db, sql`INSERT INTO fixing_exclusions (fixing_id, provider, model, reason) VALUES (${id}::bigint, 'ghost', 'm1', 'missing_price')`);
    const v = await verifyFixing(db, { index: "CTPI", at: T });
    expect(failed(v)).toEqual(["exclusions"]);
    expect(lines(v)[2]).toBe("exclusions: mismatch: ghost/m1 stored as missing_price but not excluded on recompute");
  });

  it("the stored value changed by one digit: numbers and signature fail", async () => {
    const { db, id } = await fixed();
    await tamper(db, sql`UPDATE fixings SET value = value + 0.000001 WHERE id = ${id}::bigint`);
    const v = await verifyFixing(db, { index: "CTPI", at: T });
    expect(failed(v)).toEqual(["numbers", "signature"]);
    expect(lines(v)[3]).toBe(`signature: mismatch: does not verify (kid ${testSigner.kid})`);
  });

  it("the stored signature changed: only the signature fails", async () => {
    const { db, id } = await fixed();
    await tamper(db, sql`UPDATE fixing_signatures SET sig = translate(sig, 'ABCabc', 'BCAbca') WHERE fixing_id = ${id}::bigint`);
    const v = await verifyFixing(db, { index: "CTPI", at: T });
    expect(failed(v)).toEqual(["signature"]);
  });

  it("a fixing stored without a signature fails: a missing signature is a failure", async () => {
    const { db } = await ctx.fresh();
    await seedBasket(db);
    await computeFixing(db, { index: "CTPI", at: T, kind: "final" });
    const v = await verifyFixing(db, { index: "CTPI", at: T });
    expect(failed(v)).toEqual(["signature"]);
    expect(lines(v)[3]).toBe("signature: missing: no signature stored for this revision");
  });

  it("an unknown index or a fixing that does not exist is an error, not a verification", async () => {
    const { db } = await fixed();
    await expect(verifyFixing(db, { index: "NOPE", at: T })).rejects.toThrow(/unknown index: NOPE/);
    await expect(verifyFixing(db, { index: "CTPI", at: at(T, 1) })).rejects.toThrow(/no final fixing of CTPI/);
    await expect(verifyFixing(db, { index: "CTPI", at: T, revision: 2 })).rejects.toThrow(/revision 2/);
  });
});
