/**
 * New fixing revisions as they are committed, from the database's NOTIFY channel (see
 * migrations/0003): every API process on one database hears every fixing, whoever
 * computed it.
 *
 * When the listening connection was lost and comes back, the notifications sent meanwhile
 * are gone; the fixings table is read for ids above the highest one heard, so subscribers
 * still get every revision, once.
 */
import { sql } from "drizzle-orm";
import { rows, type Database, type Unlisten } from "../db/index.ts";

export const FIXING_CHANNEL = "ciyuan_fixing";

export type FixingEvents = {
  /**
   * Calls the listener with the id of each fixing revision committed from now on, and
   * onEnd once when the events are closed. Returns the function that unsubscribes.
   */
  subscribe(listener: (fixingId: string) => void, onEnd?: () => void): () => void;
  /** False while the listening connection is lost: commits are not heard until it is back. */
  connected?(): boolean;
  /** Calls `onLost` each time the listening connection is lost. Returns the unsubscriber. */
  onLost?(onLost: () => void): () => void;
  close(): Promise<void>;
};

export type FixingEventsOptions = {
  /** Where a failed catch-up is reported (it is retried). */
  log?: (line: string) => void;
  /** Pause before a failed catch-up is tried again. */
  catchUpRetryMs?: number;
};

type Subscription = { listener: (fixingId: string) => void; onEnd: (() => void) | undefined };

// Ids delivered lately: a catch-up and a live notification may both bring the same one.
const REMEMBERED = 4096;
const CATCH_UP_PAGE = 1000;

export async function fixingEvents(
  database: Pick<Database, "listen" | "db">,
  options: FixingEventsOptions = {},
): Promise<FixingEvents> {
  const subscriptions = new Set<Subscription>();
  const delivered = new Set<string>();
  let highest = 0n;
  let closed = false;
  let connected = true;
  const lostListeners = new Set<() => void>();

  function deliver(id: string): void {
    if (closed || delivered.has(id)) return;
    delivered.add(id);
    if (delivered.size > REMEMBERED) delivered.delete(delivered.values().next().value!);
    if (BigInt(id) > highest) highest = BigInt(id);
    for (const s of [...subscriptions]) {
      // One failing subscriber must not starve the others (nor throw into the pg client).
      try {
        s.listener(id);
      } catch (err) {
        options.log?.(`fixing events: a subscriber failed on ${id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  // One catch-up at a time; a reconnection during one widens the next to its start. While
  // it runs, what the new connection hears waits, so subscribers still get ids in order.
  let running = false;
  let pendingFrom: bigint | null = null;
  let held: string[] | null = null;
  async function catchUp(from: bigint): Promise<void> {
    pendingFrom = pendingFrom === null || from < pendingFrom ? from : pendingFrom;
    if (running) return;
    running = true;
    held = [];
    try {
      while (pendingFrom !== null && !closed) {
        const start = pendingFrom;
        pendingFrom = null;
        try {
          await deliverAfter(start);
        } catch (err) {
          options.log?.(`fixing events: catch-up after ${start} failed: ${err instanceof Error ? err.message : String(err)}`);
          const retry = setTimeout(() => void catchUp(start), options.catchUpRetryMs ?? 1_000);
          retry.unref();
        }
      }
    } finally {
      running = false;
      const waiting = held ?? [];
      held = null;
      for (const id of waiting.sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1))) deliver(id);
    }
  }

  async function deliverAfter(start: bigint): Promise<void> {
    let after = start;
    for (;;) {
      const page = await rows<{ id: string }>(
        database.db,
        sql`SELECT id::text AS id FROM fixings WHERE id > ${after.toString()}::bigint ORDER BY fixings.id LIMIT ${CATCH_UP_PAGE}`,
      );
      for (const { id } of page) deliver(id);
      if (page.length < CATCH_UP_PAGE) return;
      after = BigInt(page[page.length - 1]!.id);
    }
  }

  const unlisten: Unlisten = await database.listen(
    FIXING_CHANNEL,
    (payload) => {
      if (!/^\d{1,19}$/.test(payload)) return;
      if (held) held.push(payload);
      else deliver(payload);
    },
    // Read synchronously, before the new connection can deliver anything: the highest id
    // heard on the lost one.
    () => {
      connected = true;
      void catchUp(highest);
    },
    () => {
      connected = false;
      for (const l of [...lostListeners]) l();
    },
  );
  try {
    const [row] = await rows<{ max: string }>(database.db, sql`SELECT coalesce(max(id), 0)::text AS max FROM fixings`);
    if (BigInt(row!.max) > highest) highest = BigInt(row!.max);
  } catch (err) {
    await unlisten();
    throw err;
  }

  return {
    subscribe(listener, onEnd) {
      const subscription: Subscription = { listener, onEnd };
      if (closed) {
        onEnd?.();
        return () => {};
      }
      subscriptions.add(subscription);
      return () => void subscriptions.delete(subscription);
    },
    connected: () => connected && !closed,
    onLost(onLost) {
      lostListeners.add(onLost);
      return () => void lostListeners.delete(onLost);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      const ending = [...subscriptions];
      subscriptions.clear();
      for (const s of ending) s.onEnd?.();
      await unlisten();
    },
  };
}
