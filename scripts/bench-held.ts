/**
 * Fixings with a long price history: five CN providers (50 models each), each with 800
 * successive hourly price sheets with small moves (at most 5 %, never near the 80 % hold
 * threshold), against the same providers with 50 sheets: the last 50 of those 800, so both
 * databases hold the same prices at T and must give the same fixing. Each set of sheets is
 * ONE CSV file loaded with `ciyuan import prices`; usage is the same file in both (every
 * 15 minutes for 8 days, 192,000 rows). Ratio = fixing time with 800 sheets / with 50
 * (target <= 1.5x).
 *
 *   node --import tsx scripts/bench-held.ts [--runs 5] [--max-seconds 300] [--cli-fix] [--engine pglite|postgres|both] [--small] [--strict]
 *
 * The timed fixings run in this process (`computeFixing`), alternating between the two
 * databases (50 then 800, 800 then 50, ...) so drifting machine load skews both alike; the figure is the
 * median of the per-pair ratios (at most --runs pairs after a warm-up pair, fewer when
 * --max-seconds of fixing per engine is spent). `ciyuan fix` on each is reported too,
 * unless the budget was spent (then only with --cli-fix).
 */
import path from "node:path";
import { computeFixing } from "../src/engine/index.ts";
import type { Database } from "../src/db/index.ts";
import { FIXING_TIME, heldDataset, writePriceSheets, writeUsage, type WrittenFile } from "./generate/index.ts";
import {
  Budget,
  INFO,
  Report,
  ciyuan,
  engineTitle,
  freshDatabase,
  intArg,
  log,
  median,
  ms,
  parseBenchArgs,
  ratio,
  runMain,
  scratchDir,
  timed,
  type CommonArgs,
  type EngineName,
  type Target,
} from "./bench/lib.ts";
import { describeFile } from "./bench/load.ts";

const INDEX = "CTPI";
const TARGET_RATIO = 1.5;
const LONG = 800;
const SHORT = 50;

const { common, values } = parseBenchArgs({
  runs: { type: "string", default: "5" },
  "max-seconds": { type: "string", default: "300" },
  "cli-fix": { type: "boolean", default: false },
});
const runs = intArg(values, "runs", 1, 50);
const maxSeconds = intArg(values, "max-seconds", 10, 36_000);

type Side = { sheets: number; file: WrittenFile; target?: Target; database?: Database; ms: number[]; value?: string | null; status?: string };

async function load(side: Side, engine: EngineName, usage: WrittenFile, scratch: string, block: ReturnType<Report["block"]>): Promise<void> {
  const target = await freshDatabase(engine, common, scratch, `held-${side.sheets}`);
  side.target = target;
  await ciyuan(target, ["migrate"]);
  log(`${target.label}: ciyuan import prices (${side.file.rows} rows, ${side.sheets * 5} sheets in one file)`);
  const prices = await ciyuan(target, ["import", "prices", side.file.path]);
  log(`${target.label}:   ${ms(prices.ms)}; ciyuan import usage`);
  const u = await ciyuan(target, ["import", "usage", usage.path]);
  block.note(`${side.sheets} sheets per provider: import prices ${ms(prices.ms)} (${prices.stderr.trim().split("\n").pop()}), import usage ${ms(u.ms)}`);
}

