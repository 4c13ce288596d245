/**
 * CLI start-up: `ciyuan show --index CTPI` (wall time and peak RSS of its whole process
 * tree) against `node -e ''` measured in the same run. The database holds the full market
 * (40 CN providers, 2,000 models: one usage record per model per day, enough for a fixing
 * of 2,000 constituents) and one stored CTPI fixing, so `show` prints a real one.
 * Targets are absolute: < 0.5 s and < 120 MB; the ratios say how much of that is Node.
 *
 *   node --import tsx scripts/bench-startup.ts [--runs 10] [--engine pglite|postgres|both] [--small] [--strict]
 *
 * The two commands alternate (one warm-up each, not counted); figures are medians.
 */
import { FIXING_TIME, startupDataset } from "./generate/index.ts";
import {
  MB,
  Report,
  bareNode,
  ciyuan,
  engineTitle,
  freshDatabase,
  intArg,
  log,
  mb,
  median,
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
const TARGET_MS = 500;
const TARGET_RSS = 120 * MB;

const { common, values } = parseBenchArgs({ runs: { type: "string", default: "10" } });
const runs = intArg(values, "runs", 1, 100);

async function benchEngine(engine: EngineName, files: Files, scratch: string, report: Report): Promise<void> {
  const block = report.block(engineTitle(engine, common));
  const target = await freshDatabase(engine, common, scratch, "startup");
  block.note(loadNotes(await loadThroughCli(target, files)));
  log(`${target.label}: ciyuan fix --index ${INDEX} --at ${FIXING_TIME}`);
  const fix = await ciyuan(target, ["fix", "--index", INDEX, "--at", FIXING_TIME]);
  const fixed = JSON.parse(fix.stdout) as { status?: string; constituents?: unknown[] };
  block.note(`one fixing stored (ciyuan fix ${ms(fix.ms)}): status ${fixed.status}, ${fixed.constituents?.length ?? "?"} constituents`);

  const show = { ms: [] as number[], rss: [] as number[], bytes: 0 };
  const node = { ms: [] as number[], rss: [] as number[] };
  for (let i = 0; i <= runs; i++) {
    const n = await bareNode();
    const s = await ciyuan(target, ["show", "--index", INDEX]);
    if (i === 0) {
      const shown = JSON.parse(s.stdout) as { fixing_time?: string };
      if (shown.fixing_time === undefined) throw new Error("ciyuan show printed no fixing");
      show.bytes = s.stdout.length;
      continue; // warm-up
    }
    node.ms.push(n.ms);
    node.rss.push(n.peakRssBytes);
    show.ms.push(s.ms);
    show.rss.push(s.peakRssBytes);
    log(`${engine}: run ${i}/${runs}: show ${ms(s.ms)} ${mb(s.peakRssBytes)}, node -e '' ${ms(n.ms)} ${mb(n.peakRssBytes)}`);
  }
  const t = median(show.ms);
  const r = median(show.rss);
  block.note(`ciyuan show printed ${mb(show.bytes)} of JSON; runs: ${show.ms.map((x) => ms(x)).join(", ")}`);
  block.figure({
    name: `ciyuan show --index ${INDEX}: wall time (median of ${runs})`,
    measured: ms(t),
    baseline: ms(median(node.ms)),
    ratio: ratio(t / median(node.ms)),
    target: `< ${ms(TARGET_MS)}`,
    pass: t < TARGET_MS,
  });
  block.figure({
    name: `ciyuan show --index ${INDEX}: peak RSS, process tree (median of ${runs})`,
    measured: mb(r),
    baseline: mb(median(node.rss)),
    ratio: ratio(r / median(node.rss)),
    target: `< ${mb(TARGET_RSS)}`,
    pass: r < TARGET_RSS,
  });
}

async function main(c: CommonArgs): Promise<void> {
  const scratch = scratchDir("ciyuan-bench-startup");
  const ds = startupDataset(c.seed, c.small ? { providers: 40, modelsPerProvider: 2 } : undefined);
  const files = await writeFiles(ds, scratch, "startup");
  const report = new Report(
    [
      `bench-startup: ciyuan show --index ${INDEX} vs node -e '' (baseline: what any Node process costs on this machine now)`,
      `data: ${ds.note}${c.small ? "  ** --small: NOT the issue's size **" : ""}`,
      describeFile("usage file", files.usage),
      describeFile("price file", files.prices),
    ].join("\n"),
  );
  for (const engine of c.engines) await benchEngine(engine, files, scratch, report);
  report.print();
  if (c.strict && report.failed()) process.exitCode = 1;
}

runMain(() => main(common));
