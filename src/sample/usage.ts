/**
 * SYNTHETIC usage figures for the bundled sample. No provider publishes per-model token
 * volumes, so these numbers are invented: they are generated, deterministically, to look
 * like a plausible market (tens of billions of tokens a day for the few dominant models,
 * so that capping binds, and a long tail of a few hundred million to a few billion). They
 * are not data about any real provider and must never be presented as such.
 *
 * Determinism: every record is a function of (provider, model, UTC day) alone, through a
 * seeded integer PRNG (splitmix64 on BigInt, seeded by FNV-1a of that triple). The same
 * day gives the same numbers whatever `end` and `days` are asked for. Token counts are
 * integers from start to finish; nothing passes through a float.
 */
import { stringify } from "csv-stringify/sync";
import { z } from "zod";

const MASK64 = (1n << 64n) - 1n;
const SEED_LABEL = "ciyuan-sample-usage/1";
const DAY_MS = 86_400_000;
const BILLION = 1_000_000_000n;

/** Daily token volume (input + output) and workload shape of the models that dominate. */
type Shape = { perDay: bigint; inputPermille?: bigint; cachedPermille?: bigint };
const DOMINANT: Record<string, Shape> = {
  "volcengine/doubao-seed-1.6": { perDay: 60n * BILLION, inputPermille: 820n, cachedPermille: 350n },
  "deepseek/deepseek-chat": { perDay: 50n * BILLION, inputPermille: 850n, cachedPermille: 550n },
  "alibaba/qwen-plus": { perDay: 30n * BILLION, inputPermille: 800n, cachedPermille: 0n },
  "moonshot/kimi-k2-0905-preview": { perDay: 12n * BILLION, inputPermille: 880n, cachedPermille: 450n },
  "volcengine/doubao-seed-1.6-flash": { perDay: 10n * BILLION, inputPermille: 780n },
  "deepseek/deepseek-reasoner": { perDay: 9n * BILLION, inputPermille: 600n, cachedPermille: 400n },
  "alibaba/qwen3-max": { perDay: 6n * BILLION, inputPermille: 760n, cachedPermille: 0n },
  "openai/gpt-5": { perDay: 40n * BILLION, inputPermille: 830n, cachedPermille: 400n },
  "anthropic/claude-sonnet-4-5": { perDay: 35n * BILLION, inputPermille: 900n, cachedPermille: 600n },
};

const Options = z.object({
  end: z.iso.datetime({ offset: true }),
  days: z.number().int().min(1).max(3660),
  models: z.array(z.object({ provider: z.string().min(1), model: z.string().min(1) })).min(1),
});
export type SampleUsageOptions = z.infer<typeof Options>;

/** FNV-1a, 64-bit, over the UTF-8 bytes of `text`. */
function fnv1a64(text: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, "utf8")) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & MASK64;
  }
  return h;
}

/** splitmix64: a small, well-mixed integer generator; `below(n)` is uniform enough for invented data. */
function rng(seedText: string) {
  let state = fnv1a64(seedText);
  const next = (): bigint => {
    state = (state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  };
  return { below: (n: bigint): bigint => next() % n };
}

/** A model's usual day: from the table above, or drawn once per model for the long tail. */
function shapeOf(provider: string, model: string): Required<Shape> {
  const known = DOMINANT[`${provider}/${model}`];
  const r = rng(`${SEED_LABEL}|shape|${provider}|${model}`);
  const perDay = known?.perDay ?? 200_000_000n + r.below(3_800_000_000n);
  const inputPermille = known?.inputPermille ?? 650n + r.below(251n);
  // About a third of the tail reports no cached tokens at all.
  const tailCached = r.below(3n) === 0n ? 0n : 100n + r.below(401n);
  return { perDay, inputPermille, cachedPermille: known?.cachedPermille ?? tailCached };
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Usage CSV (our format) with one record per model per UTC day, for `days` whole UTC
 * days, the last of which ends at 00:00 UTC of `end`'s date (so no record lies after
 * `end`). Models that report no cached tokens have an empty cached_input_tokens cell.
 */
export function sampleUsageCsv(opts: SampleUsageOptions): string {
  const { end, days, models } = Options.parse(opts);
  const lastEnd = Math.floor(Date.parse(end) / DAY_MS) * DAY_MS;
  const rows: string[][] = [];
  for (let d = days; d >= 1; d--) {
    const startMs = lastEnd - d * DAY_MS;
    const date = utcDay(startMs);
    for (const { provider, model } of models) {
      const shape = shapeOf(provider, model);
      const r = rng(`${SEED_LABEL}|day|${provider}|${model}|${date}`);
      // +/- 15 % day to day, and a quieter weekend (Saturday, Sunday at 80 %).
      const weekday = new Date(startMs).getUTCDay();
      const weekend = weekday === 0 || weekday === 6 ? 800n : 1000n;
      const swing = 850_000_000n + r.below(300_000_001n); // parts per billion
      const total = (shape.perDay * swing * weekend) / 1_000_000_000_000n + r.below(1_000_000n);
      const input = (total * shape.inputPermille) / 1000n;
      const output = total - input;
      const cached = shape.cachedPermille === 0n ? null : (input * (shape.cachedPermille - 50n + r.below(101n))) / 1000n;
      rows.push([
        provider,
        model,
        `${date}T00:00:00Z`,
        `${utcDay(startMs + DAY_MS)}T00:00:00Z`,
        input.toString(),
        cached === null ? "" : cached.toString(),
        output.toString(),
      ]);
    }
  }
  return stringify(rows, {
    header: true,
    columns: ["provider", "model", "period_start", "period_end", "input_tokens", "cached_input_tokens", "output_tokens"],
  });
}
