/**
 * The two-schedulers drill of issue 11: two `ciyuan start` on one Postgres, as two
 * Schedulers (src/schedule/scheduler.ts) on two connection pools of their own to one fresh
 * database, each with its own fake clock, over 200 simulated days. Asserts exactly one
 * final fixing per (index, T): one row per day, revision 1, no day missing, none extra;
 * likewise one indicative per 15-minute slot ticked, and one settlement revision per final.
 *
 *   DATABASE_URL=postgres://... node --import tsx scripts/drill-two-starts.ts [--days 200] [--seed N]
 *
 * Each simulated day: that day's usage arrives (and, every 25 days, a new price sheet of one
 * provider), then both schedulers tick at T - 1 min, T and T + 1 min (a cron tick every
 * minute, as startSchedule runs them), concurrently, their clocks up to 0.8 s apart. With
 * probability 1/20 a scheduler is down for the day, so the other computes the day alone
 * and it catches up on the next; with 1/50 both are, and both catch up together. Late data
 * (the recompute of the last days' finals before each final) runs as in production.
 * Prints the counts; exits 1 on any failed assertion.
 */
import { randomInt } from "node:crypto";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { migrate, openDatabase, type Database } from "../src/db/index.ts";
import { backfill } from "../src/engine/index.ts";
import { Scheduler, type TickReport } from "../src/schedule/index.ts";
import { generateKeyPem, signerFromPem } from "../src/signing/index.ts";
import { addFx, addSheet, addUsage, day } from "../test/support/seed.ts";
import { log, onCleanup, runMain } from "./bench/lib.ts";
import { DrillServer, withClient } from "./drill/postgres.ts";
import { Rng } from "./generate/index.ts";

