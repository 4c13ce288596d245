import { resolveFixingTime, restateFixing } from "../engine/index.ts";
import { loadSigner } from "../signing/index.ts";
import { withDatabase } from "./context.ts";
import { printFixing } from "./print.ts";

/** `ciyuan restate`: recomputes a published final fixing as revision n+1 and prints it. */
export async function restate(opts: { index: string; at: string; reason: string }): Promise<void> {
  await withDatabase(async ({ db }, config) => {
    const at = await resolveFixingTime(db, opts.index, opts.at);
    const f = await restateFixing(db, { ...opts, at, signer: loadSigner(config) });
    await printFixing(db, { index: f.index, fixingTime: f.fixingTime, kind: "final", revision: f.revision });
    // The cascade [1.1] is reported on stderr: stdout stays the one fixing, as `show` prints it.
    const chained = f.chained ?? [];
    if (chained.length > 0) {
      const list = chained.map((c) => `${c.fixingTime} r${c.revision}`).join(", ");
      process.stderr.write(`ciyuan: ${chained.length} later final(s) chained from it got a new revision: ${list}\n`);
    }
  });
}
