/**
 * The kill drill of issue 11: `ciyuan import usage` and `ciyuan backfill` killed with
 * SIGKILL at random moments on Postgres, N trials each (default 50), every trial on a fresh
 * copy of a prepared database. After each kill, once the killed session is gone from the
 * server:
 *
 *   import usage  the file's records are all stored or none (its payload, its batch, its
 *                 rows and the table's total agree); a final fixing computed now, and one
 *                 computed while the import ran, equal the fixing before the import or the
 *                 one after a whole import (inputs hash and every number), never a third;
 *                 `ciyuan verify` of the fixing exits 0; a rerun exits 0, stores every
 *                 record, and the fixing then equals the one after.
 *   backfill      the stored finals are the oldest days of the range with no gap, each
 *                 revision 1, whole (constituent rows = constituent_count, providers =
 *                 provider_count, signed) and equal to the same day of an uninterrupted
 *                 backfill (inputs hash and every number); the month's settlement is absent
 *                 or equal to the uninterrupted one; `ciyuan verify` of one stored final
 *                 exits 0; a rerun exits 0 and leaves exactly what the uninterrupted run did.
 *
 *   DATABASE_URL=postgres://... node --import tsx scripts/drill-kill.ts [--trials 50] [--seed N] [--kinds import,backfill]
 *
 * Prints, per command, the trials, how many were killed before the commit, after it (or, for
 * backfill, between its commits), how many finished before the kill, the inconsistencies
 * (each one named) and the seconds; exits 1 on any inconsistency. The kills take turns:
 * uniform in 0..1.1x of the command's uninterrupted wall time, uniform in its last fifth,
 * and 0..20 ms after its last commit is seen in the database (see Pace). The draws come
 * from a PRNG seeded by --seed (printed; random when not given): the same seed draws the
 * same fractions, scaled by the run lengths measured on the day.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomInt } from "node:crypto";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type pg from "pg";
import { openDatabase } from "../src/db/index.ts";
import { computeFixing } from "../src/engine/index.ts";
import { generateKeyPem, signerFromPem } from "../src/signing/index.ts";
import { CLI, ROOT, log, ms, onCleanup, runMain, runProcess, scratchDir, type Run } from "./bench/lib.ts";
import { DrillServer, fingerprint, finals, incomplete, settlements, withClient, type Fingerprint, type SettlementRow } from "./drill/postgres.ts";
import { FIXING_DAY, FIXING_TIME, Rng, T_MS, dayBefore, universe, writePriceSheets, writeUsage, type WrittenFile } from "./generate/index.ts";

const INDEX = "CTPI";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DATA_SEED = "ciyuan-drill-kill-1";

const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "50" },
    seed: { type: "string" },
    kinds: { type: "string", default: "import,backfill" },
    days: { type: "string", default: "30" },
    verbose: { type: "boolean", default: false },
  },
});
const trials = Number(values.trials);
const seed = values.seed === undefined ? randomInt(1, 2 ** 31) : Number(values.seed);
const days = Number(values.days);
const kinds = values.kinds.split(",");
if (!Number.isInteger(trials) || trials < 1) throw new Error("--trials takes a positive integer");
if (!Number.isInteger(seed)) throw new Error("--seed takes an integer");
if (!Number.isInteger(days) || days < 2 || days > 60) throw new Error("--days takes an integer in 2..60");
if (kinds.some((k) => k !== "import" && k !== "backfill")) throw new Error("--kinds: import, backfill or both");
const serverUrl = process.env.DATABASE_URL;
if (!serverUrl || !/^postgres(ql)?:\/\//.test(serverUrl)) throw new Error("DATABASE_URL=postgres://... is required: the drill runs on Postgres");

const server = new DrillServer(serverUrl);
const rng = new Rng(seed);
/** --verbose: the time of each step of a trial, on stderr. */
function stopwatch(): (step: string) => void {
  let last = performance.now();
  return (step) => {
    const now = performance.now();
    if (values.verbose) log(`  ${step} ${ms(now - last)}`);
    last = now;
  };
}

/** A delay in [0, maxMs] from the seeded PRNG. */
const draw = (maxMs: number) => Math.floor((rng.u32() / 2 ** 32) * maxMs);