const { values } = parseArgs({ options: { days: { type: "string", default: "200" }, seed: { type: "string" } } });
const DAYS = Number(values.days);
const seed = values.seed === undefined ? randomInt(1, 2 ** 31) : Number(values.seed);
if (!Number.isInteger(DAYS) || DAYS < 2) throw new Error("--days takes an integer >= 2");
if (!Number.isInteger(seed)) throw new Error("--seed takes an integer");
const serverUrl = process.env.DATABASE_URL;
if (!serverUrl || !/^postgres(ql)?:\/\//.test(serverUrl)) throw new Error("DATABASE_URL=postgres://... is required: the drill runs on Postgres");

const INDEX = "CTPI";
const START = "2026-03-01T08:00:00Z"; // 16:00 Asia/Shanghai
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
const rng = new Rng(seed);

/** The basket: 5 CN models at 3 providers, one quoting in USD per token. */
const MODELS: [provider: string, model: string, input: number, output: number, cached: number | null][] = [
  ["deepseek", "chat", 9_000_000_000, 5_000_000_000, 1_000_000_000],
  ["deepseek", "reasoner", 2_000_000_000, 500_000_000, null],
  ["moonshot", "k2", 1_000_000_000, 300_000_000, null],
  ["zhipu", "glm", 800_000_000, 200_000_000, null],
  ["zhipu", "glm-air", 500_000_000, 100_000_000, null],
];

async function seedPrices(database: Database): Promise<void> {
  const { db } = database;
  const asOf = iso(Date.parse(START) - 30 * DAY);
  await addFx(db, "USD", "7.1", asOf);
  await addSheet(db, { provider: "deepseek", as_of: asOf, models: [{ model: "chat", input: "2", cached_input: "0.2", output: "3" }, { model: "reasoner", input: "4", output: "16" }] });
  await addSheet(db, { provider: "moonshot", as_of: asOf, models: [{ model: "k2", input: "4", cached_input: "1", output: "16" }] });
  await addSheet(db, { provider: "zhipu", as_of: asOf, currency: "USD", unit: "per_token", models: [{ model: "glm", input: "0.0000006", output: "0.0000022" }, { model: "glm-air", input: "0.0000002", output: "0.0000011" }] });
}

/** The day's usage, each model's volume 70 %..130 % of its base, arriving before T. */
async function dayOfUsage(database: Database, t: string): Promise<void> {
  for (const [p, m, input, output, cached] of MODELS) {
    const k = rng.int(70, 130);
    const scaled = (n: number) => String(Math.floor((n / 100) * k));
    await addUsage(database.db, day(p, m, t, scaled(input), scaled(output), cached === null ? undefined : scaled(cached)));
  }
}

/** Every 25th day moonshot lists a new k2 price, 6 hours before T. */
async function maybeNewSheet(database: Database, d: number, t: string): Promise<void> {
  if (d === 0 || d % 25 !== 0) return;
  const input = (3 + (d % 4) * 0.5).toFixed(1);
  await addSheet(database.db, { provider: "moonshot", as_of: iso(Date.parse(t) - 6 * 3_600_000), models: [{ model: "k2", input, cached_input: "1", output: "16" }] });
}

type Totals = { ticks: number; finals: number; indicatives: number; lateData: number; skipped: number; failed: number };

function add(t: Totals, r: TickReport): void {
  t.ticks++;
  t.finals += r.computed.filter((f) => f.kind === "final").length;
  t.indicatives += r.computed.filter((f) => f.kind === "indicative").length;
  t.lateData += r.lateData.length;
  t.skipped += r.skipped;
  t.failed += r.failed;
}

async function main(): Promise<void> {
  const server = new DrillServer(serverUrl!);
  const name = await server.create();
  const url = server.urlOf(name);
  const a = await openDatabase({ databaseUrl: url });
  onCleanup(() => a.close());
  await migrate(a);
  const b = await openDatabase({ databaseUrl: url });
  onCleanup(() => b.close());
  await seedPrices(a);
  // What `ciyuan start` does before its schedule: the finals before the first day (here the
  // day before, on a week of usage), so the schedulers catch up from there.
  const signer = signerFromPem(generateKeyPem(), "drill key");
  const eve = Date.parse(START) - DAY;
  for (let k = 6; k >= 0; k--) await dayOfUsage(a, iso(eve - k * DAY));
  const before = iso(eve).slice(0, 10);
  await backfill(a.db, { index: INDEX, from: before, to: before, signer, now: new Date(eve + 60_000) });

  const errors: string[] = [];
  const logger = (who: string) =>
    pino({ level: "warn" }, { write: (line: string) => void errors.push(`${who}: ${line.trim().slice(0, 300)}`) });
  const clocks = { a: Date.parse(START), b: Date.parse(START) };
  const common = { indices: [INDEX], signer }; // the production catch-up window (60 days)
  const one = new Scheduler({ db: a.db, log: logger("a"), now: () => new Date(clocks.a), ...common });
  const two = new Scheduler({ db: b.db, log: logger("b"), now: () => new Date(clocks.b), ...common });
  const totals = { a: { ticks: 0, finals: 0, indicatives: 0, lateData: 0, skipped: 0, failed: 0 }, b: { ticks: 0, finals: 0, indicatives: 0, lateData: 0, skipped: 0, failed: 0 } };
  let aloneDays = 0;
  let bothDownDays = 0;
  let lastBothDown = false;
  const slots = new Set<string>();
  const started = performance.now();

  log(`drill-two-starts: ${DAYS} days from ${START}, seed ${seed}, database ${name}`);
  for (let d = 0; d < DAYS; d++) {
    const t = Date.parse(START) + d * DAY;
    await dayOfUsage(a, iso(t));
    await maybeNewSheet(a, d, iso(t));
    const downA = rng.chance(1, 20);
    const downB = rng.chance(1, 20);
    // Never two days running: a final missed by both is caught up on the next day, and one
    // day is what a gap this drill can close (the window is 60 days; the point is the race).
    const bothDown: boolean = !lastBothDown && rng.chance(1, 50);
    lastBothDown = bothDown;
    const upA = !downA && !bothDown;
    const upB = !downB && !bothDown;
    if (bothDown) bothDownDays++;
    else if (upA !== upB) aloneDays++;
    for (const minute of [-1, 0, 1]) {
      const at = t + minute * 60_000;
      clocks.a = at + rng.int(0, 800);
      clocks.b = at + rng.int(0, 800);
      const ticks: Promise<void>[] = [];
      if (upA) ticks.push(one.tick().then((r) => add(totals.a, r)));
      if (upB) ticks.push(two.tick().then((r) => add(totals.b, r)));
      if (ticks.length) slots.add(iso(Math.floor(at / 900_000) * 900_000));
      await Promise.all(ticks);
    }
    if ((d + 1) % 25 === 0) log(`  day ${d + 1}/${DAYS} (${iso(t)})`);
  }
  const seconds = (performance.now() - started) / 1000;
  await one.idle();
  await two.idle();

  const failures: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok) failures.push(what);
    log(`${ok ? "ok  " : "FAIL"} ${what}`);
  };
  const facts = await withClient(url, async (c) => {
    const finals = (
      await c.query<{ t: string; n: number; revisions: string; ok: number; signed: number }>(
        `SELECT to_char(fixing_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS t, count(*)::int AS n,
                string_agg(revision::text, ',' ORDER BY revision) AS revisions, count(*) FILTER (WHERE status = 'ok')::int AS ok,
                count(*) FILTER (WHERE EXISTS (SELECT 1 FROM fixing_signatures s WHERE s.fixing_id = f.id))::int AS signed
         FROM fixings f WHERE index_code = $1 AND kind = 'final' GROUP BY fixing_time ORDER BY fixing_time`,
        [INDEX],
      )
    ).rows;
    const indicatives = (
      await c.query<{ t: string; n: number; revisions: string }>(
        `SELECT to_char(fixing_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS t, count(*)::int AS n,
                string_agg(revision::text, ',' ORDER BY revision) AS revisions
         FROM fixings WHERE index_code = $1 AND kind = 'indicative' GROUP BY fixing_time ORDER BY fixing_time`,
        [INDEX],
      )
    ).rows;
    const months = (
      await c.query<{ month: string; revisions: number; latest_links: number; finals: number }>(
        `SELECT s.month, count(*)::int AS revisions,
                (SELECT count(*)::int FROM settlement_fixings sf WHERE sf.settlement_id = max(s.id)) AS latest_links,
                (SELECT count(*)::int FROM fixings f WHERE f.index_code = $1 AND f.kind = 'final'
                   AND to_char(f.fixing_time AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') = s.month) AS finals
         FROM settlements s WHERE s.index_code = $1 GROUP BY s.month ORDER BY s.month`,
        [INDEX],
      )
    ).rows;
    return { finals, indicatives, months };
  });

  const expected = [iso(eve), ...Array.from({ length: DAYS }, (_, d) => iso(Date.parse(START) + d * DAY))];
  const got = facts.finals.map((f) => f.t);
  const missing = expected.filter((t) => !got.includes(t));
  const extra = got.filter((t) => !expected.includes(t));
  const doubled = facts.finals.filter((f) => f.n !== 1);
  const notFirst = facts.finals.filter((f) => f.revisions !== "1");
  expect(missing.length === 0, `no day without its final (${missing.length} missing${missing.length ? `: ${missing.slice(0, 3).join(", ")}` : ""})`);
  expect(extra.length === 0, `no final outside the ${DAYS} days and the one before them (${extra.length})`);
  expect(doubled.length === 0, `exactly one final per T (${doubled.length} T with more than one row${doubled.length ? `: ${doubled[0]!.t} revisions ${doubled[0]!.revisions}` : ""})`);
  expect(notFirst.length === 0, `every final is revision 1 (${notFirst.length} not)`);
  expect(facts.finals.every((f) => f.ok === 1 && f.signed === 1), `every final is ok and signed (${facts.finals.filter((f) => f.ok === 1).length} ok, ${facts.finals.filter((f) => f.signed === 1).length} signed)`);
  const computed = totals.a.finals + totals.b.finals;
  expect(computed === DAYS, `the two schedulers computed ${DAYS} finals between them (${totals.a.finals} + ${totals.b.finals} = ${computed})`);
  expect(totals.a.lateData + totals.b.lateData === 0, `no late-data revision (the data arrive before each T): ${totals.a.lateData + totals.b.lateData}`);
  expect(totals.a.failed + totals.b.failed === 0 && errors.length === 0, `no tick failed, nothing logged at warn or above (${totals.a.failed + totals.b.failed} failed${errors.length ? `; ${errors[0]}` : ""})`);
  const indDoubled = facts.indicatives.filter((f) => f.n !== 1 || f.revisions !== "1");
  expect(indDoubled.length === 0 && facts.indicatives.length === slots.size, `exactly one indicative per slot ticked (${facts.indicatives.length} stored for ${slots.size} slots, ${indDoubled.length} with more than one row)`);
  const badMonths = facts.months.filter((m) => m.revisions !== m.finals || m.latest_links !== m.finals);
  expect(badMonths.length === 0, `each month's settlement: one revision per final, the latest averaging all its finals (${facts.months.map((m) => `${m.month} ${m.revisions}/${m.finals}`).join(", ")})`);

  console.log(
    [
      `drill-two-starts: two schedulers on one Postgres database (two connection pools), ${DAYS} simulated days from ${START}, seed ${seed}`,
      `  ticks: a ${totals.a.ticks}, b ${totals.b.ticks} (3 per day each when up; a alone or b alone on ${aloneDays} days, both down on ${bothDownDays})`,
      `  finals computed: a ${totals.a.finals}, b ${totals.b.finals}; skipped (the other had it): ${totals.a.skipped + totals.b.skipped}; failed: ${totals.a.failed + totals.b.failed}`,
      `  stored: ${facts.finals.length - 1} finals for ${DAYS} days (and the day before's, by backfill) (${doubled.length} T with two, ${notFirst.length} not revision 1, ${missing.length} missing); ${facts.indicatives.length} indicatives for ${slots.size} slots; ${facts.months.reduce((n, m) => n + m.revisions, 0)} settlement revisions over ${facts.months.length} months`,
      `  ${seconds.toFixed(0)} s`,
      failures.length === 0 ? "PASS" : `FAIL: ${failures.length} assertion(s):\n${failures.map((f) => `  - ${f}`).join("\n")}`,
    ].join("\n"),
  );
  if (failures.length > 0) process.exitCode = 1;
}

runMain(main);
