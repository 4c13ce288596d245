/**
 * New fixing revisions as they are committed, from the database's NOTIFY channel (see
 * migrations/0003): every API process on one database hears every fixing, whoever
 * computed it.
 */
import type { Database, Unlisten } from "../db/index.ts";

export const FIXING_CHANNEL = "ciyuan_fixing";

export type FixingEvents = {
  /** Calls the listener with the id of each fixing revision committed from now on. */
  subscribe(listener: (fixingId: string) => void): () => void;
  close(): Promise<void>;
};

export async function fixingEvents(database: Pick<Database, "listen">): Promise<FixingEvents> {
  const listeners = new Set<(fixingId: string) => void>();
  const unlisten: Unlisten = await database.listen(FIXING_CHANNEL, (payload) => {
    if (!/^\d+$/.test(payload)) return;
    for (const listener of listeners) listener(payload);
  });
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: async () => {
      listeners.clear();
      await unlisten();
    },
  };
}
