/**
 * `ciyuan hedge FILE --index CODE`: the hedge desk of POST /v1/hedge on a bill file,
 * printing the same JSON object on stdout. A bad bill or too few settled months is one
 * line on stderr naming the file (and the line), exit 1; an unknown index, exit 2.
 */
import { readFile } from "node:fs/promises";
import { CiyuanError } from "../errors.ts";
import { hedge, hedgeJson } from "../hedge/index.ts";
import { toJson } from "../publish/json.ts";
import { withDatabase } from "./context.ts";

export async function hedgeFile(opts: { file: string; index: string }): Promise<void> {
  const bill = await readBill(opts.file);
  const result = await withDatabase(async ({ db }) => {
    try {
      return await hedge(db, { index: opts.index, bill });
    } catch (err) {
      // The bill's own faults name the file, as `ciyuan import` does.
      if (err instanceof CiyuanError && err.code === "bad_input") throw new CiyuanError("bad_input", `${opts.file}: ${err.message}`);
      throw err;
    }
  });
  process.stdout.write(`${toJson(hedgeJson(result), 2)}\n`);
}

async function readBill(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "not a file" : code === "EACCES" ? "permission denied" : String((err as Error).message);
    throw new CiyuanError("bad_input", `${file}: cannot read: ${reason}`);
  }
}