async function benchEngine(engine: EngineName, sides: Side[], usage: WrittenFile, scratch: string, report: Report): Promise<void> {
  const block = report.block(engineTitle(engine, common));
  let cliFix = values["cli-fix"] === true;
  for (const side of sides) {
    side.ms = [];
    await load(side, engine, usage, scratch, block);
  }
  try {
    for (const side of sides) side.database = await side.target!.open();
    const ratios: number[] = [];
    const budget = new Budget(maxSeconds);
    let warmupCounted = false;
    // Run 0 is a warm-up (first revision, cold caches), not counted unless the fixings are
    // so slow that it took a third of the time budget: then it is the one measured pair.
    // Pairs stop at --runs, or when the budget is spent.
    for (let i = 0; i <= runs; i++) {
      const pair: number[] = [];
      // Alternating which goes first, so neither always runs right after the other.
      for (const k of i % 2 ? [1, 0] : [0, 1]) {
        const side = sides[k]!;
        const { ms: t, result } = await timed(() =>
          computeFixing(side.database!.db, { index: INDEX, at: FIXING_TIME, kind: "final", reason: i === 0 ? undefined : `bench run ${i}` }),
        );
        const r = result as unknown as { status?: string; value?: string | null };
        side.value = r.value ?? null;
        side.status = r.status;
        pair[k] = t;
      }
      log(`${engine}: run ${i}/${runs}${i === 0 ? " (warm-up)" : ""}: ${SHORT} sheets ${ms(pair[0]!)}, ${LONG} sheets ${ms(pair[1]!)} = ${ratio(pair[1]! / pair[0]!)}`);
      if (i === 0 && budget.left() > (maxSeconds * 2) / 3) continue;
      if (i === 0) warmupCounted = true;
      sides.forEach((side, k) => side.ms.push(pair[k]!));
      ratios.push(pair[1]! / pair[0]!);
      if (budget.exhausted()) break;
    }
    // `ciyuan fix` on both, for information, unless that would double an over-long run.
    cliFix ||= !budget.exhausted();
    if (warmupCounted) block.note(`fixings too slow to repeat within --max-seconds ${maxSeconds}: the first (cold) pair is counted too`);
    const [short, long] = sides as [Side, Side];
    block.note(`fixing ${INDEX} at ${FIXING_TIME}: ${SHORT} sheets: status ${short.status}, value ${short.value}; ${LONG} sheets: status ${long.status}, value ${long.value}` +
      (short.value === long.value ? " (same value: yes)" : " ** values differ: the fixing depends on more than the prices in force **"));
    block.figure({
      name: `one fixing, ${LONG} sheets per provider / ${SHORT} (median of ${ratios.length} pair${ratios.length === 1 ? "" : "s"})`,
      measured: ms(median(long.ms)),
      baseline: ms(median(short.ms)),
      ratio: ratio(median(ratios)),
      target: `<= ${TARGET_RATIO}x`,
      pass: median(ratios) <= TARGET_RATIO,
    });
  } finally {
    for (const side of sides) await side.database?.close();
  }
  if (!cliFix) {
    block.note(`ciyuan fix left out: the fixings took more than --max-seconds ${maxSeconds} (--cli-fix runs it anyway)`);
    return;
  }
  const cli: number[] = [];
  for (const side of sides) {
    log(`${side.target!.label}: ciyuan fix`);
    cli.push((await ciyuan(side.target!, ["fix", "--index", INDEX, "--at", FIXING_TIME, "--reason", "bench: ciyuan fix"])).ms);
  }
  block.figure({ ...INFO, name: `ciyuan fix wall time, ${LONG} sheets / ${SHORT} (start-up included)`, measured: ms(cli[1]!), baseline: ms(cli[0]!), ratio: ratio(cli[1]! / cli[0]!) });
}

async function main(c: CommonArgs): Promise<void> {
  const scratch = scratchDir("ciyuan-bench-held");
  const models = c.small ? 5 : undefined;
  const long = heldDataset(LONG, LONG, c.seed, models);
  const short = heldDataset(SHORT, LONG, c.seed, models);
  log(`generating: ${long.note}`);
  const usage = await writeUsage(path.join(scratch, "held-usage.csv"), long.providers, long.usage);
  const sides: Side[] = [
    { sheets: SHORT, file: await writePriceSheets(path.join(scratch, `held-${SHORT}.csv`), short.providers, short.prices), ms: [] },
    { sheets: LONG, file: await writePriceSheets(path.join(scratch, `held-${LONG}.csv`), long.providers, long.prices), ms: [] },
  ];
  const report = new Report(
    [
      `bench-held: ${INDEX} fixing at ${FIXING_TIME} with ${LONG} vs ${SHORT} stored hourly sheets on each of five providers`,
      `data: ${long.note}${c.small ? "  ** --small: NOT the issue's size, figures mean nothing **" : ""}`,
      describeFile("usage file", usage),
      describeFile(`prices, ${SHORT} sheets per provider`, sides[0]!.file),
      describeFile(`prices, ${LONG} sheets per provider`, sides[1]!.file),
    ].join("\n"),
  );
  for (const engine of c.engines) await benchEngine(engine, sides, usage, scratch, report);
  report.print();
  if (c.strict && report.failed()) process.exitCode = 1;
}

runMain(() => main(common));
