/**
 * LISTEN on a real Postgres server: a dedicated connection (a pool's connections come and
 * go, and a LISTEN lives on one session). NOTIFY is delivered at the sender's commit.
 *
 * The connection is kept: when it drops (server restart, network, an administrator's
 * pg_terminate_backend) or stops answering, a new one is opened with growing pauses and
 * LISTENs again. Notifications sent while it was down are lost to it, so `onReconnect`
 * tells the caller to catch up from the tables themselves.
 */
import pg from "pg";

export type Unlisten = () => Promise<void>;

export type ListenOptions = {
  /** Called each time LISTEN is in place again after the connection was lost. */
  onReconnect?: (() => void) | undefined;
  /** Called when the listening connection is lost (until onReconnect, nothing is heard). */
  onLost?: (() => void) | undefined;
  /** Pause before the first reconnection attempt, doubled after each failure up to maxRetryMs. */
  firstRetryMs?: number;
  maxRetryMs?: number;
  /** How often the idle connection is checked with a query; it is dropped when one goes unanswered that long. */
  pingMs?: number;
};

const DEFAULTS = { firstRetryMs: 100, maxRetryMs: 5_000, pingMs: 30_000 };

/** How the listening session names itself in pg_stat_activity. */
export const LISTEN_APPLICATION_NAME = "ciyuan-listen";

/**
 * LISTENs on `channel` and calls onPayload for each notification. The first connection
 * must succeed (a wrong URL fails at start); later losses are repaired in the background
 * until the returned function is called.
 */
export async function listenPostgres(
  url: string,
  channel: string,
  onPayload: (payload: string) => void,
  options: ListenOptions = {},
): Promise<Unlisten> {
  const { firstRetryMs, maxRetryMs, pingMs } = { ...DEFAULTS, ...options };
  let closed = false;
  let current: pg.Client | null = null;
  let retryMs = firstRetryMs;
  let retryTimer: NodeJS.Timeout | undefined;

  async function open(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url, keepAlive: true, application_name: LISTEN_APPLICATION_NAME });
    client.on("error", () => lost(client));
    client.on("end", () => lost(client));
    client.on("notification", (m) => {
      if (m.channel === channel) onPayload(m.payload ?? "");
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      client.end().catch(() => {});
      throw err;
    }
    return client;
  }

  // Only the connection in use counts: errors of one already given up are expected noise.
  function lost(client: pg.Client): void {
    if (client !== current || closed) return;
    current = null;
    client.end().catch(() => {});
    options.onLost?.();
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    retryTimer = setTimeout(async () => {
      if (closed) return;
      try {
        const client = await open();
        if (closed) {
          await client.end().catch(() => {});
          return;
        }
        current = client;
        retryMs = firstRetryMs;
        options.onReconnect?.();
      } catch {
        retryMs = Math.min(retryMs * 2, maxRetryMs);
        scheduleReconnect();
      }
    }, retryMs);
    retryTimer.unref();
  }

  // A half-open TCP connection (peer gone without a FIN) never errors by itself; a query
  // that goes unanswered for a whole interval reveals it.
  const ping = setInterval(() => {
    const client = current;
    if (!client) return;
    const deadline = setTimeout(() => lost(client), pingMs);
    deadline.unref();
    client.query("SELECT 1").then(
      () => clearTimeout(deadline),
      () => {
        clearTimeout(deadline);
        lost(client);
      },
    );
  }, pingMs);
  ping.unref();

  try {
    current = await open();
  } catch (err) {
    clearInterval(ping);
    throw err;
  }

  return async () => {
    closed = true;
    clearInterval(ping);
    clearTimeout(retryTimer);
    const client = current;
    current = null;
    await client?.end().catch(() => {});
  };
}
