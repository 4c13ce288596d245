/**
 * Every source collected independently: fetches run side by side, the database part of
 * each one after the other (one writer at a time, as PGlite needs). A failing source
 * never stops the others; results come back in the sources' order.
 */
import type { Db } from "../db/index.ts";
import type { SourceConfig } from "../sources/config.ts";
import { collectSource, type CollectResult } from "./collect-source.ts";

export type Exclusive = <T>(fn: () => Promise<T>) => Promise<T>;

/** Runs the functions given to it one at a time, in call order; a failure does not stop the queue. */
export function oneAtATime(): Exclusive {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };
}

export async function collectAll(db: Db, sources: readonly SourceConfig[], opts: { now?: Date } = {}): Promise<CollectResult[]> {
  const exclusive = oneAtATime();
  return Promise.all(sources.map((source) => collectSource(db, source, { ...opts, exclusive })));
}
