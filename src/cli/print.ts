import type { Db } from "../db/index.ts";
import { CiyuanError } from "../errors.ts";
// The modules themselves, not publish/index.ts: that one also loads the HTTP service.
import { loadFixing, type FixingQuery } from "../publish/read/fixing.ts";
import { fixingJson, toJson } from "../publish/json.ts";

/** Prints one fixing, with constituents and exclusions, as the published JSON. */
export async function printFixing(db: Db, q: FixingQuery): Promise<void> {
  const view = await loadFixing(db, { ...q, details: true });
  if (!view) throw new CiyuanError("not_found", `no ${q.kind ?? "final"} fixing of ${q.index}${q.fixingTime ? ` at ${q.fixingTime}` : ""}`);
  process.stdout.write(`${toJson(fixingJson(view), 2)}\n`);
}
