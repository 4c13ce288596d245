/**
 * `ciyuan collect [--source NAME]`: collects every configured source (CIYUAN_SOURCES, or
 * the bundled list) once, now. One stderr line per source; exit 1 when any failed; exit 2
 * for a NAME that is not configured or is switched off (`"enabled": false`).
 */
import { collectAll, type CollectResult } from "../collect/index.ts";
import { CiyuanError } from "../errors.ts";
import { loadSourcesConfig } from "../sources/config.ts";
import { EXIT, ExitCode, withDatabase } from "./context.ts";

export async function collect(opts: { source?: string }): Promise<void> {
  const config = loadSourcesConfig(process.env.CIYUAN_SOURCES);
  const sources = opts.source === undefined ? config.sources : config.sources.filter((s) => s.name === opts.source);
  if (opts.source !== undefined && sources.length === 0) {
    // Kept in the file but never collected: saying "unknown" would send the operator looking for a typo.
    if (config.switchedOff.includes(opts.source)) {
      const where = process.env.CIYUAN_SOURCES ? "CIYUAN_SOURCES" : "the bundled sources";
      throw new CiyuanError("bad_request", `source ${opts.source} is switched off ("enabled": false in ${where})`);
    }
    throw new CiyuanError("bad_request", `unknown source ${opts.source} (configured: ${config.sources.map((s) => s.name).join(", ") || "none"})`);
  }
  const results = await withDatabase(({ db }) => collectAll(db, sources));
  for (const r of results) process.stderr.write(line(r) + "\n");
  if (results.some((r) => r.outcome === "failed")) throw new ExitCode(EXIT.failed);
}

function line(r: CollectResult): string {
  if (r.outcome === "ok") return `${r.source}: ok, ${r.detail}`;
  if (r.outcome === "not_modified") return `${r.source}: not modified`;
  return `${r.source}: failed: ${r.detail}`;
}
