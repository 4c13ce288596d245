import { requireIndex } from "../publish/views.ts";
import { printFixing } from "./print.ts";
import { withDatabase } from "./context.ts";

/** `ciyuan show`: the latest final fixing (or the one at --at, or the indicative one) as JSON. */
export async function show(opts: { index: string; at?: string; indicative?: boolean }): Promise<void> {
  await withDatabase(async ({ db }) => {
    await requireIndex(db, opts.index);
    await printFixing(db, { index: opts.index, fixingTime: opts.at, kind: opts.indicative ? "indicative" : "final" });
  });
}
