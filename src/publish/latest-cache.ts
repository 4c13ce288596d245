/**
 * The latest fixing of an index, rendered once and served from memory until a fixing
 * revision is committed. `GET /v1/indices/{code}/latest` is the most requested answer of
 * the service and changes a few times a day, while each database round trip costs far more
 * than the rest of the request (scripts/bench-http.ts).
 *
 * Every committed fixing revision arrives as a fixing event (the database's NOTIFY) and
 * empties the cache; a load that began before such an event is not kept. On embedded PGlite
 * the database lives in this process and calls its listeners before the committing query
 * returns, so a request sent after a commit never gets the older answer. A Postgres server
 * delivers NOTIFY on the service's listening connection a moment after the commit (well
 * under a millisecond on one host): from then on — and so before any client of this
 * service has been sent the fixing's stream event, which is the same NOTIFY — the answer
 * has the new fixing. While the listening connection is down (it is repaired in the
 * background) every request loads; an entry lives at most `maxAgeMs` (1 s) anyway.
 * (An earlier version read the highest fixing id on every request to close that moment:
 * a database round trip per request, a third of the throughput — scripts/bench-http.ts.)
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
  maxAgeMs?: number;
};

export function latestCache<K extends string>(options: LatestCacheOptions<K>): LatestCache<K> {
  const { events, load, maxAgeMs = 1_000 } = options;
  type Entry = { generation: number; loadedAt: number; body: Promise<LatestBody | null> };
  const entries = new Map<string, Entry>();
  let generation = 0;
  let live = true;
  const forgetAll = () => {
    generation++;
    entries.clear();
  };
  events.subscribe(forgetAll, () => {
    live = false;
    entries.clear();
  });
  // While the listening connection is down a commit would go unheard: nothing is kept.
  events.onLost?.(forgetAll);

  function lookup(index: string, kind: K): Promise<LatestBody | null> {
    const key = `${kind}\u0000${index}`;
    const now = Date.now();
    const hit = entries.get(key);
    if (hit && hit.generation === generation && now - hit.loadedAt < maxAgeMs) return hit.body;
    // Concurrent misses share one load; only a found answer of the current generation stays.
    const entry: Entry = { generation, loadedAt: now, body: load(index, kind) };
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
      return live && (events.connected?.() ?? true) ? lookup(index, kind) : load(index, kind);
    },
  };
}