/**
 * When trial i kills its command, by turns: `uniform` anywhere in 0..1.1x of an
 * uninterrupted run; `late` in its last fifth (0.8x..1.05x), where the commits end; `commit`
 * 0..20 ms after the drill sees the command's last commit in the database (polled every
 * 5 ms), since a command exits within milliseconds of it and a timed kill rarely lands
 * there. An uninterrupted run's length is the median of the last five measured: the first
 * run, runs that finished before their kill, and the moments a last commit was seen (the
 * machine's load changes during a drill).
 */
type Plan = { mode: "uniform" | "late" | "commit"; delayMs: number };

class Pace {
  private readonly samples: number[];
  constructor(first: number) {
    this.samples = [first];
  }
  add(msTaken: number): void {
    this.samples.push(msTaken);
  }
  /** The median of the last five. */
  wholeMs(): number {
    const last = this.samples.slice(-5).sort((a, b) => a - b);
    return last[Math.floor(last.length / 2)]!;
  }
  plan(i: number): Plan {
    const whole = this.wholeMs();
    if (i % 3 === 0) return { mode: "uniform", delayMs: draw(whole * 1.1) };
    if (i % 3 === 1) return { mode: "late", delayMs: Math.floor(whole * 0.8) + draw(whole * 0.25) };
    return { mode: "commit", delayMs: draw(20) };
  }
}

const describePlan = (p: Plan) => (p.mode === "commit" ? `${ms(p.delayMs)} after its last commit was seen` : `at ${ms(p.delayMs)} (${p.mode})`);

// ---------------------------------------------------------------- the CLI, whole or killed

const PEM = generateKeyPem();
const signer = signerFromPem(PEM, "drill key");
let home = "";

function env(db: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: server.urlOf(db), CIYUAN_DATA_DIR: home, CIYUAN_SIGNING_KEY: PEM, LOG_LEVEL: "warn" };
  delete e.NODE_OPTIONS;
  delete e.TEST_DATABASE_URL;
  return e;
}

async function ciyuan(db: string, args: string[]): Promise<Run> {
  return runProcess(process.execPath, [CLI, ...args], { env: env(db), sampleMs: 1000 });
}

async function ciyuanOk(db: string, args: string[]): Promise<Run> {
  const run = await ciyuan(db, args);
  if (run.code !== 0) throw new Error(`ciyuan ${args.join(" ")} exited ${run.code ?? run.signal}: ${run.stderr.trim().split("\n").slice(-5).join(" / ")}`);
  return run;
}

const living = new Set<ChildProcess>();
onCleanup(() => {
  for (const c of living) c.kill("SIGKILL");
});

type Killed = { code: number | null; signal: NodeJS.Signals | null; ms: number; stderr: string; seenCommitMs: number | null };

/**
 * Runs `ciyuan ARGS` and sends it SIGKILL as planned unless it has exited by then; a
 * `commit` plan polls `lastCommit` (a query true once the command's last commit is
 * visible) on a connection of its own, closed before this returns.
 */
async function runKilled(db: string, args: string[], plan: Plan, lastCommit: string): Promise<Killed> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { env: env(db), cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  living.add(child);
  const err: Buffer[] = [];
  child.stderr!.on("data", (b: Buffer) => err.push(b));
  let running = true;
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      running = false;
      living.delete(child);
      resolve([code, signal]);
    });
  });
  let timer: NodeJS.Timeout | undefined;
  let seenCommitMs: number | null = null;
  if (plan.mode !== "commit") {
    timer = setTimeout(() => child.kill("SIGKILL"), plan.delayMs);
  } else {
    await withClient(server.urlOf(db), async (c) => {
      while (running) {
        const r = await c.query<{ seen: boolean }>(lastCommit);
        if (r.rows[0]!.seen) {
          seenCommitMs = performance.now() - started;
          timer = setTimeout(() => child.kill("SIGKILL"), plan.delayMs);
          return;
        }
        await new Promise((res) => setTimeout(res, 5));
      }
    });
  }
  const [code, signal] = await closed;
  clearTimeout(timer);
  return { code, signal, ms: performance.now() - started, stderr: Buffer.concat(err).toString("utf8"), seenCommitMs };
}

/** What an uninterrupted run's length is learnt from: a run that finished, or its last commit seen. */
function learn(pace: Pace, run: Killed): void {
  if (run.signal === null && run.code === 0) pace.add(run.ms);
  else if (run.seenCommitMs !== null) pace.add(run.seenCommitMs);
}

/** A final fixing of INDEX at T computed in this process (signed), as `ciyuan fix` does. */
async function fixNow(db: string, at: string): Promise<string> {
  const database = await openDatabase({ databaseUrl: server.urlOf(db) });
  try {
    return (await computeFixing(database.db, { index: INDEX, at, kind: "final", reason: "drill", signer })).id;
  } finally {
    await database.close();
  }
}

