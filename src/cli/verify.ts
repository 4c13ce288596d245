import { resolveFixingTime, verifyFixing } from "../engine/index.ts";
import { toJson } from "../publish/json.ts";
import { EXIT, ExitCode, withDatabase } from "./context.ts";

/** `ciyuan verify`: recomputes a stored final fixing; exit 1 unless every check matches. */
export async function verify(opts: { index: string; at: string; revision?: number }): Promise<void> {
  const result = await withDatabase(async ({ db }) =>
    verifyFixing(db, { index: opts.index, at: await resolveFixingTime(db, opts.index, opts.at), revision: opts.revision }),
  );
  for (const c of result.checks) process.stderr.write(`${c.name}: ${c.detail}\n`);
  process.stdout.write(
    `${toJson({
      index: result.index,
      fixing_time: result.fixingTime,
      kind: result.kind,
      revision: result.revision,
      verified: result.ok,
      checks: Object.fromEntries(result.checks.map((c) => [c.name, c.detail])),
    })}\n`,
  );
  if (!result.ok) throw new ExitCode(EXIT.failed);
}
