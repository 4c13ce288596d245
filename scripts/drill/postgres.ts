/**
 * What the failure drills share about a Postgres server: throw-away databases named
 * `ciyuan_drill_<random>` (copies of a prepared one by CREATE DATABASE ... TEMPLATE),
 * dropped when the drill ends (also on Ctrl-C), waiting for a killed client's session to be
 * gone, and the facts of stored fixings and settlements the drills compare.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { onCleanup } from "../bench/lib.ts";

export class DrillServer {
  /** Databases made and not dropped yet: dropped when the drill ends, however it ends. */
  private readonly live = new Set<string>();

  constructor(readonly serverUrl: string) {
    onCleanup(async () => {
      for (const name of [...this.live]) await this.drop(name);
    });
  }

  /** A URL of the same server naming another database. */
  urlOf(name: string): string {
    const url = new URL(this.serverUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  async admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.serverUrl });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  /** A new empty database, or a copy of `template` (which nothing may have open). */
  async create(template?: string): Promise<string> {
    const name = `ciyuan_drill_${randomBytes(5).toString("hex")}`;
    this.live.add(name);
    await this.admin(async (c) => {
      // A template must have no other sessions; a killed client's may linger a moment.
      for (let attempt = 0; ; attempt++) {
        try {
          await c.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ""}`);
          return;
        } catch (err) {
          if (!template || attempt >= 40 || !/being accessed by other users/.test(String(err))) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    });
    return name;
  }

  async drop(name: string): Promise<void> {
    await this.admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    this.live.delete(name);
  }

  /**
   * Waits until no session is connected to the database. A killed client's backend lives on
   * until it next talks to the client (a long statement runs to its end first), and only
   * then rolls back: what it did is known once it is gone. Returns the milliseconds waited.
   */
  async waitIdle(name: string, timeoutMs = 60_000): Promise<number> {
    const started = Date.now();
    return this.admin(async (c) => {
      for (;;) {
        const r = await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [name]);
        if (r.rows[0]!.n === 0) return Date.now() - started;
        if (Date.now() - started > timeoutMs) throw new Error(`${name}: sessions still open after ${timeoutMs} ms`);
        await new Promise((res) => setTimeout(res, 50));
      }
    });
  }
}

/** Runs fn on one plain connection to a database. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, options: "-c TimeZone=UTC" });
  // A drill cut short drops its databases WITH (FORCE), ending this session under a query:
  // the query fails, and the client's error event must not end the process first.
  client.on("error", () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * What a fixing revision publishes and was made of, without the row ids it refers to:
 * status, value, level, percentiles, counts and every constituent's and exclusion's
 * numbers. `hash` is its inputs_sha256 (which also names the watermark and sheet ids).
 */
export type Fingerprint = { numbers: string; hash: string };

const FINGERPRINT_SQL = `
  SELECT concat_ws(' ', f.status, f.value, f.level, f.p25, f.p50, f.p75, f.constituent_count, f.provider_count,
           (SELECT md5(coalesce(string_agg(concat_ws('|', c.provider, c.model, c.raw_weight, c.weight, c.capped, c.price,
                                                     c.input_tokens, c.cached_input_tokens, c.output_tokens,
                                                     array_to_string(c.held, ',')), ';' ORDER BY c.provider, c.model), ''))
            FROM fixing_constituents c WHERE c.fixing_id = f.id),
           (SELECT md5(coalesce(string_agg(concat_ws('|', x.provider, x.model, x.reason, x.input_tokens,
                                                     x.cached_input_tokens, x.output_tokens), ';' ORDER BY x.provider, x.model), ''))
            FROM fixing_exclusions x WHERE x.fixing_id = f.id)) AS numbers,
         f.inputs_sha256 AS hash
  FROM fixings f WHERE f.id = $1::bigint`;

export async function fingerprint(client: pg.Client, fixingId: string): Promise<Fingerprint> {
  const r = await client.query<Fingerprint>(FINGERPRINT_SQL, [fixingId]);
  if (!r.rows[0]) throw new Error(`fixing ${fixingId} not found`);
  return r.rows[0];
}

/** One stored final fixing revision and whether it is whole. */
export type FinalRow = {
  id: string;
  t: string;
  revision: number;
  constituent_count: number;
  constituents: number;
  provider_count: number;
  providers: number;
  signatures: number;
};

export async function finals(client: pg.Client, index: string): Promise<FinalRow[]> {
  const r = await client.query<FinalRow>(
    `SELECT f.id::text, to_char(f.fixing_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS t, f.revision,
            f.constituent_count, f.provider_count,
            (SELECT count(*)::int FROM fixing_constituents c WHERE c.fixing_id = f.id) AS constituents,
            (SELECT count(DISTINCT c.provider)::int FROM fixing_constituents c WHERE c.fixing_id = f.id) AS providers,
            (SELECT count(*)::int FROM fixing_signatures s WHERE s.fixing_id = f.id) AS signatures
     FROM fixings f WHERE f.index_code = $1 AND f.kind = 'final' ORDER BY f.fixing_time, f.revision`,
    [index],
  );
  return r.rows;
}

/** Why a stored final is not whole (constituents, providers, signature), or null. */
export function incomplete(f: FinalRow): string | null {
  if (f.constituents !== f.constituent_count) return `${f.t}: ${f.constituents} constituent rows, constituent_count ${f.constituent_count}`;
  if (f.providers !== f.provider_count) return `${f.t}: ${f.providers} providers among the constituents, provider_count ${f.provider_count}`;
  if (f.signatures < 1) return `${f.t}: no signature`;
  return null;
}

/** One stored settlement revision, with the links to the fixings it averaged. */
export type SettlementRow = {
  month: string;
  revision: number;
  value: string | null;
  provisional: boolean;
  fixing_count: number;
  links: number;
  dangling: number;
  signed: boolean;
};

export async function settlements(client: pg.Client, index: string): Promise<SettlementRow[]> {
  const r = await client.query<SettlementRow>(
    `SELECT s.month, s.revision, s.value::text, s.provisional, s.fixing_count,
            (SELECT count(*)::int FROM settlement_fixings sf WHERE sf.settlement_id = s.id) AS links,
            (SELECT count(*)::int FROM settlement_fixings sf LEFT JOIN fixings f ON f.id = sf.fixing_id
             WHERE sf.settlement_id = s.id AND f.id IS NULL) AS dangling,
            (s.kid IS NOT NULL AND s.sig IS NOT NULL) AS signed
     FROM settlements s WHERE s.index_code = $1 ORDER BY s.month, s.revision`,
    [index],
  );
  return r.rows;
}
