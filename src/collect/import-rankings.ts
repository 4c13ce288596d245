/**
 * An `openrouter-rankings` body (the public usage proxy, operations-and-users.md section 6)
 * into usage records: parsed (sources/openrouter-rankings.ts), turned into one record per
 * mapped model and week (normalise/rankings-usage.ts), and stored by the usage importer's
 * staging and merge under the source's name, so the batch's origin is `collector:<name>`,
 * marked as a proxy's (its origin kind is `proxy`).
 * A week collected again unchanged stores nothing.
 */
import type { Db } from "../db/index.ts";
import { importUsageRecords } from "../normalise/import-usage.ts";
import type { ImportOutcome } from "../normalise/index.ts";
import { sha256Hex } from "../normalise/payload.ts";
import { rankingsUsage } from "../normalise/rankings-usage.ts";
import type { SourceConfig } from "../sources/config.ts";
import { rankingsWeek } from "../sources/openrouter-rankings.ts";

export type RankingsImport = { outcome: ImportOutcome; notes: string[] };

export async function importRankings(db: Db, source: SourceConfig, text: string): Promise<RankingsImport> {
  const location = source.url;
  const providers = source.providers ?? {};
  const week = rankingsWeek(location, text);
  const usage = rankingsUsage(week, {
    location,
    providers,
    ...(source.default_input_share !== undefined ? { defaultInputShare: source.default_input_share } : {}),
  });
  // The rankings are a top list, not a complete one: a week in which no mapped provider
  // ranks is a week of nothing to store, not a failure (unlike a registry, import-registry.ts).
  const outcome = await importUsageRecords(db, {
    location,
    source: source.name,
    sha256: sha256Hex(text),
    bytes: Buffer.byteLength(text, "utf8"),
    records: usage.records,
    proxy: true,
  });
  const notes: string[] = [];
  if (usage.estimated > 0) notes.push(`${usage.estimated} estimated`);
  if (usage.ignored > 0) notes.push(`${usage.ignored} ignored (unmapped: ${usage.unmapped.join(", ")})`);
  return { outcome: { location: outcome.location, stored: outcome.stored, unchanged: outcome.unchanged, rejected: outcome.rejected }, notes };
}
