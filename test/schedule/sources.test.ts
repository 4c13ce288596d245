/**
 * "Each source on its `every`": scheduleSources on real node-cron timers (every second
 * here, so the test waits a few seconds), against the local misbehaving server.
 */
import { Writable } from "node:stream";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { rows, type Db } from "../../src/db/index.ts";
import { scheduleSources } from "../../src/schedule/index.ts";
import { parseSourcesConfig } from "../../src/sources/config.ts";
import { describeEachEngine } from "../support/engines.ts";
import { startMisbehavingServer, type MisbehavingServer } from "../support/misbehaving-server.ts";

const ECB_FILE = "real/fx/ecb/eurofxref-daily.2026-07-06.xml";

let server: MisbehavingServer;
beforeAll(async () => {
  server = await startMisbehavingServer();
});
afterAll(async () => {
  await server.close();
});

function capture() {
  const lines: { level: number; msg: string; source?: string; outcome?: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString("utf8").split("\n")) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: pino({ level: "info" }, stream), lines };
}

const runsOf = async (db: Db, source: string) =>
  rows<{ outcome: string; started_at: string }>(db, sql`select outcome, started_at::text from source_runs where source = ${source} order by id`);

describeEachEngine("Each source on its every: runs at start and on its cron; a failing or slow source never stops the others", (ctx) => {
  it("every second for about 3.5 s: the good and the failing source each run at start and then on the timer, a hanging one never overlaps itself", async () => {
    const { db } = await ctx.fresh();
    server.reset();
    const config = parseSourcesConfig("test", {
      schema: "ciyuan.sources/1",
      sources: [
        { name: "ecb", kind: "ecb", url: server.url(`/files/${ECB_FILE}`), every: "* * * * * *", retries: 0 },
        { name: "gone", kind: "fx", url: server.url("/status/404"), every: "* * * * * *", retries: 0 },
        { name: "slow", kind: "fx", url: server.url("/hang"), every: "* * * * * *", timeout_ms: 2500, retries: 0 },
      ],
    });
    const { log, lines } = capture();
    const running = scheduleSources(db, config.sources, log);
    await running.ready;
    await new Promise((r) => setTimeout(r, 3500));
    await running.stop();

    const ecb = await runsOf(db, "ecb");
    const gone = await runsOf(db, "gone");
    const slow = await runsOf(db, "slow");
    expect(ecb.length).toBeGreaterThanOrEqual(3);
    expect(ecb[0]!.outcome).toBe("ok");
    expect(ecb.slice(1).every((r) => r.outcome === "ok" || r.outcome === "not_modified")).toBe(true);
    expect(gone.length).toBeGreaterThanOrEqual(3);
    expect(gone.every((r) => r.outcome === "failed")).toBe(true);
    // 2.5 s per attempt (start-up run, then the timer): never two at once.
    expect(server.attempts("/hang")).toBeLessThanOrEqual(3);
    expect(slow.every((r) => r.outcome === "failed")).toBe(true);
    // One log line per run, JSON, failures as warnings; a fetch still hanging when the
    // schedule stops is abandoned, logged as stopped and not recorded as a run.
    const collectLines = lines.filter((l) => l.msg.startsWith("collect: ") && l.outcome !== "stopped");
    expect(collectLines).toHaveLength(ecb.length + gone.length + slow.length);
    const stopped = lines.filter((l) => l.outcome === "stopped");
    for (const l of stopped) expect(l.msg).toBe(`collect: ${l.source}: stopped (the service is shutting down)`);
    expect(collectLines.filter((l) => l.source === "gone").every((l) => l.level === 40 && l.msg === "collect: gone: failed: HTTP 404")).toBe(true);

    // Stopped: no run after stop().
    const after = (await runsOf(db, "ecb")).length + (await runsOf(db, "gone")).length;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await runsOf(db, "ecb")).length + (await runsOf(db, "gone")).length).toBe(after);
  }, 60_000);
});
