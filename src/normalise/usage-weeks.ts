/**
 * usage_records' partitions: one per ISO week of period_end, Monday 00:00 UTC to the next
 * (migration 0011), made by the importer before the first record of a week is written.
 * Weeks are named by their Monday as a UTC day number (days since 1970-01-01). Call under
 * the usage import lock (payload.ts lockInputs), so two imports never make one week twice.
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";

const DAY_MS = 86_400_000;

/** The Monday (a UTC day number) of the week holding a UTC day; 1970-01-01 was a Thursday. */
export const weekOf = (day: number): number => day - ((((day + 3) % 7) + 7) % 7);

/** `YYYY-MM-DD` of a UTC day number. */
export function dayText(day: number): string {
  const d = new Date(day * DAY_MS);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${String(d.getUTCFullYear()).padStart(4, "0")}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
}

/** Table name of a week's partition. */
export const weekPartition = (monday: number): string => `usage_records_w${dayText(monday).replaceAll("-", "")}`;

/** The weeks (their Mondays) that have a partition. */
export async function usageWeeks(tx: Db): Promise<Set<number>> {
  const found = await rows<{ name: string }>(
    tx,
    sql`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'usage_records'::regclass`,
  );
  const weeks = new Set<number>();
  for (const { name } of found) {
    const m = /^usage_records_w(\d{4})(\d{2})(\d{2})$/.exec(name);
    if (m) weeks.add(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS);
  }
  return weeks;
}

/** Makes the partitions of `weeks` (Mondays) that `known` lacks, and adds them to it. */
export async function makeUsageWeeks(tx: Db, weeks: Iterable<number>, known: Set<number>): Promise<void> {
  const made = [...new Set(weeks)].filter((w) => !known.has(w)).sort((a, b) => a - b);
  if (made.length === 0) return;
  // One array parameter (drizzle would spread a JS array into a list of them).
  await tx.execute(sql`SELECT ciyuan_usage_partition(d::date) FROM unnest(${`{${made.map(dayText).join(",")}}`}::text[]) AS d`);
  for (const w of made) known.add(w);
}

/** The partitions of the weeks of period_end of the records in `table`, made if missing. */
export async function makeUsageWeeksOf(tx: Db, table: string): Promise<void> {
  await tx.execute(
    sql`SELECT ciyuan_usage_partition(d)
        FROM (SELECT DISTINCT date_trunc('week', period_end AT TIME ZONE 'UTC')::date AS d FROM ${sql.raw(table)}) weeks`,
  );
}

/**
 * A period_end condition covering exactly `weeks` (Mondays; consecutive weeks joined into
 * one range), which the planner prunes to their partitions.
 */
export function weeksCondition(weeks: Iterable<number>, column = sql`period_end`) {
  const sorted = [...new Set(weeks)].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const w of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === w) last[1] = w + 7;
    else ranges.push([w, w + 7]);
  }
  if (ranges.length === 0) return sql`false`;
  return sql.join(
    ranges.map(([from, to]) => sql`(${column} >= ${`${dayText(from)}T00:00:00Z`}::timestamptz AND ${column} < ${`${dayText(to)}T00:00:00Z`}::timestamptz)`),
    sql` OR `,
  );
}
