// The fixing views the CLI shares with HTTP (`ciyuan fix`, `ciyuan show`).
import { beforeAll, describe, expect, it } from "vitest";
import { describeEachEngine } from "../support/engines.ts";
import { fixingJson, listFixings, listIndices, loadFixing, requireIndex, toJson } from "../../src/publish/index.ts";
import { CiyuanError } from "../../src/errors.ts";
import { BIG_TOKENS, seedHistory } from "./seed.ts";

describeEachEngine("publish: fixing views", (ctx) => {
  beforeAll(async () => {
    await seedHistory(ctx.db);
  });

  describe("loadFixing: the latest fixing of a kind, latest revision unless revision or asOf given", () => {
    it("without a fixing time gives the latest final fixing", async () => {
      const view = await loadFixing(ctx.db, { index: "CTPI", details: false });
      expect(view).toMatchObject({ fixingTime: "2026-10-01T08:00:00Z", revision: 1, status: "insufficient" });
      expect(view?.constituents).toBeUndefined();
    });

    it("without a fixing time but with asOf gives the latest fixing as known then", async () => {
      const view = await loadFixing(ctx.db, { index: "CTPI", asOf: "2026-09-30T12:00:00Z", details: false });
      expect(view).toMatchObject({ fixingTime: "2026-09-30T08:00:00Z", revision: 1, value: "2.400000" });
    });

    it("with details, the CLI prints the same object as the single fixing route", async () => {
      const view = await loadFixing(ctx.db, { index: "CTPI", fixingTime: "2026-09-29T08:00:00Z", details: true });
      const text = toJson(fixingJson(view!));
      expect(text).toContain(`"input_tokens":${BIG_TOKENS}`);
      expect(text).toContain(`"exclusions":[{"provider":"baidu"`);
      expect(toJson(fixingJson(view!), 2)).toContain(`\n  "index": "CTPI"`);
    });

    it("returns null when there is no such fixing, and refuses a malformed time", async () => {
      expect(await loadFixing(ctx.db, { index: "CTPI", fixingTime: "2026-09-29T08:00:01Z", details: true })).toBeNull();
      expect(await loadFixing(ctx.db, { index: "CTPI-IN", details: false })).toBeNull();
      await expect(loadFixing(ctx.db, { index: "CTPI", fixingTime: "2026-09-29", details: false })).rejects.toMatchObject({ code: "bad_request" });
    });
  });

  describe("listFixings: final fixings in range, oldest first, latest revision each", () => {
    it("yields them in order", async () => {
      const got = [];
      for await (const v of listFixings(ctx.db, { index: "CTPI", from: "2026-09-30" })) got.push([v.fixingTime, v.revision]);
      expect(got).toEqual([["2026-09-30T08:00:00Z", 2], ["2026-10-01T08:00:00Z", 1]]);
    });
  });

  describe("listIndices and requireIndex", () => {
    it("lists the latest definition of each index with its latest final value", async () => {
      const all = await listIndices(ctx.db);
      expect(all.map((i) => i.code)).toEqual(["CTPI", "CTPI-IN", "CTPI-OUT", "GTPI", "GTPI-IN", "GTPI-OUT"]);
      expect(all[0]!.latest).toEqual({ fixingTime: "2026-10-01T08:00:00Z", value: "2.410000", level: "1012.500000", status: "insufficient" });
    });

    it("requireIndex throws unknown_index for an unknown code", async () => {
      expect((await requireIndex(ctx.db, "CTPI")).currency).toBe("CNY");
      const err = await requireIndex(ctx.db, "NOPE").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CiyuanError);
      expect(err).toMatchObject({ code: "unknown_index", message: "unknown index: NOPE" });
    });
  });
});
