/**
 * One CTPI final fixing at full size (40 CN providers, 2,000 models, usage every 15 minutes:
 * 1,344,000 rows in the 7-day window, 1,536,000 in the file), against its floor: one
 * GROUP BY provider, model scan of the window's rows in a plain table loaded by COPY of the
 * same file (jit off, work_mem 256MB). Also the database growth per fixing
 * (pg_database_size before and after), and the wall time of `ciyuan fix`.
 *
 *   node --import tsx scripts/bench-fixing.ts [--runs 3] [--max-seconds 300] [--engine pglite|postgres|both] [--small] [--strict]
 *
 * The data go in through the CLI (`ciyuan import prices`, `ciyuan import usage`); the
 * timed fixings run in this process (`computeFixing`), so no CLI start-up is counted, each
 * right after a median of 3 floor scans: the figure is the median of the per-run ratios,
 * so a machine whose load drifts skews both sides alike. Each run after the first is a
 * new revision of the same fixing (reason "bench"); no new run starts once --max-seconds
 * of the engine's measuring are spent.
 */
import { DateTime } from "luxon";
import { sql } from "drizzle-orm";
import { computeFixing } from "../src/engine/index.ts";
import { FIXING_TIME, fixingDataset } from "./generate/index.ts";
import { copyUsageFile, productUsageTable, windowScan } from "./bench/floor.ts";
import {
  Budget,
  INFO,
  MB,
  Report,
  ciyuan,
  engineTitle,
  freshDatabase,
  intArg,
  log,
  mb,
  median,
  medianMs,
  ms,
  parseBenchArgs,
  ratio,
  runMain,
  scratchDir,
  timed,
  type EngineName,
  type CommonArgs,
} from "./bench/lib.ts";
import { describeFile, loadNotes, loadThroughCli, writeFiles, type Files } from "./bench/load.ts";

const INDEX = "CTPI";
const FLOOR_TABLE = "bench_usage_plain";
const TARGET_RATIO = 3;
const TARGET_GROWTH = 2 * MB;

const { common, values } = parseBenchArgs({ runs: { type: "string", default: "3" }, "max-seconds": { type: "string", default: "300" } });
const runs = intArg(values, "runs", 1, 20);
const maxSeconds = intArg(values, "max-seconds", 10, 36_000);

