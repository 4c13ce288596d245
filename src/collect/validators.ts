/**
 * Conditional GET needs the ETag / Last-Modified of the source's last successful
 * collection. No table has a column for them, so they live in `meta` (the one mutable
 * key-value table), one row per source, keyed `collect.validators.<name>`, and only for
 * the URL they were served for: a source pointed elsewhere starts unconditional.
 */
import { sql } from "drizzle-orm";
import { z } from "zod";
import { rows, type Db } from "../db/index.ts";

export type Validators = { etag?: string; lastModified?: string };

const stored = z.object({ url: z.string(), etag: z.string().optional(), last_modified: z.string().optional() });

const keyOf = (name: string) => `collect.validators.${name}`;

export async function previousValidators(db: Db, name: string, url: string): Promise<Validators> {
  const [row] = await rows<{ value: string }>(db, sql`select value from meta where key = ${keyOf(name)}`);
  if (!row) return {};
  let parsed;
  try {
    parsed = stored.safeParse(JSON.parse(row.value));
  } catch {
    return {};
  }
  if (!parsed.success || parsed.data.url !== url) return {};
  const { etag, last_modified } = parsed.data;
  return { ...(etag !== undefined ? { etag } : {}), ...(last_modified !== undefined ? { lastModified: last_modified } : {}) };
}

/** Kept after a body was fetched and imported; a body without validators clears them. */
export async function saveValidators(db: Db, name: string, url: string, v: Validators): Promise<void> {
  const value = JSON.stringify({ url, etag: v.etag, last_modified: v.lastModified });
  await db.execute(
    sql`insert into meta (key, value) values (${keyOf(name)}, ${value})
        on conflict (key) do update set value = excluded.value, set_at = clock_timestamp()`,
  );
}
