/**
 * New fixing revisions as they are committed, from the database's NOTIFY channel (see
 * migrations/0003): every API process on one database hears every fixing, whoever
 * computed it. The same channel carries accepted price sheets (`sheet:<id>`, sent by the
 * transaction that stores one: normalise/sheet-notice.ts), for the stream's price_change
 * events: one listening session per process, whatever it follows.
 *
 * When the listening connection was lost and comes back, the notifications sent meanwhile
 * are gone; the fixings (and price_sheets) table is read for ids above the highest one
 * heard, so subscribers still get every revision (and sheet), once.
 */
import { sql, type SQL } from "drizzle-orm";
import { rows, type Database, type Db, type Unlisten } from "../db/index.ts";
import { sheetIdOfNotice } from "../normalise/sheet-notice.ts";

export const FIXING_CHANNEL = "ciyuan_fixing";

export type FixingEvents = {
  /**
   * Calls the listener with the id of each fixing revision committed from now on, and
   * onEnd once when the events are closed. Returns the function that unsubscribes.
   */
  subscribe(listener: (fixingId: string) => void, onEnd?: () => void): () => void;
  /**
   * Calls the listener with the id of each price sheet accepted from now on (each once, in
   * id order, which is commit order). Returns the function that unsubscribes. Absent:
   * these events carry fixings only.
   */
  subscribeSheets?(listener: (sheetId: string) => void): () => void;
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

/**
 * One kind of id heard on the channel (fixings, or price sheets): each delivered once, and
 * after a lost connection, the ids committed meanwhile read from its table, in order.
 */
class Feed {
  private readonly delivered = new Set<string>();
  highest = 0n;
  // One catch-up at a time; a reconnection during one widens the next to its start. While
  // it runs, what the new connection hears waits, so subscribers still get ids in order.
  private running = false;
  private pendingFrom: bigint | null = null;
  private held: string[] | null = null;

  constructor(
    private readonly name: string,
    private readonly table: SQL,
    private readonly db: Db,
    private readonly send: (id: string) => void,
    private readonly isClosed: () => boolean,
    private readonly options: FixingEventsOptions,
  ) {}

  /** An id heard live. */
  heard(id: string): void {
    if (this.held) this.held.push(id);
    else this.deliver(id);
  }

  private deliver(id: string): void {
    if (this.isClosed() || this.delivered.has(id)) return;
    this.delivered.add(id);
    if (this.delivered.size > REMEMBERED) this.delivered.delete(this.delivered.values().next().value!);
    if (BigInt(id) > this.highest) this.highest = BigInt(id);
    this.send(id);
  }

  async catchUp(from: bigint): Promise<void> {
    this.pendingFrom = this.pendingFrom === null || from < this.pendingFrom ? from : this.pendingFrom;
    if (this.running) return;
    this.running = true;
    this.held = [];
    try {
      while (this.pendingFrom !== null && !this.isClosed()) {
        const start = this.pendingFrom;
        this.pendingFrom = null;
        try {
          await this.deliverAfter(start);
        } catch (err) {
          this.options.log?.(`${this.name} events: catch-up after ${start} failed: ${err instanceof Error ? err.message : String(err)}`);
          const retry = setTimeout(() => void this.catchUp(start), this.options.catchUpRetryMs ?? 1_000);
          retry.unref();
        }
      }
    } finally {
      this.running = false;
      const waiting = this.held ?? [];
      this.held = null;
      for (const id of waiting.sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1))) this.deliver(id);
    }
  }

  private async deliverAfter(start: bigint): Promise<void> {
    let after = start;
    for (;;) {
      const page = await rows<{ id: string }>(
        this.db,
        // By the column, not the text alias: ids in number order.
        sql`SELECT id::text AS id FROM ${this.table} WHERE id > ${after.toString()}::bigint ORDER BY ${this.table}.id LIMIT ${CATCH_UP_PAGE}`,
      );
      for (const { id } of page) this.deliver(id);
      if (page.length < CATCH_UP_PAGE) return;
      after = BigInt(page[page.length - 1]!.id);
    }
  }
}

export async function fixingEvents(
  database: Pick<Database, "listen" | "db">,
  options: FixingEventsOptions = {},
): Promise<FixingEvents> {
  const subscriptions = new Set<Subscription>();
  const sheetListeners = new Set<(sheetId: string) => void>();
  let closed = false;
  let connected = true;
  const lostListeners = new Set<() => void>();
  const isClosed = () => closed;

  const fixings = new Feed("fixing", sql.raw("fixings"), database.db, (id) => {
    for (const s of [...subscriptions]) {
      // One failing subscriber must not starve the others (nor throw into the pg client).
      try {
        s.listener(id);
      } catch (err) {
        options.log?.(`fixing events: a subscriber failed on ${id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }, isClosed, options);
  const sheets = new Feed("price sheet", sql.raw("price_sheets"), database.db, (id) => {
    for (const listener of [...sheetListeners]) {
      try {
        listener(id);
      } catch (err) {
        options.log?.(`price sheet events: a subscriber failed on ${id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }, isClosed, options);

  const unlisten: Unlisten = await database.listen(
    FIXING_CHANNEL,
    (payload) => {
      if (/^\d{1,19}$/.test(payload)) {
        fixings.heard(payload);
        return;
      }
      const sheetId = sheetIdOfNotice(payload);
      if (sheetId !== null) sheets.heard(sheetId);
    },
    // Read synchronously, before the new connection can deliver anything: the highest ids
    // heard on the lost one.
    () => {
      connected = true;
      void fixings.catchUp(fixings.highest);
      void sheets.catchUp(sheets.highest);
    },
    () => {
      connected = false;
      for (const l of [...lostListeners]) l();
    },
  );
  try {
    const [row] = await rows<{ fixings: string; sheets: string }>(
      database.db,
      sql`SELECT (SELECT coalesce(max(id), 0) FROM fixings)::text AS fixings, (SELECT coalesce(max(id), 0) FROM price_sheets)::text AS sheets`,
    );
    if (BigInt(row!.fixings) > fixings.highest) fixings.highest = BigInt(row!.fixings);
    if (BigInt(row!.sheets) > sheets.highest) sheets.highest = BigInt(row!.sheets);
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
    subscribeSheets(listener) {
      if (closed) return () => {};
      sheetListeners.add(listener);
      return () => void sheetListeners.delete(listener);
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
      sheetListeners.clear();
      for (const s of ending) s.onEnd?.();
      await unlisten();
    },
  };
}
