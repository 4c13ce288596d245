/**
 * A week of the public usage proxy (operations-and-users.md section 6) into usage records:
 * normalised (rankings-usage.ts: one record per mapped model and week, renamed by the
 * source's `models` map), then stored by the usage importer's staging and merge under the
 * source's name, so the batch's origin is `collector:<name>`, marked as a proxy's (its
 * origin kind is `proxy`). A week collected again unchanged stores nothing.
 */
import type { Db } from "../db/index.ts";
import type { RankingsInput } from "../sources/parse.ts";
import { importUsageRecords } from "./import-usage.ts";
import type { ImportOutcome } from "./outcome.ts";
import { sha256Hex } from "./payload.ts";
import { rankingsUsage } from "./rankings-usage.ts";
import type { InputOrigin } from "./store-input.ts";

/** `notes`: what was estimated and what was left out, for the run's detail line. */
export async function storeRankings(db: Db, input: RankingsInput, origin: InputOrigin): Promise<ImportOutcome & { notes: string[] }> {
  const { location, text } = input;
  const usage = rankingsUsage(input.week, { location, ...input.mapping });
  // The rankings are a top list, not a complete one: a week in which no mapped provider
  // ranks is a week of nothing to store, not a failure (unlike a registry, store-registry.ts).
  const outcome = await importUsageRecords(db, {
    location,
    source: origin.source,
    sha256: sha256Hex(text),
    bytes: Buffer.byteLength(text, "utf8"),
    records: usage.records,
    proxy: true,
    httpStatus: origin.httpStatus,
  });
  const notes: string[] = [];
  if (usage.estimated > 0) notes.push(`${usage.estimated} estimated`);
  if (usage.ignored > 0) notes.push(`${usage.ignored} ignored (unmapped: ${usage.unmapped.join(", ")})`);
  return { location: outcome.location, stored: outcome.stored, unchanged: outcome.unchanged, rejected: outcome.rejected, notes };
}
