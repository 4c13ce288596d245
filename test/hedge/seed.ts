/**
 * Settlement prices for the hedge desk tests, computed by the real engine: five CN
 * constituents at three providers, every model listed at the same price (input = output),
 * so each final fixing's value is that day's list price and a month's settlement is the
 * mean of its days' prices. Prices, usage and fixings go in the way the engine tests put
 * them (test/support/seed.ts), then the engine's backfill computes the finals and settles
 * each month; nothing is written into the settlements table by hand.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { migrate, openDatabase, type Database, type Db } from "../../src/db/index.ts";
import { backfill, computeFixing } from "../../src/engine/index.ts";
import { freshCliEnv, type EngineName } from "../support/engines.ts";
import { addSheet, addUsage, day } from "../support/seed.ts";

const MODELS: [string, string[]][] = [
  ["deepseek", ["chat", "reasoner"]],
  ["moonshot", ["k2"]],
  ["zhipu", ["glm", "glm-air"]],
];

/** A month's list prices: `price` from its 1st, or [day, price] changes within the month. */
export type MonthPrices = { month: string; price: string | [number, string][] };

const DAY_MS = 86_400_000;
/** 16:00 Asia/Shanghai on a date: the CTPI family's final fixing time. */
const finalAt = (date: string) => `${date}T08:00:00Z`;
const pad = (n: number) => String(n).padStart(2, "0");
const lastDay = (month: string) => {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
};

/** The list prices, and a day of usage ending every third day (the usage window is 7 days). */
export async function seedPrices(db: Db, months: MonthPrices[]): Promise<void> {
  for (const { month, price } of months) {
    const changes = typeof price === "string" ? [[1, price] as [number, string]] : price;
    for (const [d, p] of changes) {
      for (const [provider, models] of MODELS) {
        await addSheet(db, { provider, as_of: `${month}-${pad(d)}T00:00:00+08:00`, models: models.map((model) => ({ model, input: p, output: p })) });
      }
    }
  }
  const first = Date.parse(finalAt(`${months[0]!.month}-01`)) - 6 * DAY_MS;
  const last = Date.parse(finalAt(`${months.at(-1)!.month}-${lastDay(months.at(-1)!.month)}`));
  for (let t = first; t <= last; t += 3 * DAY_MS) {
    const end = new Date(t).toISOString().replace(".000Z", "Z");
    for (const [provider, models] of MODELS) {
      for (const model of models) await addUsage(db, day(provider, model, end, "1000000000", "300000000"));
    }
  }
}

/**
 * Final fixings for every day of the months up to `until` (YYYY-MM-DD; default their last
 * day) except `skip` (YYYY-MM-DD dates), by the engine's backfill, one run of days at a
 * time, each run settling its month. Each run is computed on the clock of the next month's
 * 1st (00:00 UTC): after its fixings and before the month's cut-off, as a scheduler running
 * at the time would have, so a month settled twice gets a second revision.
 */
export async function seedDailySettlements(db: Db, months: MonthPrices[], opts: { skip?: string[]; until?: string } = {}): Promise<void> {
  await seedPrices(db, months);
  const skip = new Set(opts.skip ?? []);
  for (const { month } of months) {
    const [y, m] = month.split("-").map(Number) as [number, number];
    const now = new Date(Date.UTC(y, m, 1));
    let run: string[] = [];
    const flush = async () => {
      if (run.length > 0) await backfill(db, { index: "CTPI", from: run[0]!, to: run.at(-1)!, now });
      run = [];
    };
    for (let d = 1; d <= lastDay(month); d++) {
      const date = `${month}-${pad(d)}`;
      if (opts.until !== undefined && date > opts.until) break;
      if (skip.has(date)) await flush();
      else run.push(date);
    }
    await flush();
  }
}

/** One final fixing per month, on its last day (the month settles on it, not provisional): quick, for tests that need few fixings. */
export async function seedMonthEndSettlements(db: Db, months: MonthPrices[]): Promise<void> {
  await seedPrices(db, months);
  for (const { month } of months) {
    await computeFixing(db, { index: "CTPI", at: finalAt(`${month}-${lastDay(month)}`), kind: "final" });
  }
}

/** Final fixings on the given dates (YYYY-MM-DD), each settling its month. */
export async function seedFixingsOn(db: Db, dates: string[]): Promise<void> {
  for (const date of dates) await computeFixing(db, { index: "CTPI", at: finalAt(date), kind: "final" });
}

/**
 * A database a `ciyuan` child process can open too (a PGlite data directory, or a Postgres
 * database), with the environment for it: `use` runs with it open in this process (seed
 * it, serve it), and it is closed before the CLI is run, as one process holds PGlite at a time.
 */
export async function cliDatabase(engine: EngineName, use: (database: Database) => Promise<void>): Promise<NodeJS.ProcessEnv> {
  const env = await freshCliEnv(engine, fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-hedge-")));
  const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.CIYUAN_DATA_DIR });
  try {
    await migrate(database);
    await use(database);
  } finally {
    await database.close();
  }
  return env;
}
