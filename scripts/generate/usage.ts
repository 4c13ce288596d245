/**
 * Usage figures as CSV (`provider,model,period_start,period_end,input_tokens,
 * cached_input_tokens,output_tokens`), one record per model per period, oldest period
 * first, streamed to the file: a 1.5M-row file is never held in memory.
 */
import { Rng, seedOf } from "./rng.ts";
import type { ProviderSpec } from "./universe.ts";
import { CsvWriter, isoZ, type WrittenFile } from "./csv-writer.ts";

export const USAGE_HEADER = "provider,model,period_start,period_end,input_tokens,cached_input_tokens,output_tokens";

export type UsageOptions = {
  seed: string;
  /** First period_start and the end of the last period, ms since the epoch. */
  startMs: number;
  endMs: number;
  periodMinutes: number;
};

// Daily profile of usage in percent of the day's average, per hour of day UTC
// (Chinese business hours are 01:00-10:00 UTC).
const HOURLY_PCT = [
  120, 150, 165, 160, 150, 140, 145, 150, 135, 115, 90, 70, 55, 45, 40, 40, 45, 50, 55, 60, 70, 80, 90, 105,
];

export function usageRowCount(providers: ProviderSpec[], opts: Pick<UsageOptions, "startMs" | "endMs" | "periodMinutes">): number {
  const periods = Math.floor((opts.endMs - opts.startMs) / (opts.periodMinutes * 60_000));
  return periods * providers.reduce((n, p) => n + p.models.length, 0);
}

export async function writeUsage(path: string, providers: ProviderSpec[], opts: UsageOptions): Promise<WrittenFile> {
  const periodMs = opts.periodMinutes * 60_000;
  const models = providers.flatMap((p) => p.models);
  const rngs = models.map((m) => new Rng(seedOf(opts.seed, "usage", m.provider, m.model, opts.startMs, opts.periodMinutes)));
  // Volumes are per 15 minutes; longer periods carry proportionally more.
  const periodFactor = opts.periodMinutes / 15;
  const w = new CsvWriter(path);
  await w.line(USAGE_HEADER);
  let end = isoZ(opts.startMs);
  for (let t = opts.startMs; t + periodMs <= opts.endMs; t += periodMs) {
    const start = end;
    end = isoZ(t + periodMs);
    const hourPct = HOURLY_PCT[new Date(t).getUTCHours()]!;
    for (const [i, m] of models.entries()) {
      const r = rngs[i]!;
      // 1 period in 50 is idle; otherwise the daily profile times noise of +-30 %.
      const idle = r.chance(1, 50);
      const noisePermille = r.int(700, 1300);
      const input = idle ? 0 : Math.floor((m.volume * periodFactor * hourPct * noisePermille) / 100_000);
      const cachedPct = r.int(0, 60);
      const outPct = Math.max(1, m.outputPct + r.int(-5, 5));
      const cached = m.reportsCached ? String(Math.floor((input * cachedPct) / 100)) : "";
      const output = Math.floor((input * outPct) / 100);
      const pending = w.line(`${m.provider},${m.model},${start},${end},${input},${cached},${output}`);
      if (pending) await pending;
    }
  }
  const written = await w.close();
  return { ...written, rows: written.rows - 1 };
}
