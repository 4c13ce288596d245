import { computeFixing, resolveFixingTime } from "../engine/index.ts";
import { loadSigner } from "../signing/index.ts";
import { printFixing } from "./print.ts";
import { withDatabase } from "./context.ts";

/** `ciyuan fix`: computes a final fixing (a new revision if one exists) and prints it. */
export async function fix(opts: { index: string; at: string; reason?: string }): Promise<void> {
  await withDatabase(async ({ db }, config) => {
    const signer = loadSigner(config);
    const at = await resolveFixingTime(db, opts.index, opts.at);
    const f = await computeFixing(db, { index: opts.index, at, kind: "final", reason: opts.reason, signer });
    await printFixing(db, { index: f.index, fixingTime: f.fixingTime, kind: "final", revision: f.revision });
  });
}
