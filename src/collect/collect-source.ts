/**
 * One collection of one source: conditional fetch, import, and one `source_runs` row.
 * Never throws: every failure (network, status, timeout, size, parse, gates, even the
 * database) ends as a result with a one-line reason.
 */
import type { Db } from "../db/index.ts";
import type { SourceConfig } from "../sources/config.ts";
import { fetchSource } from "../sources/fetch.ts";
import type { RegistrySkip } from "../sources/registry-sheet.ts";
import { importBody } from "./import-body.ts";
import { importRegistry, skippedIn } from "./import-registry.ts";
import { PAYLOAD_KIND, lastOkPayload, payloadContent, recordRawPayload, recordRun, type RunOutcome } from "./record.ts";
import { previousValidators, saveValidators } from "./validators.ts";

/** `skipped`: a registry's entries that could not be prices, recorded on the run. */
export type CollectResult = { source: string; outcome: RunOutcome; detail: string; payloadId: string | null; skipped?: RegistrySkip[] };

export type CollectOptions = {
  /** The collection time: registry sheets' `as_of` and the run's `started_at`. */
  now?: Date;
  /** Runs the database part; collectAll passes a lock so imports never overlap. */
  exclusive?: <T>(fn: () => Promise<T>) => Promise<T>;
};

export async function collectSource(db: Db, source: SourceConfig, opts: CollectOptions = {}): Promise<CollectResult> {
  const now = opts.now ?? new Date();
  const exclusive = opts.exclusive ?? ((fn) => fn());
  let result: CollectResult;
  try {
    result = await attempt(db, source, now, exclusive);
  } catch (err) {
    result = { source: source.name, outcome: "failed", detail: reasonOf(err), payloadId: null, ...skippedIn(err) };
  }
  try {
    await exclusive(() => recordRun(db, { source: source.name, kind: source.kind, startedAt: now, outcome: result.outcome, detail: result.detail, payloadId: result.payloadId, skipped: result.skipped }));
  } catch (err) {
    // The run log is bookkeeping; a collection's outcome stands without it.
    result = { ...result, detail: `${result.detail} (run not recorded: ${reasonOf(err)})` };
  }
  return result;
}

async function attempt(db: Db, source: SourceConfig, now: Date, exclusive: NonNullable<CollectOptions["exclusive"]>): Promise<CollectResult> {
  const name = source.name;
  const previous = await exclusive(() => previousValidators(db, name, source.url));
  const fetched = await fetchSource({
    url: source.url,
    timeoutMs: source.timeout_ms,
    maxBytes: source.max_bytes,
    retries: source.retries,
    backoffMs: source.backoff_ms,
    ...(source.headers ? { headers: source.headers } : {}),
    ...previous,
  });
  if (fetched.status === 304) {
    return exclusive(async () => {
      const payloadId = await lastOkPayload(db, name);
      // A registry answering "not modified" is still a fetch that lists what it listed: it
      // can confirm a held price or make a second absence (two-fetch rule), so the body on
      // record goes through the registry rules again.
      const body = isRegistry(source) && payloadId ? await payloadContent(db, payloadId, source.url) : null;
      if (body === null) return { source: name, outcome: "not_modified" as const, detail: "not modified", payloadId };
      const { outcome, notes, skipped } = await importRegistry(db, source, body, now);
      const detail = ["not modified", ...(outcome.stored > 0 ? [`${outcome.stored} sheet${outcome.stored === 1 ? "" : "s"}`] : []), ...notes].join(", ");
      return { source: name, outcome: "not_modified" as const, detail, payloadId, skipped };
    });
  }
  return exclusive(async () => {
    const payloadId = await recordRawPayload(db, { kind: PAYLOAD_KIND[source.kind], source: name, url: source.url, sha256: fetched.sha256, body: fetched.body });
    let imported;
    try {
      imported = await importBody(db, source, fetched, now);
    } catch (err) {
      return { source: name, outcome: "failed" as const, detail: `parse: ${reasonOf(err)}`, payloadId, ...skippedIn(err) };
    }
    const { noun, outcome, notes = [], skipped } = imported;
    const quarantined = outcome.rejected.length;
    // Nothing usable at all (every sheet rejected) is a failed source; some rejected is not.
    if (quarantined > 0 && outcome.stored + outcome.unchanged === 0) {
      return { source: name, outcome: "failed" as const, detail: `rejected: ${outcome.rejected[0]!.message}`, payloadId, skipped };
    }
    await saveValidators(db, name, source.url, fetched);
    const parts = [`${outcome.stored} ${noun}${outcome.stored === 1 ? "" : "s"}`];
    if (outcome.unchanged > 0) parts.push(`${outcome.unchanged} unchanged`);
    if (quarantined > 0) parts.push(`${quarantined} quarantined`);
    parts.push(...notes);
    return { source: name, outcome: "ok" as const, detail: parts.join(", "), payloadId, skipped };
  });
}

const isRegistry = (source: SourceConfig) => source.kind === "litellm" || source.kind === "openrouter";

function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0]!;
}
