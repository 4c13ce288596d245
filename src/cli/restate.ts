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
  });
}
