/**
 * `ciyuan backfill` of 60 days against 30 days ending on the same day, on two copies of one
 * database (40 CN providers, 2,000 models, usage for the 60 fixings' windows). A fixing's
 * cost should not grow with the fixings before it: target 60 days / 30 days <= 2.2x.
 *
 *   node --import tsx scripts/bench-backfill.ts [--period 240] [--engine pglite|postgres|both] [--small] [--strict]
 *
 * --period: minutes between a model's usage records. The issue's size is 15 (12.9M rows
 * for 67 days); the default, 240, keeps today's run to minutes (804,000 rows, 84,000 per
 * window); the output says which was used. Both backfills run through the CLI; the figure
 * takes off each one's command overhead (start-up, open, migrate check, close), measured
 * as `ciyuan migrate` on the same database right before (least of 3), so a slow start-up
 * does not flatter the ratio. The raw wall-time ratio is printed too.
 */
import { backfillDataset, dayBefore, FIXING_DAY } from "./generate/index.ts";
import {
  INFO,
  Report,
  ciyuan,
  engineTitle,
  freshDatabase,
  intArg,
  log,
  ms,
  parseBenchArgs,
  ratio,
  runMain,
  scratchDir,
  type CommonArgs,
  type EngineName,
} from "./bench/lib.ts";
import { describeFile, loadNotes, loadThroughCli, writeFiles, type Files } from "./bench/load.ts";

const INDEX = "CTPI";
const TARGET_RATIO = 2.2;
const SHORT = 30;
const LONG = 60;

const { common, values } = parseBenchArgs({ period: { type: "string", default: "240" } });
const period = intArg(values, "period", 15, 1440);

async function benchEngine(engine: EngineName, files: Files, scratch: string, report: Report): Promise<void> {
  const block = report.block(engineTitle(engine, common));
  const base = await freshDatabase(engine, common, scratch, "backfill");
  block.note(loadNotes(await loadThroughCli(base, files)));
  const short = await base.clone(`${SHORT}d`);

  // What any command costs before and after its work (start-up, open, migrate check,
  // close): `ciyuan migrate` on the same, already migrated database, the least of 3 (load
  // from other processes only ever adds to it).
  const overhead = async (target: typeof base) => {
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) runs.push((await ciyuan(target, ["migrate"])).ms);
    return { least: Math.min(...runs), runs };
  };
  const backfill = async (days: number, target: typeof base) => {
    const from = dayBefore(days - 1);
    const o = await overhead(target);
    const fixed = o.least;
    log(`${target.label}: ciyuan backfill --index ${INDEX} --from ${from} --to ${FIXING_DAY} (command overhead ${o.runs.map((x) => ms(x)).join(", ")})`);
    const run = await ciyuan(target, ["backfill", "--index", INDEX, "--from", from, "--to", FIXING_DAY]);
    log(`${target.label}:   ${ms(run.ms)}`);
    block.note(
      `backfill ${days} days (${from}..${FIXING_DAY}): ${ms(run.ms)} wall, of which ~${ms(fixed)} command overhead ` +
        `(ciyuan migrate: ${o.runs.map((x) => ms(x)).join(", ")}); it said: ${run.stderr.trim().split("\n").pop()}`,
    );
    return { wall: run.ms, work: Math.max(1, run.ms - fixed) };
  };
  const t30 = await backfill(SHORT, short);
  const t60 = await backfill(LONG, base);
  block.figure({
    name: `backfill ${LONG} days / ${SHORT} days (command overhead taken off)`,
    measured: ms(t60.work),
    baseline: ms(t30.work),
    ratio: ratio(t60.work / t30.work),
    target: `<= ${TARGET_RATIO}x`,
    pass: t60.work / t30.work <= TARGET_RATIO,
  });
  block.figure({ ...INFO, name: `backfill ${LONG} days / ${SHORT} days, wall times`, measured: ms(t60.wall), baseline: ms(t30.wall), ratio: ratio(t60.wall / t30.wall) });
  block.figure({ ...INFO, name: "per fixing", measured: ms(t60.work / LONG), baseline: ms(t30.work / SHORT), ratio: ratio(t60.work / LONG / (t30.work / SHORT)) });
}

async function main(c: CommonArgs): Promise<void> {
  const scratch = scratchDir("ciyuan-bench-backfill");
  const ds = backfillDataset(LONG, period, c.seed, c.small ? { providers: 40, modelsPerProvider: 2 } : undefined);
  const files = await writeFiles(ds, scratch, "backfill");
  const reduced = period === 15 ? "" : `  ** usage every ${period} min, not 15: per-model frequency reduced to keep the run to minutes (--period 15 for the full size) **`;
  const report = new Report(
    [
      `bench-backfill: ciyuan backfill --index ${INDEX}, ${LONG} vs ${SHORT} days ending ${FIXING_DAY}`,
      `data: ${ds.note}${reduced}${c.small ? "  ** --small: NOT the issue's size **" : ""}`,
      describeFile("usage file", files.usage),
      describeFile("price file", files.prices),
    ].join("\n"),
  );
  for (const engine of c.engines) await benchEngine(engine, files, scratch, report);
  report.print();
  if (c.strict && report.failed()) process.exitCode = 1;
}

runMain(() => main(common));
