/**
 * LISTEN on a real Postgres server: a dedicated connection (a pool's connections come and
 * go, and a LISTEN lives on one session). NOTIFY is delivered at the sender's commit.
 */
import pg from "pg";

export type Unlisten = () => Promise<void>;

export async function listenPostgres(url: string, channel: string, onPayload: (payload: string) => void): Promise<Unlisten> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  client.on("notification", (m) => {
    if (m.channel === channel) onPayload(m.payload ?? "");
  });
  await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
  return async () => {
    await client.end().catch(() => {});
  };
}
