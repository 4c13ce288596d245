/**
 * The malformed-input drill of issue 11: fuzzed price, usage and FX files (fast-check
 * mutations of real valid files, drill-inputs-gen.ts) imported one by one as `ciyuan import`
 * reads them; each must be accepted or rejected with a one-line error naming the file, and
 * a rejected file must leave nothing stored (drill-inputs-check.ts). Prints a summary and
 * exits 1 on any crash, partial write or error not naming its file.
 *
 *   node --import tsx scripts/drill-inputs.ts [--count 10000] [--seed 20261101]
 *
 * On a fresh in-memory PGlite database, or on the database of DATABASE_URL when it is set
 * (it is written to: give it a scratch database). Reproduce one file with its --seed; the
 * files of problems are kept in the directory printed.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { migrate, openDatabase } from "../src/db/index.ts";
import { formatSummary, runInputDrill } from "./drill-inputs-check.ts";

const { values } = parseArgs({ options: { count: { type: "string", default: "10000" }, seed: { type: "string", default: "20261101" } } });
const count = Number(values.count);
const seed = Number(values.seed);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed)) throw new Error("--count and --seed take integers");

const databaseUrl = process.env.DATABASE_URL || undefined;
const database = await openDatabase(databaseUrl ? { databaseUrl } : { dataDir: ":memory:" });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-drill-inputs-"));
let failed = true;
try {
  await migrate(database);
  const engine = databaseUrl ? `postgres (${new URL(databaseUrl).pathname.slice(1)})` : "pglite (in memory)";
  process.stderr.write(`drill-inputs: ${count} files, seed ${seed}, on ${engine}\n`);
  const summary = await runInputDrill(database.db, {
    count,
    seed,
    dir,
    onProgress: (done, s) => {
      if (done % 1000 === 0 && done < count) process.stderr.write(`  ${done} files, ${s.crashes + s.partialWrites + s.unnamed} problems so far\n`);
    },
  });
  console.log(`drill-inputs on ${engine}, seed ${seed}`);
  for (const line of formatSummary(summary)) console.log(line);
  failed = summary.crashes + summary.partialWrites + summary.unnamed > 0;
  if (failed) console.log(`files of the problems kept in ${dir}`);
} finally {
  await database.close();
  if (!failed) fs.rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
