/**
 * The running service lends its embedded database to other commands over the Postgres wire
 * protocol (src/db/handover.ts; operations spec, "One writer on the embedded database").
 * PGlite is one session shared by the service and the lent connections: these are the rules
 * that keep them from stepping on each other, seen through the same pg driver a command
 * uses. Embedded only: a Postgres server needs none of this.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, rows, type Database } from "../../src/db/index.ts";
import { lendDatabase, type LentDatabase } from "../../src/db/handover.ts";
import { freshDatabase } from "../support/engines.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("lending the embedded database to other commands", () => {
  let service: Database;
  let lent: LentDatabase;
  let borrowed: Database;
  const clients: pg.Client[] = [];

  const count = async (where = sql`true`) => (await rows<{ c: number }>(service.db, sql`select count(*)::int as c from t where ${where}`))[0]!.c;
  const client = async () => {
    const c = new pg.Client({ connectionString: lent.url });
    c.on("error", () => {});
    await c.connect();
    clients.push(c);
    return c;
  };
  const copyIn = async (c: pg.Client, text: string, chunks: Iterable<string> | AsyncIterable<string>) => {
    const stream = c.query(copyFrom(text));
    await pipeline(Readable.from(chunks, { objectMode: false }), stream);
    return stream.rowCount;
  };

  beforeAll(async () => {
    service = await freshDatabase("pglite");
    // Small COPY slices, so that a few rows already take several; a short idle limit.
    lent = await lendDatabase((service.db as unknown as { $client: PGlite }).$client, { copyBatchBytes: 64, idleInTransactionMs: 300 });
    borrowed = await openDatabase({ databaseUrl: lent.url });
    await service.db.execute(sql`create table t (n int not null, s text)`);
  });
  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => {});
    await borrowed?.close();
    await lent?.close();
    await service?.close();
  });
  beforeEach(async () => {
    await service.db.execute(sql`truncate t`);
  });

  describe("a lent transaction has the session to itself", () => {
    it("the service's queries never see it half done, nor run inside it", async () => {
      const seen: number[] = [];
      const reads = (async () => {
        for (let i = 0; i < 30; i++) {
          seen.push(await count());
          await sleep(1);
        }
      })();
      await borrowed.db.transaction(async (tx) => {
        for (let i = 0; i < 10; i++) {
          await tx.execute(sql`insert into t (n) values (${i})`);
          await sleep(2);
        }
      });
      await reads;
      expect(seen.every((n) => n === 0 || n === 10)).toBe(true);
      expect(await count()).toBe(10);
    });

    it("a lent query never runs inside the service's own transaction", async () => {
      const seen: number[] = [];
      await Promise.all([
        service.db.transaction(async (tx) => {
          await tx.execute(sql`insert into t (n) values (1)`);
          await sleep(30);
          await tx.execute(sql`insert into t (n) values (2)`);
        }),
        (async () => {
          await sleep(5);
          seen.push(...(await rows<{ c: number }>(borrowed.db, sql`select count(*)::int as c from t`)).map((r) => r.c));
        })(),
      ]);
      expect(seen).toEqual([2]);
    });

    it("concurrent lent transactions on the pool's connections do not interleave", async () => {
      await Promise.all(
        [1, 2, 3, 4, 5, 6].map((k) =>
          borrowed.db.transaction(async (tx) => {
            for (let i = 0; i < 5; i++) await tx.execute(sql`insert into t (n) values (${k})`);
            const [r] = await rows<{ c: number }>(tx, sql`select count(*)::int as c from t where n = ${k}`);
            expect(r!.c).toBe(5);
          }),
        ),
      );
      expect(await count()).toBe(30);
    });

    it("a failed lent transaction is rolled back and leaves the session usable", async () => {
      await expect(
        borrowed.db.transaction(async (tx) => {
          await tx.execute(sql`insert into t (n) values (1)`);
          await tx.execute(sql`select 1 / 0`);
        }),
      ).rejects.toThrow();
      expect(await count()).toBe(0);
      expect((await rows<{ one: number }>(borrowed.db, sql`select 1 as one`))[0]!.one).toBe(1);
    });
  });

  describe("a connection that goes away, or sits in a transaction, lets go", () => {
    it("a connection lost inside a transaction is rolled back; the service goes on", async () => {
      const c = await client();
      await c.query("begin");
      await c.query("insert into t (n) values (1)");
      (c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      expect(await count()).toBe(0);
      expect((service.db as unknown as { $client: PGlite }).$client.isInTransaction()).toBe(false);
    });

    it("a connection idle inside a transaction past the limit is rolled back and closed", async () => {
      const c = await client();
      await c.query("begin");
      await c.query("insert into t (n) values (1)");
      const started = Date.now();
      expect(await count()).toBe(0); // waits for the limit (300 ms here), not forever
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      await expect(c.query("select 1")).rejects.toThrow();
    });
  });

  describe("COPY FROM STDIN is taken in by the lender, in slices", () => {
    it("copies every row, quoted newlines and quotes included, across many slices", async () => {
      const c = await client();
      const lines = Array.from({ length: 200 }, (_, i) => `${i},"row ""${i}""\nsecond line, with comma"\n`);
      expect(await copyIn(c, "COPY t (n, s) FROM STDIN WITH (FORMAT csv)", lines)).toBe(200);
      expect(await count()).toBe(200);
      const [r] = await rows<{ s: string }>(service.db, sql`select s from t where n = 199`);
      expect(r!.s).toBe('row "199"\nsecond line, with comma');
    });

    it("CSV: a slice never ends at a line end inside a quoted field", async () => {
      const c = await client();
      // Each row in two chunks, the first (past a slice's size on its own) ending in a
      // newline inside its quoted field.
      const first = "y".repeat(70);
      const chunks = Array.from({ length: 20 }, (_, i) => [`${i},"${first}\n`, 'rest"\n']).flat();
      expect(await copyIn(c, "COPY t (n, s) FROM STDIN WITH (FORMAT csv)", chunks)).toBe(20);
      const [r] = await rows<{ s: string; c: number }>(service.db, sql`select min(s) as s, count(distinct s)::int as c from t`);
      expect(r).toEqual({ s: `${first}\nrest`, c: 1 });
    });

    it("text format: a slice never ends at a line end escaped by a backslash", async () => {
      const c = await client();
      // Each row in two chunks, the first (past a slice's size on its own) ending in
      // backslash + newline: a newline in the data, not the end of the row.
      const first = "x".repeat(70);
      const chunks = Array.from({ length: 20 }, (_, i) => [`${i}\t${first}\\\n`, "second\n"]).flat();
      expect(await copyIn(c, "COPY t (n, s) FROM STDIN", chunks)).toBe(20);
      const [r] = await rows<{ s: string; c: number }>(service.db, sql`select min(s) as s, count(distinct s)::int as c from t`);
      expect(r).toEqual({ s: `${first}\nsecond`, c: 1 });
    });

    it("a bad row fails the whole COPY: nothing stored, the connection usable", async () => {
      const c = await client();
      const lines = [...Array.from({ length: 50 }, (_, i) => `${i},ok\n`), "x,bad\n"];
      await expect(copyIn(c, "COPY t (n, s) FROM STDIN WITH (FORMAT csv)", lines)).rejects.toThrow(/invalid input syntax for type integer/);
      expect(await count()).toBe(0);
      expect((await c.query("select 1 as one")).rows).toEqual([{ one: 1 }]);
    });

    it("a COPY the client gives up fails, inside its transaction too", async () => {
      const c = await client();
      async function* failing() {
        for (let i = 0; i < 40; i++) yield `${i}\n`;
        throw new Error("the file went away");
      }
      await expect(copyIn(c, "COPY t (n) FROM STDIN", failing())).rejects.toThrow("the file went away");
      expect(await count()).toBe(0);
      await c.query("begin");
      await c.query("insert into t (n) values (-1)");
      await expect(copyIn(c, "COPY t (n) FROM STDIN", failing())).rejects.toThrow("the file went away");
      await expect(c.query("select 1")).rejects.toThrow(/aborted/);
      await c.query("rollback");
      expect(await count()).toBe(0);
    });

    it("the same COPY inside the client's transaction is rolled back with it", async () => {
      const c = await client();
      await c.query("begin");
      expect(await copyIn(c, "COPY t (n) FROM STDIN", ["1\n2\n", "3\n"])).toBe(3);
      expect((await c.query("select count(*)::int as c from t")).rows).toEqual([{ c: 3 }]);
      await c.query("rollback");
      expect(await count()).toBe(0);
    });

    it("any other statement reading from STDIN fails before PGlite sees it; the database goes on", async () => {
      const c = await client();
      await expect(c.query("select 1; copy t from stdin")).rejects.toThrow(/COPY FROM STDIN is lent only as a single COPY statement/);
      await expect(c.query("copy t (n) from stdin where n > $1", [1])).rejects.toThrow();
      expect((await c.query("select 2 as two")).rows).toEqual([{ two: 2 }]);
      expect(await count()).toBe(0);
    });
  });

  it("a NOTIFY committed by a lent connection reaches the service's listeners before the commit returns", async () => {
    const got: string[] = [];
    const unlisten = await service.listen("ciyuan_test", (payload) => got.push(payload));
    try {
      await borrowed.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_notify('ciyuan_test', 'committed')`);
      });
      expect(got).toEqual(["committed"]);
    } finally {
      await unlisten();
    }
  });

  it("refuses a connection without the password", async () => {
    const wrong = new pg.Client({ connectionString: lent.url.replace(/:[^:@]+@/, ":not-the-password@") });
    await expect(wrong.connect()).rejects.toThrow("password authentication failed");
  });
});