async function benchEngine(engine: EngineName, files: Files, expectedWindowRows: number, scratch: string, report: Report): Promise<void> {
  const block = report.block(engineTitle(engine, common));
  const target = await freshDatabase(engine, common, scratch, "fixing");
  block.note(loadNotes(await loadThroughCli(target, files)));

  const database = await target.open();
  const fixingMs: number[] = [];
  const floorMs: number[] = [];
  const ratios: number[] = [];
  const growth: number[] = [];
  try {
    log(`${target.label}: COPY into ${FLOOR_TABLE} (the floor's table)`);
    const copyMs = await copyUsageFile(target, database, FLOOR_TABLE, files.usage.path);
    await database.db.execute(sql.raw(`ANALYZE ${FLOOR_TABLE}`));
    if (engine === "postgres") {
      // What autovacuum does within a minute of an import anyway; it keeps autovacuum from
      // writing visibility and free-space maps in the middle of a growth measurement.
      await database.db.execute(sql`VACUUM (ANALYZE)`);
      block.note(`VACUUM (ANALYZE) of the database after the imports (autovacuum would, within a minute)`);
    }
    const scan = await windowScan(database, FLOOR_TABLE, FIXING_TIME);
    block.note(`floor table: COPY ${ms(copyMs)}; W(${FIXING_TIME}) = ${scan.groups} (provider, model), ${scan.rows.toLocaleString("en-US")} rows`);
    if (scan.rows !== expectedWindowRows) throw new Error(`the window holds ${scan.rows} rows, expected ${expectedWindowRows}`);

    const floor = () => medianMs(3, () => windowScan(database, FLOOR_TABLE, FIXING_TIME));
    await floor(); // warm-up: the table's pages into the cache

    const product = await productUsageTable(database);
    if (product) {
      const p = await medianMs(3, () => windowScan(database, product, FIXING_TIME));
      block.figure({ ...INFO, name: `same scan over the product's ${product} (median of 3)`, measured: ms(p) });
    }

    const budget = new Budget(maxSeconds);
    for (let i = 0; i < runs; i++) {
      if (i > 0 && budget.exhausted()) {
        block.note(`stopped after ${i} fixing(s): --max-seconds ${maxSeconds} spent`);
        break;
      }
      const b = await floor();
      const before = await target.databaseBytes(database);
      log(`${target.label}: fixing ${i + 1}/${runs} (floor ${ms(b)})`);
      const { ms: f, result } = await timed(() =>
        computeFixing(database.db, { index: INDEX, at: FIXING_TIME, kind: "final", reason: i === 0 ? undefined : `bench run ${i + 1}` }),
      );
      const after = await target.databaseBytes(database);
      log(`${target.label}:   ${ms(f)} = ${ratio(f / b)}, +${mb(after - before)}`);
      if (i === 0) {
        const r = result as unknown as { status?: string; value?: string | null; revision?: number };
        block.note(`fixing ${INDEX} at ${FIXING_TIME}: status ${r.status}, value ${r.value}, revision ${r.revision}`);
      }
      fixingMs.push(f);
      floorMs.push(b);
      ratios.push(f / b);
      growth.push(after - before);
    }
  } finally {
    await database.close();
  }

  block.figure({
    name: `one fixing / GROUP BY scan of W(T) (median of ${ratios.length} run${ratios.length === 1 ? "" : "s"})`,
    measured: ms(median(fixingMs)),
    baseline: ms(median(floorMs)),
    ratio: ratio(median(ratios)),
    target: `<= ${TARGET_RATIO}x`,
    pass: median(ratios) <= TARGET_RATIO,
  });
  if (ratios.length > 1) block.note(`per run: ${fixingMs.map((f, i) => `${ms(f)} / ${ms(floorMs[i]!)} = ${ratio(ratios[i]!)}`).join("; ")}`);

  // The command a user runs: start-up, migrate check, the fixing, signing, its JSON printed.
  const dirBefore = target.dirBytes();
  const before = await target.databaseBytes();
  log(`${target.label}: ciyuan fix --index ${INDEX} --at ${FIXING_TIME}`);
  const cli = await ciyuan(target, ["fix", "--index", INDEX, "--at", FIXING_TIME, "--reason", "bench: ciyuan fix"]);
  const after = await target.databaseBytes();
  const dirAfter = target.dirBytes();
  growth.push(after - before);
  const printed = JSON.parse(cli.stdout) as { status?: string; revision?: number; constituents?: unknown[]; exclusions?: unknown[] };
  block.note(
    `ciyuan fix printed revision ${printed.revision}, status ${printed.status}, ${printed.constituents?.length ?? "?"} constituents, ` +
      `${printed.exclusions?.length ?? "?"} exclusions, ${mb(cli.stdout.length)} of JSON`,
  );
  block.figure({
    ...INFO,
    name: "ciyuan fix wall time (start-up included) / floor",
    measured: ms(cli.ms),
    baseline: ms(median(floorMs)),
    ratio: ratio(cli.ms / median(floorMs)),
  });
  block.figure({ ...INFO, name: "ciyuan fix peak RSS (process tree)", measured: mb(cli.peakRssBytes) });

  const g = median(growth);
  block.figure({
    name: `database growth per fixing (pg_database_size, median of ${growth.length})`,
    measured: mb(g),
    baseline: "",
    ratio: "",
    target: `<= ${mb(TARGET_GROWTH)}`,
    pass: g <= TARGET_GROWTH,
  });
  block.note(`growth per fixing: ${growth.map((x) => mb(x)).join(", ")} (the last one: ciyuan fix)`);
  if (dirBefore !== null && dirAfter !== null) {
    block.figure({ ...INFO, name: "data directory growth over ciyuan fix (pg_wal left out)", measured: mb(dirAfter - dirBefore) });
  }
}

async function main(c: CommonArgs): Promise<void> {
  const scratch = scratchDir("ciyuan-bench-fixing");
  const ds = fixingDataset(c.seed, c.small ? { providers: 40, modelsPerProvider: 2 } : undefined);
  const files = await writeFiles(ds, scratch, "fixing");
  const expected = ds.providers.reduce((n, p) => n + p.models.length, 0) * 7 * 96;
  const report = new Report(
    [
      `bench-fixing: one ${INDEX} final fixing at ${FIXING_TIME} (${DateTime.fromISO(FIXING_TIME, { zone: "Asia/Shanghai" }).toFormat("HH:mm")} Asia/Shanghai)`,
      `data: ${ds.note}${c.small ? "  ** --small: NOT the issue's size, figures mean nothing **" : ""}`,
      describeFile("usage file", files.usage),
      describeFile("price file", files.prices),
      `floor: one GROUP BY provider, model scan of W(T) in a plain table (the CSV's columns, loaded by COPY), jit off, work_mem 256MB`,
    ].join("\n"),
  );
  for (const engine of c.engines) await benchEngine(engine, files, expected, scratch, report);
  report.print();
  if (c.strict && report.failed()) process.exitCode = 1;
}

runMain(() => main(common));
