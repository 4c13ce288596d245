import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import { CiyuanError } from "../errors.ts";

export type Weighting = "total" | "input" | "output";

export type IndexDefinition = {
  code: string;
  version: number;
  currency: string;
  universeCountry: string | null;
  weighting: Weighting;
  cap: string;
  minConstituents: number;
  minProviders: number;
  fixingLocalTime: string;
  fixingTz: string;
  usageWindow: string;
  baseLevel: string;
  methodologyVersion: string;
  lateDataDays: number;
};

const COLUMNS = sql`code, version, currency, universe_country as "universeCountry", weighting, cap::text as cap,
  min_constituents as "minConstituents", min_providers as "minProviders",
  fixing_local_time as "fixingLocalTime", fixing_tz as "fixingTz", usage_window as "usageWindow",
  base_level::text as "baseLevel", methodology_version as "methodologyVersion", late_data_days as "lateDataDays"`;

/** The definition of an index in force at T: its latest version valid from T or earlier. */
export async function definitionAt(db: Db, code: string, at: string): Promise<IndexDefinition> {
  const [row] = await rows<IndexDefinition>(
    db,
    sql`select ${COLUMNS} from index_definitions
        where code = ${code} and valid_from <= ${at}::timestamptz
        order by version desc limit 1`,
  );
  if (row) return row;
  const [known] = await rows<{ code: string }>(db, sql`select code from index_definitions where code = ${code} limit 1`);
  if (known) throw new CiyuanError("bad_request", `index ${code} has no definition in force at ${at}`);
  throw new CiyuanError("unknown_index", `unknown index: ${code}`);
}

/** One version of an index definition (the one a stored fixing was computed under). */
export async function definitionVersion(db: Db, code: string, version: number): Promise<IndexDefinition> {
  const [row] = await rows<IndexDefinition>(db, sql`select ${COLUMNS} from index_definitions where code = ${code} and version = ${version}`);
  if (!row) throw new CiyuanError("not_found", `index ${code} has no definition version ${version}`);
  return row;
}

export async function indexCodes(db: Db): Promise<string[]> {
  const r = await rows<{ code: string }>(db, sql`select distinct code from index_definitions order by code`);
  return r.map((x) => x.code);
}