const same = (a: Fingerprint, b: Fingerprint) => a.numbers === b.numbers && a.hash === b.hash;

// ---------------------------------------------------------------- the tally

type Tally = {
  kind: string;
  what: string;
  referenceMs: number;
  /** The uninterrupted run's length as last estimated (Pace). */
  finalMs: number;
  trials: number;
  counts: Record<string, number>;
  problems: string[];
  trialMs: number[];
  seconds: number;
};

function tally(kind: string, what: string, referenceMs: number): Tally {
  return { kind, what, referenceMs, finalMs: referenceMs, trials: 0, counts: {}, problems: [], trialMs: [], seconds: 0 };
}

const bump = (t: Tally, key: string) => void (t.counts[key] = (t.counts[key] ?? 0) + 1);

/** Runs one trial; a thrown error is an inconsistency of that trial, not the end of the drill. */
async function trial(t: Tally, i: number, fn: (problem: (text: string) => void) => Promise<string>): Promise<void> {
  const started = performance.now();
  const problems: string[] = [];
  let outcome = "error";
  try {
    outcome = await fn((text) => problems.push(text));
  } catch (err) {
    problems.push(`threw: ${err instanceof Error ? err.message : String(err)}`);
  }
  const took = performance.now() - started;
  t.trials++;
  t.trialMs.push(took);
  bump(t, outcome);
  for (const p of problems) t.problems.push(`trial ${i + 1}: ${p}`);
  log(`${t.kind} ${i + 1}/${trials}: ${outcome}${problems.length ? `, ${problems.length} PROBLEM(S): ${problems.join("; ")}` : ""} (${ms(took)})`);
}

// ---------------------------------------------------------------- data

type Data = { prices: WrittenFile; before: WrittenFile; file: WrittenFile; history: WrittenFile };

/** 10 CN providers x 20 models; usage of the fixing's window in two files, and of `days` windows. */
async function writeData(dir: string): Promise<Data> {
  const providers = universe({ seed: DATA_SEED, providers: 10, modelsPerProvider: 20 });
  const at = (name: string) => path.join(dir, name);
  const prices = await writePriceSheets(at("prices.csv"), providers, { seed: DATA_SEED, sheets: 4, firstAsOfMs: T_MS - 93 * DAY, stepMs: 30 * DAY });
  // The window W(T) = (T - 7 d, T] in two files: hourly figures up to T - 3 d already
  // stored, then the import drilled: 5-minute figures from T - 3 d to T + 2 h.
  const before = await writeUsage(at("usage-before.csv"), providers, { seed: DATA_SEED, startMs: T_MS - 7 * DAY - 22 * HOUR, endMs: T_MS - 3 * DAY, periodMinutes: 60 });
  const file = await writeUsage(at("usage-drilled.csv"), providers, { seed: DATA_SEED, startMs: T_MS - 3 * DAY, endMs: T_MS + 2 * HOUR, periodMinutes: 5 });
  // Two-hourly figures for the windows of `days` daily finals ending at T.
  const history = await writeUsage(at("usage-history.csv"), providers, {
    seed: DATA_SEED,
    startMs: T_MS - (days - 1) * DAY - 7 * DAY - 22 * HOUR,
    endMs: T_MS + 2 * HOUR,
    periodMinutes: 120,
  });
  return { prices, before, file, history };
}

// ---------------------------------------------------------------- import usage

type UsageState = { payloads: number; fileRows: number; total: number; batches: number };

async function usageState(client: pg.Client, location: string): Promise<UsageState> {
  const r = await client.query<UsageState>(
    `SELECT (SELECT count(*)::int FROM payloads WHERE kind = 'usage' AND location = $1) AS payloads,
            (SELECT count(*)::int FROM usage_records u JOIN payloads p ON p.id = u.payload_id WHERE p.location = $1) AS "fileRows",
            (SELECT count(*)::int FROM usage_records) AS total,
            (SELECT count(*)::int FROM input_batches WHERE kind = 'usage') AS batches`,
    [location],
  );
  return r.rows[0]!;
}

