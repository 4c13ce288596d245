/**
 * Issue 11's malformed-input drill, small: 300 fuzzed price, usage and FX files (the
 * generator of scripts/drill-inputs.ts, fixed seed) through the importers. Each is accepted
 * or rejected with a one-line error naming the file; a rejected file stores nothing; an
 * accepted one stores exactly what its outcome reports. The full drill is 10,000 files:
 * `node --import tsx scripts/drill-inputs.ts`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { formatSummary, runInputDrill } from "../../scripts/drill-inputs-check.ts";
import { NOT_TEXT } from "../../src/sources/index.ts";
import { describeEachEngine } from "../support/engines.ts";

const SEED = 20261101;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describeEachEngine("malformed input drill: 300 fuzzed files", (ctx) => {
  it("no crash, no partial write, every error one line naming its file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-drill-"));
    dirs.push(dir);
    const s = await runInputDrill(ctx.db, { count: 300, seed: SEED, dir });
    const report = formatSummary(s).join("\n");
    expect(s.crashes, report).toBe(0);
    expect(s.partialWrites, report).toBe(0);
    expect(s.unnamed, report).toBe(0);
    // The drill reached both sides of every gate it is about.
    expect(s.files).toBe(300);
    expect(Object.values(s.byKind).every((n) => n > 50), report).toBe(true);
    expect(s.accepted, report).toBeGreaterThan(20);
    expect(s.rejected, report).toBeGreaterThan(150);
    expect(s.reasons.get(NOT_TEXT), report).toBeGreaterThan(50);
  });
});
