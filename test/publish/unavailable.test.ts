/**
 * A database server that stops answering is a 503 with the one error shape, and the
 * service recovers by itself when it answers again (issue 11's outage drill,
 * scripts/drill-outage.ts, does the same with a real Postgres stopped and started). Here
 * the service reaches a real Postgres through a TCP relay the test cuts and restores.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, openDatabase, type Database } from "../../src/db/index.ts";
import { databaseUnavailable } from "../../src/db/unavailable.ts";
import { freshPostgresUrl } from "../support/engines.ts";
import { serveForTest, type TestServer } from "../support/serve.ts";
import { get } from "./http.ts";
import { seedHistory } from "./seed.ts";

/** A TCP relay to `target` on a port of its own; down() refuses and cuts every connection. */
async function relay(target: URL) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const up = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 5432), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on("close", () => sockets.delete(s));
          s.on("error", () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server!.close(() => resolve());
    });
  await up();
  return { port: () => port, up, down };
}

describe("databaseUnavailable: a server that cannot be reached or went away, not a failed query", () => {
  it("refused and broken connections, shutdown and start-up states are; constraint and syntax errors are not", () => {
    const wrapped = (cause: unknown) => Object.assign(new Error("Failed query: select 1"), { cause });
    expect(databaseUnavailable(wrapped(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })))).toBe(true);
    expect(databaseUnavailable(new AggregateError([Object.assign(new Error("x"), { code: "ECONNREFUSED" })]))).toBe(true);
    expect(databaseUnavailable(wrapped(new Error("Connection terminated unexpectedly")))).toBe(true);
    expect(databaseUnavailable(wrapped(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" })))).toBe(true);
    expect(databaseUnavailable(wrapped(Object.assign(new Error("the database system is starting up"), { code: "57P03" })))).toBe(true);
    expect(databaseUnavailable(wrapped(Object.assign(new Error("duplicate key"), { code: "23505" })))).toBe(false);
    expect(databaseUnavailable(wrapped(Object.assign(new Error("syntax error"), { code: "42601" })))).toBe(false);
    expect(databaseUnavailable(new Error("boom"))).toBe(false);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)("503 while the database does not answer, 200 again by itself when it does [postgres]", () => {
  let link: Awaited<ReturnType<typeof relay>>;
  let database: Database;
  let server: TestServer;
  beforeAll(async () => {
    const direct = new URL(await freshPostgresUrl());
    const seeded = await openDatabase({ databaseUrl: direct.toString() });
    await migrate(seeded);
    await seedHistory(seeded.db);
    await seeded.close();
    link = await relay(direct);
    const through = new URL(direct);
    through.hostname = "127.0.0.1";
    through.port = String(link.port());
    database = await openDatabase({ databaseUrl: through.toString() });
    server = await serveForTest(database);
  });
  afterAll(async () => {
    await server?.close();
    await database?.close();
    await link?.down().catch(() => {});
  });

  it("answers /latest 503 {\"error\":{\"code\":\"unavailable\",...}} and /health 503 down during the outage, 200 after, logging nothing unexpected", async () => {
    const latest = `${server.url}/v1/indices/CTPI/latest`;
    expect((await get(latest)).status).toBe(200);

    await link.down();
    for (let i = 0; i < 3; i++) {
      const r = await get(latest);
      expect(r.status).toBe(503);
      expect(r.headers.get("content-type")).toMatch(/^application\/json/);
      expect(Object.keys(r.json)).toEqual(["error"]);
      expect(Object.keys(r.json.error)).toEqual(["code", "message"]);
      expect(r.json.error.code).toBe("unavailable");
      const h = await get(`${server.url}/health`);
      expect(h.status).toBe(503);
      expect(h.json.status).toBe("down");
      expect(h.json.checks.database.ok).toBe(false);
    }

    await link.up();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await get(latest)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    // (The seeded finals are old, so /health stays down for lateness: its database check is what recovers.)
    expect((await get(`${server.url}/health`)).json.checks.database.ok).toBe(true);
    expect(server.unexpected).toEqual([]);
  });
});
