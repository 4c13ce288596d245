/**
 * The data sets of the benchmarks, at the sizes of the issue, all anchored on one fixed
 * final fixing time so every run (and every machine) benches the same bytes.
 *
 *   fixing    40 CN providers x 50 models, usage every 15 minutes from T - 7 d - 22 h to
 *             T + 2 h: 1,536,000 rows, 1,344,000 of them in W(T) = (T - 7 d, T]
 *   backfill  the same market, usage every `periodMinutes` (default 60) for 60 fixings
 *   held      5 providers x 50 models, 800 (or the last 50 of those 800) hourly sheets each,
 *             usage every 15 minutes for 8 days
 *   startup   the full market, one usage record per model per day for 8 days
 */
import { FULL_UNIVERSE, universe, type ProviderSpec } from "./universe.ts";
import { writePriceSheets, type SheetSeriesOptions } from "./prices.ts";
import { usageRowCount, writeUsage, type UsageOptions } from "./usage.ts";
import type { WrittenFile } from "./csv-writer.ts";

export const DEFAULT_SEED = "ciyuan-bench-1";

/** The day whose final fixing is benched. CTPI fixes at 16:00 Asia/Shanghai, which is
 * 08:00 UTC all year (China keeps no daylight saving time). */
export const FIXING_DAY = "2026-11-30";
export const FIXING_TIME = `${FIXING_DAY}T08:00:00Z`;
export const T_MS = Date.parse(FIXING_TIME);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The date `days` calendar days before FIXING_DAY, YYYY-MM-DD. */
export function dayBefore(days: number): string {
  return new Date(T_MS - days * DAY).toISOString().slice(0, 10);
}

export type Scale = { providers: number; modelsPerProvider: number };

export type Dataset = { providers: ProviderSpec[]; prices: SheetSeriesOptions; usage: UsageOptions; note: string };

/** Four sheets per provider, 30 days apart, the last three days before T. */
function marketSheets(seed: string): SheetSeriesOptions {
  return { seed, sheets: 4, firstAsOfMs: T_MS - 93 * DAY, stepMs: 30 * DAY };
}

export function fixingDataset(seed = DEFAULT_SEED, scale: Scale = FULL_UNIVERSE): Dataset {
  const providers = universe({ seed, ...scale });
  const usage = { seed, startMs: T_MS - 7 * DAY - 22 * HOUR, endMs: T_MS + 2 * HOUR, periodMinutes: 15 };
  return { providers, prices: marketSheets(seed), usage, note: describe(providers, usage) };
}

/** Usage for `fixings` daily finals ending at FIXING_DAY: each needs its 7 days before it. */
export function backfillDataset(fixings: number, periodMinutes: number, seed = DEFAULT_SEED, scale: Scale = FULL_UNIVERSE): Dataset {
  const providers = universe({ seed, ...scale });
  const usage = { seed, startMs: T_MS - (fixings - 1) * DAY - 7 * DAY - 22 * HOUR, endMs: T_MS + 2 * HOUR, periodMinutes };
  return { providers, prices: marketSheets(seed), usage, note: describe(providers, usage) };
}

/** Five providers, each with `sheets` hourly sheets ending one hour before T; with
 * `lastOf`, only the last `sheets` of a `lastOf`-sheet series (the same prices at T). */
export function heldDataset(sheets: number, lastOf: number, seed = DEFAULT_SEED, modelsPerProvider: number = FULL_UNIVERSE.modelsPerProvider): Dataset {
  const providers = universe({ seed, providers: 5, modelsPerProvider });
  const prices = { seed, sheets: lastOf, skip: lastOf - sheets, firstAsOfMs: T_MS - lastOf * HOUR, stepMs: HOUR };
  const usage = { seed, startMs: T_MS - 7 * DAY - 22 * HOUR, endMs: T_MS + 2 * HOUR, periodMinutes: 15 };
  return { providers, prices, usage, note: describe(providers, usage) };
}

export function startupDataset(seed = DEFAULT_SEED, scale: Scale = FULL_UNIVERSE): Dataset {
  const providers = universe({ seed, ...scale });
  const usage = { seed, startMs: T_MS - 8 * DAY, endMs: T_MS, periodMinutes: 24 * 60 };
  return { providers, prices: marketSheets(seed), usage, note: describe(providers, usage) };
}

function describe(providers: ProviderSpec[], usage: UsageOptions): string {
  const models = providers.reduce((n, p) => n + p.models.length, 0);
  const rows = usageRowCount(providers, usage);
  const inWindow = usageRowCount(providers, { startMs: T_MS - 7 * DAY, endMs: T_MS, periodMinutes: usage.periodMinutes });
  return `${providers.length} providers, ${models} models, usage every ${usage.periodMinutes} min: ${rows.toLocaleString("en-US")} rows, ${inWindow.toLocaleString("en-US")} in W(${FIXING_TIME})`;
}

export async function writeDataset(ds: Dataset, files: { prices?: string; usage?: string }): Promise<{ prices?: WrittenFile; usage?: WrittenFile }> {
  const out: { prices?: WrittenFile; usage?: WrittenFile } = {};
  if (files.prices) out.prices = await writePriceSheets(files.prices, ds.providers, ds.prices);
  if (files.usage) out.usage = await writeUsage(files.usage, ds.providers, ds.usage);
  return out;
}
