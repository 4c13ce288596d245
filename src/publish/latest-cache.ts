/**
 * The latest fixing of an index, rendered once and served from memory until a fixing
 * revision is committed. `GET /v1/indices/{code}/latest` is the most requested answer of
 * the service and changes a few times a day, while each database round trip costs far more
 * than the rest of the request (scripts/bench-http.ts).
 *
 * Every committed fixing revision arrives as a fixing event (the database's NOTIFY) and
 * empties the cache; a load that began before such an event is not kept. On embedded PGlite
 * that is enough: the database lives in this process and calls its listeners before the
 * committing query returns, so a request sent after a commit never gets the older answer.
 * A Postgres server delivers NOTIFY on another connection, a moment after the commit, and
 * other processes write too; there each request also waits for a `version` read (the
 * highest fixing id) that began after it arrived, shared by all requests arriving meanwhile,
 * so the answer is never older than the request. An entry lives at most `maxAgeMs` anyway.
 * Once the events are closed nothing is cached any more.
 */
import type { FixingEvents } from "./events.ts";

export type LatestBody = { text: string; etag: string };

export type LatestCache<K extends string> = {
  /** The rendered answer for (index, kind); null when there is none (not kept). */
  get(index: string, kind: K): Promise<LatestBody | null>;
};

export type LatestCacheOptions<K extends string> = {
  events: FixingEvents;
  load: (index: string, kind: K) => Promise<LatestBody | null>;
  /** What changes whenever a fixing revision is committed; absent: the events alone are trusted. */
  version?: (() => Promise<string>) | undefined;
  maxAgeMs?: number;
};

export function latestCache<K extends string>(options: LatestCacheOptions<K>): LatestCache<K> {
  const { events, load, maxAgeMs = 1_000 } = options;
  const version = options.version && startedAfterCall(options.version);
  type Entry = { generation: number; version: string; loadedAt: number; body: Promise<LatestBody | null> };
  const entries = new Map<string, Entry>();
  let generation = 0;
  let live = true;
  events.subscribe(
    () => {
      generation++;
      entries.clear();
    },
    () => {
      live = false;
      entries.clear();
    },
  );

  function lookup(index: string, kind: K, current: string): Promise<LatestBody | null> {
    const key = `${kind}\u0000${index}`;
    const now = Date.now();
    const hit = entries.get(key);
    if (hit && hit.generation === generation && hit.version === current && now - hit.loadedAt < maxAgeMs) return hit.body;
    // Concurrent misses share one load; only a found answer of the current generation stays.
    const entry: Entry = { generation, version: current, loadedAt: now, body: load(index, kind) };
    entries.set(key, entry);
    const forget = () => {
      if (entries.get(key) === entry) entries.delete(key);
    };
    entry.body.then((body) => {
      if (body === null || entry.generation !== generation) forget();
    }, forget);
    return entry.body;
  }

  return {
    get(index, kind) {
      if (!live) return load(index, kind);
      return version ? version().then((current) => lookup(index, kind, current)) : lookup(index, kind, "");
    },
  };
}

/**
 * `read` for each caller, as of a moment after the call: a read already under way when a
 * caller arrives may predate what that caller must see, so the caller waits for the next
 * one, which every caller arriving meanwhile shares.
 */
function startedAfterCall<T>(read: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  let queued: Promise<T> | null = null;
  const start = (): Promise<T> => {
    const p = read();
    running = p;
    const done = () => {
      if (running === p) running = null;
    };
    p.then(done, done);
    return p;
  };
  return () => {
    if (!running) return start();
    queued ??= running.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      queued = null;
      return start();
    });
    return queued;
  };
}
