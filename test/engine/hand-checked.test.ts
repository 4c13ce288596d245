/**
 * Hand-checked numbers: the METHODOLOGY.md worked example, imported through the real
 * importers and fixed by the SQL engine, agrees with the independent reference calculator
 * (test/support/reference.ts, written out in expected.json) to the published decimal.
 */
import fs from "node:fs";
import { expect, it } from "vitest";
import { computeFixing } from "../../src/engine/index.ts";
import { importFxFile, importPriceFile, importUsageFile } from "../../src/normalise/index.ts";
import { loadFixing } from "../../src/publish/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { WORKED_EXAMPLE_INDICES, WORKED_EXAMPLE_TIMES, workedExampleFiles } from "../fixtures/worked-example/load.ts";

type Expected = {
  index: string;
  fixing_time: string;
  status: string;
  value: string;
  level: string;
  percentiles: { p25: string; p50: string; p75: string };
  constituents: { provider: string; model: string; weight: string; price: string; capped: boolean }[];
};
const expected: Expected[] = JSON.parse(fs.readFileSync(workedExampleFiles.expected, "utf8")).fixings;

describeEachEngine("Hand-checked numbers: the worked example agrees with an independent calculation", (ctx) => {
  it("imports the worked example's sheets, FX and usage", async () => {
    for (const f of workedExampleFiles.sheets) expect((await importPriceFile(ctx.db, f)).rejected).toEqual([]);
    await importFxFile(ctx.db, workedExampleFiles.fx);
    await importUsageFile(ctx.db, workedExampleFiles.usage);
    for (const at of WORKED_EXAMPLE_TIMES) {
      for (const index of WORKED_EXAMPLE_INDICES) await computeFixing(ctx.db, { index, at, kind: "final" });
    }
  });

  for (const e of expected) {
    it(`${e.index} at ${e.fixing_time}: value, level, percentiles and weights to 1e-6`, async () => {
      const view = await loadFixing(ctx.db, { index: e.index, fixingTime: e.fixing_time, details: true });
      expect(view).not.toBeNull();
      expect([view!.status, view!.value, view!.level]).toEqual([e.status, e.value, e.level]);
      expect([view!.p25, view!.p50, view!.p75]).toEqual([e.percentiles.p25, e.percentiles.p50, e.percentiles.p75]);
      const got = Object.fromEntries(view!.constituents!.map((c) => [`${c.provider}/${c.model}`, c]));
      expect(Object.keys(got).sort()).toEqual(e.constituents.map((c) => `${c.provider}/${c.model}`).sort());
      for (const c of e.constituents) {
        const g = got[`${c.provider}/${c.model}`]!;
        expect(Math.abs(Number(g.weight) - Number(c.weight))).toBeLessThanOrEqual(1e-8);
        expect(Math.abs(Number(g.price) - Number(c.price))).toBeLessThanOrEqual(1e-6);
        expect(g.capped).toBe(c.capped);
      }
    });
  }
});
