/**
 * A database from before methodology 1.1 (migrations 0000-0005, data already stored) opened
 * by this version: migration 0006 puts every stored input in batch 1, links usage
 * corrections to the record they supersede, adds the 1.1 index definitions, and the first
 * open decides the held-price states of the stored sheets; a fixing then computes under 1.1.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, openDatabase, openMigrated, rows, type Database } from "../../src/db/index.ts";
import { computeFixing, heldPrices } from "../../src/engine/index.ts";
import { engineNames, freshPostgresUrl } from "../support/engines.ts";

/** The migrations folder as it was before 1.1: 0000-0005 and their journal. */
function migrationsBefore11(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-migrations-1-0-"));
  fs.mkdirSync(path.join(dir, "meta"));
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8"));
  journal.entries = journal.entries.filter((e: { idx: number }) => e.idx <= 5);
  fs.writeFileSync(path.join(dir, "meta", "_journal.json"), JSON.stringify(journal));
  for (const e of journal.entries as { tag: string }[]) fs.copyFileSync(path.join(MIGRATIONS_DIR, `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
  return dir;
}

async function seed10(database: Database): Promise<void> {
  const sheet = async (asOf: string, input: string) => {
    const [s] = await rows<{ id: string }>(
      database.db,
      sql`INSERT INTO price_sheets (provider, country, country_source, as_of, currency, unit, raw, raw_sha256, content_sha256)
          VALUES ('moonshot', 'CN', 'sheet', ${asOf}::timestamptz, 'CNY', 'per_1m_tokens', ${input}, md5(${input}), md5(${input}))
          RETURNING id::text`,
    );
    await database.db.execute(sql`INSERT INTO sheet_models (sheet_id, model, currency, unit, input, output)
      VALUES (${s!.id}::bigint, 'k2', 'CNY', 'per_1m_tokens', ${input}::numeric, 16)`);
  };
  await sheet("2026-09-01T00:00:00Z", "4");
  await sheet("2026-09-20T00:00:00Z", "40"); // a move of 900 %: held
  for (const [version, tokens] of [[1, 100], [2, 150]] as const) {
    await database.db.execute(sql`INSERT INTO usage_records (provider, model, period_start, period_end, version, input_tokens, output_tokens)
      VALUES ('moonshot', 'k2', '2026-09-29T08:00:00Z', '2026-09-30T08:00:00Z', ${version}, ${tokens}, 10)`);
  }
}

for (const engine of engineNames) {
  describe(`Migrating a 1.0 database to 1.1 [${engine}]`, () => {
    it("stored inputs form batch 1, corrections name what they supersede, held states are decided on open, fixings compute under 1.1", async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-1-0-"));
      const config = engine === "postgres" ? { databaseUrl: await freshPostgresUrl(), dataDir } : { databaseUrl: undefined, dataDir };
      const old = await openDatabase(config);
      try {
        const folder = { migrationsFolder: migrationsBefore11() };
        if (old.engine === "pglite") await migratePglite(old.db as never, folder);
        else await migratePg(old.db as never, folder);
        await seed10(old);
      } finally {
        await old.close();
      }

      const database = await openMigrated(config);
      try {
        const db = database.db;
        const [b] = await rows<{ batches: string; unbatched: string; supersedes: string | null; states: string; v11: string }>(
          db,
          sql`SELECT (SELECT count(*) FROM input_batches)::text AS batches,
                     (SELECT count(*) FROM price_sheets WHERE batch_id <> 1)::text AS unbatched,
                     (SELECT s.id::text FROM usage_records s JOIN usage_records c ON c.supersedes = s.id) AS supersedes,
                     (SELECT count(*) FROM listing_states)::text AS states,
                     (SELECT count(*) FROM index_definitions WHERE methodology_version = '1.1')::text AS v11`,
        );
        expect(b).toMatchObject({ batches: "1", unbatched: "0", states: "4", v11: "6" });
        expect(b!.supersedes).not.toBeNull();
        // usage_records became partitioned by week (0011): the rows moved into their week
        const weeks = await rows<{ part: string; n: string }>(db, sql`SELECT tableoid::regclass::text AS part, count(*)::text AS n FROM usage_records GROUP BY 1`);
        expect(weeks).toEqual([{ part: "usage_records_w20260928", n: "2" }]);
        // every batch has an origin (0012): the 1.0 data came in batch 1, as files
        const origins = await rows<{ origin: string }>(db, sql`SELECT DISTINCT origin FROM input_batches`);
        expect(origins).toEqual([{ origin: "file" }]);
        const held = await heldPrices(db, "2026-10-01T08:00:00Z");
        expect(held.map((h) => [h.model, h.component, h.heldPrice, h.acceptedPrice])).toEqual([["k2", "input", "40", "4"]]);
        const f = await computeFixing(db, { index: "CTPI", at: "2026-10-01T08:00:00Z", kind: "final" });
        const [stored] = await rows<{ methodology_version: string; inputs_watermark: string }>(
          db,
          sql`SELECT methodology_version, inputs_watermark::text FROM fixings WHERE id = ${f.id}::bigint`,
        );
        expect(stored).toEqual({ methodology_version: "1.1", inputs_watermark: "1" });
        // the correction counts, the record it superseded does not
        const [c] = await rows<{ input_tokens: string }>(
          db,
          sql`SELECT input_tokens::text FROM fixing_exclusions WHERE fixing_id = ${f.id}::bigint AND model = 'k2'
              UNION ALL SELECT input_tokens::text FROM fixing_constituents WHERE fixing_id = ${f.id}::bigint AND model = 'k2'`,
        );
        expect(c!.input_tokens).toBe("150");
      } finally {
        await database.close();
      }
    });
  });
}