async function drillImport(data: Data): Promise<Tally> {
  const base = await server.create();
  await ciyuanOk(base, ["migrate"]);
  await ciyuanOk(base, ["import", "prices", data.prices.path]);
  await ciyuanOk(base, ["import", "usage", data.before.path]);
  const fileArgs = ["import", "usage", data.file.path];

  // The fixing before the import, and after a whole one (timed: the kills' range).
  const beforeDb = await server.create(base);
  const before = await withClient(server.urlOf(beforeDb), async (c) => fingerprint(c, await fixNow(beforeDb, FIXING_TIME)));
  await server.drop(beforeDb);
  const afterDb = await server.create(base);
  const whole = await ciyuanOk(afterDb, fileArgs);
  const after = await withClient(server.urlOf(afterDb), async (c) => fingerprint(c, await fixNow(afterDb, FIXING_TIME)));
  const stateBefore = await withClient(server.urlOf(base), (c) => usageState(c, data.file.path));
  const stateAfter = await withClient(server.urlOf(afterDb), (c) => usageState(c, data.file.path));
  await server.drop(afterDb);
  if (before.numbers === after.numbers) throw new Error("the drilled file does not change the fixing: the drill would prove nothing");
  if (stateAfter.fileRows !== data.file.rows) throw new Error(`a whole import stored ${stateAfter.fileRows} of ${data.file.rows} records`);
  log(`import: uninterrupted ${ms(whole.ms)}; fixing before ${before.numbers.split(" ").slice(0, 2).join(" ")}, after ${after.numbers.split(" ").slice(0, 2).join(" ")}`);

  const t = tally("import usage", `ciyuan import usage of a ${data.file.rows.toLocaleString("en-US")}-row file`, whole.ms);
  const drillStarted = performance.now();
  const pace = new Pace(whole.ms);
  const lastCommit = `SELECT EXISTS (SELECT 1 FROM payloads WHERE kind = 'usage' AND location = '${data.file.path.replace(/'/g, "''")}') AS seen`;
  for (let i = 0; i < trials; i++) {
    const plan = pace.plan(i);
    const during = draw(plan.mode === "commit" ? pace.wholeMs() : plan.delayMs);
    await trial(t, i, async (problem) => {
      const lap = stopwatch();
      const db = await server.create(base);
      lap("copy of the prepared database");
      try {
        // A fixing computed while the import runs, started `during` ms after it.
        let duringId: Promise<string | null> = Promise.resolve(null);
        const killed = runKilled(db, fileArgs, plan, lastCommit);
        duringId = new Promise((r) => setTimeout(r, during)).then(() => fixNow(db, FIXING_TIME));
        const run = await killed;
        learn(pace, run);
        const concurrent = await duringId.catch((err: unknown) => {
          problem(`the fixing during the import threw: ${err instanceof Error ? err.message : String(err)}`);
          return null;
        });
        lap(`import killed ${describePlan(plan)} (fixing during it from ${ms(during)})`);
        await server.waitIdle(db);
        lap("its session gone");
        const finished = run.signal === null;
        if (finished && run.code !== 0) problem(`exited ${run.code} before the kill: ${run.stderr.trim().split("\n").pop()}`);

        return await withClient(server.urlOf(db), async (c) => {
          const s = await usageState(c, data.file.path);
          const none = s.payloads === 0 && s.fileRows === 0 && s.total === stateBefore.total && s.batches === stateBefore.batches;
          const all = s.payloads === 1 && s.fileRows === data.file.rows && s.total === stateAfter.total && s.batches === stateAfter.batches;
          if (!none && !all) problem(`partial import: ${JSON.stringify(s)} (none: ${JSON.stringify(stateBefore)}, all: ${JSON.stringify(stateAfter)})`);
          if (finished && !all) problem("exited 0 but the file is not stored");

          lap("state checked");
          const now = await fingerprint(c, await fixNow(db, FIXING_TIME));
          lap("fixing computed");
          const expected = all ? after : before;
          if (!same(now, expected)) {
            problem(same(now, all ? before : after) ? "the fixing equals the other state's" : `a third fixing: ${now.numbers.slice(0, 60)}`);
          }
          if (concurrent !== null) {
            const f = await fingerprint(c, concurrent);
            if (!same(f, before) && !same(f, after)) problem(`the fixing during the import is a third: ${f.numbers.slice(0, 60)}`);
          }
          const verify = await ciyuan(db, ["verify", "--index", INDEX, "--at", FIXING_TIME]);
          if (verify.code !== 0) problem(`ciyuan verify exited ${verify.code}: ${verify.stderr.trim().split("\n").join(" / ")}`);
          lap("ciyuan verify");

          const rerun = await ciyuan(db, fileArgs);
          lap("rerun");
          if (rerun.code !== 0) problem(`the rerun exited ${rerun.code}: ${rerun.stderr.trim()}`);
          const r = await usageState(c, data.file.path);
          if (r.fileRows !== data.file.rows || r.total !== stateAfter.total) problem(`after the rerun: ${JSON.stringify(r)}`);
          const again = await fingerprint(c, await fixNow(db, FIXING_TIME));
          if (again.numbers !== after.numbers) problem("after the rerun the fixing differs from the one after a whole import");
          lap("fixing after the rerun");
          return finished ? "finished before the kill" : all ? "killed after the commit" : "killed before the commit";
        });
      } finally {
        await server.drop(db);
      }
    });
  }
  t.seconds = (performance.now() - drillStarted) / 1000;
  t.finalMs = pace.wholeMs();
  await server.drop(base);
  return t;
}

