import { backfill, type BackfillProgress } from "../engine/index.ts";
import { CiyuanError } from "../errors.ts";
import { loadSigner } from "../signing/index.ts";
import { withDatabase } from "./context.ts";

/** Progress on stderr: done/total, rate and ETA, at most a few lines a second. */
export function progressPrinter(label: string): (p: BackfillProgress) => void {
  const started = Date.now();
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (p.done !== p.total && now - last < 250) return;
    last = now;
    const seconds = (now - started) / 1000;
    const rate = p.done / Math.max(seconds, 0.001);
    const eta = (p.total - p.done) / Math.max(rate, 0.001);
    process.stderr.write(`${label}: ${p.done}/${p.total} ${p.fixingTime} ${rate.toFixed(1)} fixings/s ETA ${eta.toFixed(0)}s\n`);
  };
}

/** `ciyuan backfill`: final fixings for each day in the range, oldest first. */
export async function backfillDays(opts: { index: string; from: string; to: string }): Promise<void> {
  if (opts.from > opts.to) throw new CiyuanError("bad_request", `--from ${opts.from} is after --to ${opts.to}`);
  await withDatabase(async ({ db }, config) => {
    const r = await backfill(db, { ...opts, signer: loadSigner(config), onProgress: progressPrinter(opts.index) });
    process.stderr.write(`${opts.index}: ${r.computed.length} fixings computed, ${r.skipped} already there\n`);
  });
}
