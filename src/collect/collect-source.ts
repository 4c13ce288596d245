/**
 * One collection of one source, in one direction: what the last successful collection
 * left (previous.ts) -> conditional fetch (sources/fetch.ts) -> parse (sources/parse.ts,
 * pure) -> gate and store (normalise/store-input.ts, the step contributions take too) ->
 * the run recorded with its body (record.ts). Each step is entered once and hands the
 * next its result; a registry's skipped entries come back from the parse as a value.
 *
 * Never throws: every failure (network, status, timeout, size, parse, gates, even the
 * database) ends as a result with a one-line reason.
 */
import type { Db } from "../db/index.ts";
import { heldPrices } from "../engine/held.ts";
import { storeInput, type StoreResult } from "../normalise/index.ts";
import type { SourceConfig, SourceKind } from "../sources/config.ts";
import { fetchSource, type FetchedBody } from "../sources/fetch.ts";
import { parseBody, type Parsed } from "../sources/parse.ts";
import type { RegistrySkip } from "../sources/registry-sheet.ts";
import { previousCollection, type Previous } from "./previous.ts";
import { recordRun, type RunOutcome } from "./record.ts";

/** `skipped`: a registry's entries that could not be prices, recorded on the run. */
export type CollectResult = {
  source: string;
  outcome: RunOutcome;
  detail: string;
  payloadId: string | null;
  skipped?: RegistrySkip[];
  /** Cut short by `signal` (the service stopping): not a failure of the source, not recorded. */
  stopped?: true;
};

export type CollectOptions = {
  /** The collection time: registry sheets' `as_of` and the run's `started_at`. */
  now?: Date;
  /** Runs the database part; collectAll passes a lock so imports never overlap. */
  exclusive?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The service stopping: an unfinished fetch is abandoned at once instead of timing out. */
  signal?: AbortSignal;
};

type Exclusive = NonNullable<CollectOptions["exclusive"]>;

/** How a collection ended, before it is recorded: what the run row and the result say. */
type Collected = {
  outcome: RunOutcome;
  detail: string;
  skipped?: RegistrySkip[] | undefined;
  /** The body fetched, kept with the run (whatever became of it). */
  body?: FetchedBody;
  /** A 304's: the payload of the last successful run, which it confirms. */
  payloadId?: string | null;
  /** A body taken: its validators are kept for the next conditional GET. */
  taken?: boolean;
};

/** What a stored item of each kind is called in the detail line. */
const NOUN: Record<SourceKind, string> = {
  "price-sheet": "sheet",
  litellm: "sheet",
  openrouter: "sheet",
  ecb: "rate",
  fx: "rate",
  usage: "record",
  "openrouter-rankings": "record",
};

export async function collectSource(db: Db, source: SourceConfig, opts: CollectOptions = {}): Promise<CollectResult> {
  const now = opts.now ?? new Date();
  const exclusive: Exclusive = opts.exclusive ?? ((fn) => fn());
  let collected: Collected;
  try {
    collected = await collect(db, source, now, exclusive, opts.signal);
  } catch (err) {
    // Stopping says nothing about the source: no run row, so /health and the next start
    // judge it by its last real attempt.
    if (opts.signal?.aborted) return { source: source.name, outcome: "failed", detail: reasonOf(err), payloadId: null, stopped: true };
    collected = { outcome: "failed", detail: reasonOf(err) };
  }
  const { outcome, detail, skipped, body } = collected;
  const result: CollectResult = { source: source.name, outcome, detail, payloadId: collected.payloadId ?? null, ...(skipped ? { skipped } : {}) };
  try {
    const payloadId = await exclusive(() =>
      recordRun(db, {
        source: source.name,
        kind: source.kind,
        startedAt: now,
        outcome,
        detail,
        payloadId: collected.payloadId ?? null,
        skipped,
        body: body ? { url: source.url, sha256: body.sha256, bytes: body.body } : undefined,
        validators: body && collected.taken ? { url: source.url, validators: body } : undefined,
      }),
    );
    return { ...result, payloadId };
  } catch (err) {
    // The run log is bookkeeping; a collection's outcome stands without it.
    return { ...result, detail: `${detail} (run not recorded: ${reasonOf(err)})` };
  }
}