// ---------------------------------------------------------------- backfill

function rangeDays(): string[] {
  const out: string[] = [];
  for (let d = days - 1; d >= 0; d--) out.push(dayBefore(d));
  return out;
}

/** Settlement rows as compared: everything but ids and times. */
const settlementKey = (s: SettlementRow[]) => JSON.stringify(s.map(({ month, revision, value, provisional, fixing_count, links, dangling, signed }) => [month, revision, value, provisional, fixing_count, links, dangling, signed]));

async function drillBackfill(data: Data): Promise<Tally> {
  const base = await server.create();
  await ciyuanOk(base, ["migrate"]);
  await ciyuanOk(base, ["import", "prices", data.prices.path]);
  await ciyuanOk(base, ["import", "usage", data.history.path]);
  const from = dayBefore(days - 1);
  const args = ["backfill", "--index", INDEX, "--from", from, "--to", FIXING_DAY];
  const expectedTimes = rangeDays().map((d) => `${d}T08:00:00Z`);

  const refDb = await server.create(base);
  const whole = await ciyuanOk(refDb, args);
  const reference = await withClient(server.urlOf(refDb), async (c) => {
    const rows = await finals(c, INDEX);
    const prints = new Map<string, Fingerprint>();
    for (const f of rows) prints.set(f.t, await fingerprint(c, f.id));
    return { rows, prints, settlements: await settlements(c, INDEX) };
  });
  await server.drop(refDb);
  if (reference.rows.map((f) => f.t).join() !== expectedTimes.join()) throw new Error(`the uninterrupted backfill stored ${reference.rows.length} finals, not the ${days} days of the range`);
  if (reference.settlements.length === 0) throw new Error("the uninterrupted backfill stored no settlement");
  log(`backfill: uninterrupted ${ms(whole.ms)}: ${reference.rows.length} finals, ${reference.settlements.length} settlement revision(s)`);

  const t = tally("backfill", `ciyuan backfill --index ${INDEX} --from ${from} --to ${FIXING_DAY} (${days} days)`, whole.ms);
  const drillStarted = performance.now();
  const pace = new Pace(whole.ms);
  // The month's settlement, stored after the range's last final.
  const lastCommit = "SELECT EXISTS (SELECT 1 FROM settlements) AS seen";
  for (let i = 0; i < trials; i++) {
    const plan = pace.plan(i);
    const pick = rng.u32();
    await trial(t, i, async (problem) => {
      const lap = stopwatch();
      const db = await server.create(base);
      lap("copy of the prepared database");
      try {
        const run = await runKilled(db, args, plan, lastCommit);
        learn(pace, run);
        lap(`backfill killed ${describePlan(plan)}`);
        await server.waitIdle(db);
        lap("its session gone");
        const finished = run.signal === null;
        if (finished && run.code !== 0) problem(`exited ${run.code} before the kill: ${run.stderr.trim().split("\n").pop()}`);

        return await withClient(server.urlOf(db), async (c) => {
          const check = async (when: string, wholeRange: boolean) => {
            const rows = await finals(c, INDEX);
            const times = rows.map((f) => f.t);
            if (new Set(times).size !== times.length) problem(`${when}: two revisions of one final`);
            for (const f of rows) {
              if (f.revision !== 1) problem(`${when}: ${f.t} has revision ${f.revision}`);
              const bad = incomplete(f);
              if (bad) problem(`${when}: ${bad}`);
              const ref = reference.prints.get(f.t);
              if (!ref) problem(`${when}: a final outside the range: ${f.t}`);
              else if (!same(await fingerprint(c, f.id), ref)) problem(`${when}: ${f.t} differs from the uninterrupted backfill's`);
            }
            const prefix = expectedTimes.slice(0, times.length);
            if (times.join() !== prefix.join()) problem(`${when}: the stored days are not the oldest of the range in order (${times.length} stored)`);
            if (wholeRange && times.length !== days) problem(`${when}: ${times.length} of ${days} days stored`);
            const s = await settlements(c, INDEX);
            if (s.length > 0 && settlementKey(s) !== settlementKey(reference.settlements)) problem(`${when}: settlement ${settlementKey(s)}, uninterrupted ${settlementKey(reference.settlements)}`);
            if (wholeRange && s.length === 0) problem(`${when}: no settlement`);
            return { rows, settled: s.length > 0 };
          };
          const after = await check("after the kill", finished);
          lap("state checked");
          if (after.rows.length > 0) {
            const f = after.rows[pick % after.rows.length]!;
            const verify = await ciyuan(db, ["verify", "--index", INDEX, "--at", f.t]);
            if (verify.code !== 0) problem(`ciyuan verify --at ${f.t} exited ${verify.code}: ${verify.stderr.trim().split("\n").join(" / ")}`);
          }
          lap("ciyuan verify");
          const rerun = await ciyuan(db, args);
          if (rerun.code !== 0) problem(`the rerun exited ${rerun.code}: ${rerun.stderr.trim().split("\n").pop()}`);
          lap("rerun");
          await check("after the rerun", true);
          lap("state checked");
          const n = after.rows.length;
          if (finished) return "finished before the kill";
          if (n === 0) return "killed before the first commit";
          if (n < days) return "killed between commits";
          return after.settled ? "killed after the last commit" : "killed before the settlement's commit";
        });
      } finally {
        await server.drop(db);
      }
    });
  }
  t.seconds = (performance.now() - drillStarted) / 1000;
  t.finalMs = pace.wholeMs();
  await server.drop(base);
  return t;
}

