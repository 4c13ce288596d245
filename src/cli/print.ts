import type { Db } from "../db/index.ts";
import { CiyuanError } from "../errors.ts";
import { fixingJson, loadFixing, toJson, type FixingQuery } from "../publish/index.ts";

/** Prints one fixing, with constituents and exclusions, as the published JSON. */
export async function printFixing(db: Db, q: FixingQuery): Promise<void> {
  const view = await loadFixing(db, { ...q, details: true });
  if (!view) throw new CiyuanError("not_found", `no ${q.kind ?? "final"} fixing of ${q.index}${q.fixingTime ? ` at ${q.fixingTime}` : ""}`);
  process.stdout.write(`${toJson(fixingJson(view), 2)}\n`);
}