async function collect(db: Db, source: SourceConfig, now: Date, exclusive: Exclusive, signal: AbortSignal | undefined): Promise<Collected> {
  const previous = await exclusive(() => previousCollection(db, source, { body: isRegistry(source) }));
  const fetched = await fetchSource({
    url: source.url,
    timeoutMs: source.timeout_ms,
    maxBytes: source.max_bytes,
    retries: source.retries,
    backoffMs: source.backoff_ms,
    ...(source.headers ? { headers: source.headers } : {}),
    ...previous.validators,
    ...(signal ? { signal } : {}),
  });
  if (fetched.status === 304) return notModified(db, source, now, previous, exclusive);

  let parsed: Parsed;
  try {
    parsed = parseBody(source, fetched, { now, previousBody: previous.body });
  } catch (err) {
    return { outcome: "failed", detail: `parse: ${reasonOf(err)}`, body: fetched };
  }
  const skipped = parsed.skipped;
  let stored: StoreResult;
  try {
    stored = await exclusive(() => store(db, source, parsed, now, 200));
  } catch (err) {
    return { outcome: "failed", detail: `parse: ${reasonOf(err)}`, body: fetched, skipped };
  }
  const quarantined = stored.rejected.length;
  // Nothing usable at all (every sheet rejected) is a failed source; some rejected is not.
  if (quarantined > 0 && stored.stored + stored.unchanged === 0) {
    return { outcome: "failed", detail: `rejected: ${stored.rejected[0]!.message}`, body: fetched, skipped };
  }
  const noun = NOUN[source.kind];
  const parts = [`${stored.stored} ${noun}${stored.stored === 1 ? "" : "s"}`];
  if (stored.unchanged > 0) parts.push(`${stored.unchanged} unchanged`);
  if (quarantined > 0) parts.push(`${quarantined} quarantined`);
  parts.push(...stored.notes);
  return { outcome: "ok", detail: parts.join(", "), body: fetched, skipped, taken: true };
}

/**
 * A 304. A registry answering "not modified" is still a fetch that lists what it listed:
 * it can confirm a held price or make a second absence (two-fetch rule), so the body on
 * record goes through the same parse and store again. A failure here is reported without
 * the `parse:` of a fetched body, and points at no payload.
 */
async function notModified(db: Db, source: SourceConfig, now: Date, previous: Previous, exclusive: Exclusive): Promise<Collected> {
  const payloadId = previous.payloadId;
  if (!isRegistry(source) || previous.body === null) return { outcome: "not_modified", detail: "not modified", payloadId };
  const parsed = parseBody(source, { body: Buffer.from(previous.body, "utf8") }, { now, previousBody: previous.body });
  let stored: StoreResult;
  try {
    stored = await exclusive(() => store(db, source, parsed, now, undefined));
  } catch (err) {
    return { outcome: "failed", detail: reasonOf(err), skipped: parsed.skipped };
  }
  const sheets = stored.stored > 0 ? [`${stored.stored} sheet${stored.stored === 1 ? "" : "s"}`] : [];
  return { outcome: "not_modified", detail: ["not modified", ...sheets, ...stored.notes].join(", "), payloadId, skipped: parsed.skipped };
}

/** The store step under the source's name; a registry is told which providers have a held price now. */
async function store(db: Db, source: SourceConfig, parsed: Parsed, now: Date, httpStatus: number | undefined): Promise<StoreResult> {
  const confirming = isRegistry(source) ? new Set((await heldPrices(db, now.toISOString())).map((h) => h.provider)) : undefined;
  return storeInput(db, parsed.input, { source: source.name, httpStatus }, confirming ? { confirming } : {});
}

const isRegistry = (source: SourceConfig) => source.kind === "litellm" || source.kind === "openrouter";

function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0]!;
}