// ---------------------------------------------------------------- main

function report(t: Tally): string[] {
  const sorted = [...t.trialMs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const lines = [
    `${t.kind}: ${t.what}`,
    `  uninterrupted run ${ms(t.referenceMs)} at first, ${ms(t.finalMs)} at the end (median of the last five measured);`,
    `  kills by turns: uniform in 0..1.1x of it, in 0.8x..1.05x of it, 0..20 ms after the last commit was seen`,
    `  trials ${t.trials}: ${Object.entries(t.counts)
      .sort()
      .map(([k, n]) => `${k} ${n}`)
      .join(", ")}`,
    `  inconsistencies ${t.problems.length}`,
    `  ${t.seconds.toFixed(0)} s (median trial ${ms(median)}, longest ${ms(sorted.at(-1) ?? 0)})`,
  ];
  for (const p of t.problems.slice(0, 20)) lines.push(`  PROBLEM ${p}`);
  return lines;
}

async function main(): Promise<void> {
  const scratch = scratchDir("ciyuan-drill-kill");
  home = path.join(scratch, "home");
  const version = await server.admin(async (c) => (await c.query<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version);
  const where = new URL(serverUrl!);
  // The compiled command line starts in a third of the time the sources take through tsx.
  await runProcess(process.execPath, [path.join(ROOT, "src/cli/build.js")]);
  log(`drill-kill: seed ${seed}, ${trials} trials per command, Postgres ${version} at ${where.hostname}:${where.port || 5432}`);
  const data = await writeData(scratch);
  const tallies: Tally[] = [];
  if (kinds.includes("import")) tallies.push(await drillImport(data));
  if (kinds.includes("backfill")) tallies.push(await drillBackfill(data));
  const lines = [
    `drill-kill: SIGKILL at random moments, seed ${seed} (rerun with --seed ${seed}), Postgres ${version} at ${where.hostname}:${where.port || 5432}`,
    `data: 10 CN providers x 20 models; prices ${data.prices.rows} rows; usage before ${data.before.rows.toLocaleString("en-US")} rows, drilled file ${data.file.rows.toLocaleString("en-US")} rows, backfill history ${data.history.rows.toLocaleString("en-US")} rows`,
    ...tallies.flatMap(report),
  ];
  const failed = tallies.reduce((n, t) => n + t.problems.length, 0);
  lines.push(failed === 0 ? "PASS: no inconsistency" : `FAIL: ${failed} inconsistencies`);
  console.log(lines.join("\n"));
  if (failed > 0) process.exitCode = 1;
}

runMain(main);
