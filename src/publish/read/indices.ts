/** The indices: each one's latest definition, and the list with each latest final fixing. */
import { desc, eq, sql } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../../db/index.ts";
import { indexDefinitions } from "../../db/schema.ts";
import { CiyuanError } from "../../errors.ts";

export type IndexDefinitionRow = typeof indexDefinitions.$inferSelect;

export type IndexView = {
  code: string;
  name: string;
  description: string;
  currency: string;
  methodologyVersion: string;
  fixingTimeLocal: string;
  fixingTz: string;
  latest: { fixingTime: string; value: string | null; level: string | null; status: "ok" | "insufficient" } | null;
};

/** The latest version of an index definition; an unknown code is a CiyuanError. */
export async function requireIndex(db: Db, code: string): Promise<IndexDefinitionRow> {
  const [row] = await db
    .select()
    .from(indexDefinitions)
    .where(eq(indexDefinitions.code, code))
    .orderBy(desc(indexDefinitions.version))
    .limit(1);
  if (!row) throw new CiyuanError("unknown_index", `unknown index: ${code}`);
  return row;
}

type IndexRow = {
  code: string;
  name: string;
  description: string;
  currency: string;
  methodology_version: string;
  fixing_local_time: string;
  fixing_tz: string;
  fixing_time: string | null;
  value: string | null;
  level: string | null;
  status: "ok" | "insufficient" | null;
};

/** Every index (its latest definition), each with its latest final fixing, by code. */
export async function listIndices(db: Db): Promise<IndexView[]> {
  const found = await rows<IndexRow>(
    db,
    sql`SELECT d.code, d.name, d.description, d.currency, d.methodology_version,
          d.fixing_local_time, d.fixing_tz,
          l.fixing_time, l.value, l.level, l.status
        FROM (SELECT DISTINCT ON (code) * FROM index_definitions ORDER BY code, version DESC) d
        LEFT JOIN LATERAL (
          SELECT f.fixing_time, round_half_even(f.value, 6)::text AS value,
                 round_half_even(f.level, 6)::text AS level, f.status
          FROM fixings f
          WHERE f.index_code = d.code AND f.kind = 'final'
          ORDER BY f.fixing_time DESC, f.revision DESC
          LIMIT 1
        ) l ON true
        ORDER BY d.code COLLATE "C"`,
  );
  return found.map((r) => ({
    code: r.code,
    name: r.name,
    description: r.description,
    currency: r.currency,
    methodologyVersion: r.methodology_version,
    fixingTimeLocal: r.fixing_local_time,
    fixingTz: r.fixing_tz,
    latest:
      r.fixing_time === null || r.status === null
        ? null
        : { fixingTime: isoUtc(r.fixing_time), value: r.value, level: r.level, status: r.status },
  }));
}
