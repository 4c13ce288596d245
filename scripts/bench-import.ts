/**
 * `ciyuan import usage FILE` of a 1,536,000-row usage CSV (40 CN providers x 50 models,
 * every 15 minutes for 8 days), against a plain COPY of the same file into a table of the
 * same columns (Postgres: `psql \copy`, i.e. COPY FROM STDIN; PGlite: COPY FROM '/dev/blob'
 * in this process). Throughput ratio = COPY time / import time (target >= 0.5), and the
 * importer's peak RSS over its whole process tree (VmRSS sampled every 20 ms, never below
 * each process's VmHWM; target <= 250 MB).
 *
 *   node --import tsx scripts/bench-import.ts [--engine pglite|postgres|both] [--small] [--strict]
 *
 * The import runs on a fresh, migrated database (`ciyuan migrate` first, not timed); its
 * wall time includes the CLI's start-up. The COPY runs into a fresh database of its own,
 * once before and once after the import: the baseline is their mean.
 */
import { fixingDataset } from "./generate/index.ts";
import { copyUsageFile } from "./bench/floor.ts";
import {
  INFO,
  MB,
  Report,
  bareNode,
  ciyuan,
  engineTitle,
  freshDatabase,
  log,
  mb,
  ms,
  parseBenchArgs,
  ratio,
  runMain,
  scratchDir,
  type CommonArgs,
  type EngineName,
  type Target,
} from "./bench/lib.ts";
import { describeFile, writeFiles } from "./bench/load.ts";
import type { WrittenFile } from "./generate/index.ts";

const TARGET_THROUGHPUT = 0.5;
const TARGET_RSS = 250 * MB;

const { common } = parseBenchArgs({});

/** One COPY of the file into a new table of a database that only the bench uses. */
async function copyOnce(target: Target, file: string, n: number): Promise<number> {
  const table = `bench_copy_${n}`;
  if (target.engine === "postgres") return copyUsageFile(target, undefined, table, file);
  const database = await target.open();
  try {
    return await copyUsageFile(target, database, table, file);
  } finally {
    await database.close();
  }
}

async function benchEngine(engine: EngineName, usage: WrittenFile, scratch: string, report: Report): Promise<void> {
  const block = report.block(engineTitle(engine, common));
  const copyTarget = await freshDatabase(engine, common, scratch, "copy");
  const importTarget = await freshDatabase(engine, common, scratch, "import");
  await ciyuan(importTarget, ["migrate"]);

  log(`${engine}: COPY 1/2`);
  const copy1 = await copyOnce(copyTarget, usage.path, 1);
  log(`${engine}:   ${ms(copy1)}; ciyuan import usage (${usage.rows} rows)`);
  const run = await ciyuan(importTarget, ["import", "usage", usage.path]);
  log(`${engine}:   ${ms(run.ms)}, peak RSS ${mb(run.peakRssBytes)}; COPY 2/2`);
  const copy2 = await copyOnce(copyTarget, usage.path, 2);
  log(`${engine}:   ${ms(copy2)}`);
  const node = await bareNode();

  const copyMs = (copy1 + copy2) / 2;
  const last = run.stderr.trim().split("\n").pop() ?? "";
  block.note(`ciyuan import usage said: ${last}`);
  block.note(`COPY runs: ${ms(copy1)}, ${ms(copy2)}; import ${Math.round(usage.rows / (run.ms / 1000)).toLocaleString("en-US")} rows/s, COPY ${Math.round(usage.rows / (copyMs / 1000)).toLocaleString("en-US")} rows/s`);
  block.figure({
    name: "import usage throughput vs COPY of the same file (COPY time / import time)",
    measured: ms(run.ms),
    baseline: ms(copyMs),
    ratio: ratio(copyMs / run.ms),
    target: `>= ${TARGET_THROUGHPUT}x`,
    pass: copyMs / run.ms >= TARGET_THROUGHPUT,
  });
  block.figure({
    name: "importer peak RSS, whole process tree",
    measured: mb(run.peakRssBytes),
    baseline: mb(node.peakRssBytes),
    ratio: ratio(run.peakRssBytes / node.peakRssBytes),
    target: `<= ${mb(TARGET_RSS)}`,
    pass: run.peakRssBytes <= TARGET_RSS,
  });
  block.note(`RSS baseline: node -e '' (${mb(node.peakRssBytes)}); the target is absolute`);
  const size = await importTarget.databaseBytes();
  block.figure({ ...INFO, name: "database size after the import (pg_database_size)", measured: mb(size) });
}

async function main(c: CommonArgs): Promise<void> {
  const scratch = scratchDir("ciyuan-bench-import");
  const ds = fixingDataset(c.seed, c.small ? { providers: 40, modelsPerProvider: 2 } : undefined);
  const files = await writeFiles(ds, scratch, "import");
  const report = new Report(
    [
      `bench-import: ciyuan import usage of one CSV file vs COPY of the same file`,
      `data: ${ds.note}${c.small ? "  ** --small: NOT the issue's size, figures mean nothing **" : ""}`,
      describeFile("usage file", files.usage),
    ].join("\n"),
  );
  for (const engine of c.engines) await benchEngine(engine, files.usage, scratch, report);
  report.print();
  if (c.strict && report.failed()) process.exitCode = 1;
}

runMain(() => main(common));
