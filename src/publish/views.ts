/**
 * What a published fixing or index is, read from the database: shared by the HTTP routes
 * and the CLI (`fix`, `show`). Published numbers are rounded in SQL (half-even: 6 dp for
 * values, levels, percentiles and prices, 8 dp for weights) and leave the database as
 * decimal text; they never pass through a JS number.
 */
import type { StoredCoverage } from "../engine/coverage.ts";
import { desc, eq, sql, type SQL } from "drizzle-orm";
import { rows, isoUtc, type Db } from "../db/index.ts";
import { indexDefinitions } from "../db/schema.ts";
import { CiyuanError } from "../errors.ts";
import { isDateOnly, parseInstant } from "./instants.ts";

export type FixingKind = "final" | "indicative";

export type FixingQuery = {
  index: string;
  kind?: FixingKind;
  /** ISO 8601 instant with offset; absent: the latest fixing of that kind. */
  fixingTime?: string;
  revision?: number;
  /** ISO 8601 instant: the revision current then (highest revision computed at or before it). */
  asOf?: string;
};

export type ConstituentView = {
  provider: string;
  model: string;
  weight: string;
  price: string;
  inputPrice: string;
  outputPrice: string;
  inputTokens: string;
  cachedInputTokens: string;
  outputTokens: string;
  capped: boolean;
  held: string[];
  sheetId: string;
  /** Null for a fixing stored before origins were kept. */
  origins: string[] | null;
  estimated: boolean | null;
};

export type ExclusionView = { provider: string; model: string; reason: string };

export type FixingView = {
  id: string;
  index: string;
  fixingTime: string;
  kind: FixingKind;
  status: "ok" | "insufficient";
  value: string | null;
  level: string | null;
  p25: string | null;
  p50: string | null;
  p75: string | null;
  currency: string;
  methodologyVersion: string;
  revision: number;
  computedAt: string;
  inputsSha256: string;
  reason: string;
  constituentCount: number;
  providerCount: number;
  /** Insufficient fixings: the ok fixing whose value and level they carry. */
  carriedFrom: { fixingTime: string; revision: number } | null;
  /** The signature stored when the revision was computed (the first key's, if several). */
  signature: { kid: string; sig: string } | null;
  dataOrigin: "sample" | "real";
  /** Null for a fixing stored before coverage was kept. */
  coverage: StoredCoverage | null;
  constituents?: ConstituentView[];
  exclusions?: ExclusionView[];
};

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

type FixingRow = {
  id: string;
  index_code: string;
  fixing_time: string;
  kind: FixingKind;
  status: "ok" | "insufficient";
  value: string | null;
  level: string | null;
  p25: string | null;
  p50: string | null;
  p75: string | null;
  currency: string;
  methodology_version: string;
  revision: number;
  computed_at: string;
  inputs_sha256: string;
  reason: string;
  constituent_count: number;
  provider_count: number;
  carried_fixing_time: string | null;
  carried_revision: number | null;
  sig_kid: string | null;
  sig: string | null;
  data_origin: "sample" | "real";
  coverage: StoredCoverage | null;
};

// `f` is the fixing revision, `cf` the fixing an insufficient one carries forward.
const FIXING_COLUMNS = sql`
  f.id::text AS id, f.index_code, f.fixing_time, f.kind, f.status,
  round_half_even(f.value, 6)::text AS value, round_half_even(f.level, 6)::text AS level,
  round_half_even(f.p25, 6)::text AS p25, round_half_even(f.p50, 6)::text AS p50,
  round_half_even(f.p75, 6)::text AS p75,
  f.currency, f.methodology_version, f.revision::int AS revision, f.computed_at,
  f.inputs_sha256, f.reason, f.constituent_count::int AS constituent_count,
  f.provider_count::int AS provider_count,
  cf.fixing_time AS carried_fixing_time, cf.revision::int AS carried_revision,
  sg.kid AS sig_kid, sg.sig, f.data_origin, f.coverage`;
const FIXING_FROM = sql`fixings f LEFT JOIN fixings cf ON cf.id = f.carried_from_fixing_id
  LEFT JOIN LATERAL (
    SELECT s.kid, s.sig FROM fixing_signatures s WHERE s.fixing_id = f.id ORDER BY s.signed_at, s.kid LIMIT 1
  ) sg ON true`;

function toView(r: FixingRow): FixingView {
  return {
    id: r.id,
    index: r.index_code,
    fixingTime: isoUtc(r.fixing_time),
    kind: r.kind,
    status: r.status,
    value: r.value,
    level: r.level,
    p25: r.p25,
    p50: r.p50,
    p75: r.p75,
    currency: r.currency,
    methodologyVersion: r.methodology_version,
    revision: r.revision,
    computedAt: isoUtc(r.computed_at),
    inputsSha256: r.inputs_sha256,
    reason: r.reason,
    constituentCount: r.constituent_count,
    providerCount: r.provider_count,
    carriedFrom:
      r.carried_fixing_time === null || r.carried_revision === null
        ? null
        : { fixingTime: isoUtc(r.carried_fixing_time), revision: r.carried_revision },
    signature: r.sig_kid === null || r.sig === null ? null : { kid: r.sig_kid, sig: r.sig },
    dataOrigin: r.data_origin,
    coverage: r.coverage,
  };
}

function instantParam(name: string, text: string): string {
  const instant = parseInstant(text);
  if (instant === null) throw new CiyuanError("bad_request", `${name}: not an ISO 8601 instant with offset: ${JSON.stringify(text)}`);
  return instant;
}

/**
 * One fixing revision. Without `fixingTime`, the latest fixing of that kind (as known at
 * `asOf` when given); the latest revision unless `revision` or `asOf` says otherwise.
 * Null when there is none.
 */
export async function loadFixing(db: Db, q: FixingQuery & { details: boolean }): Promise<FixingView | null> {
  const kind = q.kind ?? "final";
  const asOf = q.asOf === undefined ? undefined : instantParam("as_of", q.asOf);
  const known = asOf === undefined ? sql`` : sql` AND computed_at <= ${asOf}::timestamptz`;
  const time =
    q.fixingTime === undefined
      ? sql`(SELECT max(fixing_time) FROM fixings WHERE index_code = ${q.index} AND kind = ${kind}${known})`
      : sql`${instantParam("fixing_time", q.fixingTime)}::timestamptz`;
  const conditions: SQL[] = [sql`f.index_code = ${q.index}`, sql`f.kind = ${kind}`, sql`f.fixing_time = ${time}`];
  if (q.revision !== undefined) conditions.push(sql`f.revision = ${q.revision}`);
  if (asOf !== undefined) conditions.push(sql`f.computed_at <= ${asOf}::timestamptz`);
  const [row] = await rows<FixingRow>(
    db,
    sql`SELECT ${FIXING_COLUMNS} FROM ${FIXING_FROM} WHERE ${sql.join(conditions, sql` AND `)}
        ORDER BY f.revision DESC LIMIT 1`,
  );
  if (!row) return null;
  const view = toView(row);
  if (q.details) {
    view.constituents = await loadConstituents(db, view.id);
    view.exclusions = await loadExclusions(db, view.id);
  }
  return view;
}

type ConstituentRow = {
  provider: string;
  model: string;
  weight: string;
  price: string;
  input_price: string;
  output_price: string;
  input_tokens: string;
  cached_input_tokens: string;
  output_tokens: string;
  capped: boolean;
  held: string[];
  sheet_id: string;
  origins: string[] | null;
  estimated: boolean | null;
};

// Ordering by the exact weight (not its rounded text), ties by name in byte order so both
// engines agree whatever their default collation.
async function loadConstituents(db: Db, fixingId: string): Promise<ConstituentView[]> {
  const found = await rows<ConstituentRow>(
    db,
    sql`SELECT fc.provider, fc.model,
          round_half_even(fc.weight, 8)::text AS weight,
          round_half_even(fc.price, 6)::text AS price,
          round_half_even(fc.input_price, 6)::text AS input_price,
          round_half_even(fc.output_price, 6)::text AS output_price,
          fc.input_tokens::text AS input_tokens,
          fc.cached_input_tokens::text AS cached_input_tokens,
          fc.output_tokens::text AS output_tokens,
          fc.capped, to_jsonb(fc.held) AS held, fc.sheet_id::text AS sheet_id,
          to_jsonb(fc.origins) AS origins, fc.estimated
        FROM fixing_constituents fc
        WHERE fc.fixing_id = ${fixingId}::bigint
        ORDER BY fc.weight DESC, fc.provider COLLATE "C", fc.model COLLATE "C"`,
  );
  return found.map((r) => ({
    provider: r.provider,
    model: r.model,
    weight: r.weight,
    price: r.price,
    inputPrice: r.input_price,
    outputPrice: r.output_price,
    inputTokens: r.input_tokens,
    cachedInputTokens: r.cached_input_tokens,
    outputTokens: r.output_tokens,
    capped: r.capped,
    held: r.held,
    sheetId: r.sheet_id,
    origins: r.origins,
    estimated: r.estimated,
  }));
}

async function loadExclusions(db: Db, fixingId: string): Promise<ExclusionView[]> {
  return rows<ExclusionView>(
    db,
    sql`SELECT fe.provider, fe.model, fe.reason FROM fixing_exclusions fe
        WHERE fe.fixing_id = ${fixingId}::bigint
        ORDER BY fe.provider COLLATE "C", fe.model COLLATE "C"`,
  );
}

export type FixingRange = { index: string; from?: string; to?: string; kind?: FixingKind };

const PAGE = 500;

/**
 * Fixings of one index in [from, to], oldest first, the latest revision of each. `from`
 * and `to` are instants or dates (a date `from` starts at 00:00 UTC; a date `to` runs
 * through the end of that day UTC). Read in pages, so a long range is never held in
 * memory at once.
 */
export async function* listFixings(db: Db, q: FixingRange): AsyncGenerator<FixingView> {
  const conditions = rangeConditions(q);
  let after: string | null = null;
  for (;;) {
    const page: FixingRow[] = await rows<FixingRow>(
      db,
      sql`SELECT DISTINCT ON (f.fixing_time) ${FIXING_COLUMNS} FROM ${FIXING_FROM}
          WHERE ${sql.join(conditions, sql` AND `)}
            ${after === null ? sql`` : sql`AND f.fixing_time > ${after}::timestamptz`}
          ORDER BY f.fixing_time, f.revision DESC
          LIMIT ${PAGE}`,
    );
    for (const r of page) yield toView(r);
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.fixing_time;
  }
}

function rangeConditions(q: FixingRange): SQL[] {
  const conditions: SQL[] = [sql`f.index_code = ${q.index}`, sql`f.kind = ${q.kind ?? "final"}`];
  if (q.from !== undefined) conditions.push(sql`f.fixing_time >= ${rangeStart(q.from)}`);
  if (q.to !== undefined) conditions.push(rangeEndCondition(q.to));
  return conditions;
}

/**
 * What the fixings of a range (as listFixings reads them) depend on, cheaply: fixing rows
 * and signatures are only ever added, so their count and highest id change whenever the
 * list could. An ETag for the range, without building it.
 */
export async function fixingRangeFingerprint(db: Db, q: FixingRange): Promise<string> {
  const [row] = await rows<{ revisions: string; max_id: string | null; signatures: string }>(
    db,
    sql`SELECT count(DISTINCT f.id)::text AS revisions, max(f.id)::text AS max_id, count(s.fixing_id)::text AS signatures
        FROM fixings f LEFT JOIN fixing_signatures s ON s.fixing_id = f.id
        WHERE ${sql.join(rangeConditions(q), sql` AND `)}`,
  );
  return `${row!.revisions}/${row!.max_id ?? 0}/${row!.signatures}`;
}

/** Every revision of one fixing, oldest first, without constituents; empty when there is none. */
export async function listRevisions(db: Db, q: { index: string; kind?: FixingKind; fixingTime: string }): Promise<FixingView[]> {
  const found = await rows<FixingRow>(
    db,
    sql`SELECT ${FIXING_COLUMNS} FROM ${FIXING_FROM}
        WHERE f.index_code = ${q.index} AND f.kind = ${q.kind ?? "final"}
          AND f.fixing_time = ${instantParam("fixing_time", q.fixingTime)}::timestamptz
        ORDER BY f.revision`,
  );
  return found.map(toView);
}

function rangeStart(text: string): SQL {
  if (isDateOnly(text)) return sql`(${text}::date::timestamp AT TIME ZONE 'UTC')`;
  return sql`${instantParam("from", text)}::timestamptz`;
}

function rangeEndCondition(text: string): SQL {
  if (isDateOnly(text)) return sql`f.fixing_time < ((${text}::date + 1)::timestamp AT TIME ZONE 'UTC')`;
  return sql`f.fixing_time <= ${instantParam("to", text)}::timestamptz`;
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

export type FixingFeed = { afterId: string; index?: string | undefined; kind?: FixingKind | undefined; limit: number };

/** Fixing revisions (every kind, every revision) stored after `afterId`, in id order: what /v1/stream replays. */
export async function fixingsAfter(db: Db, q: FixingFeed): Promise<FixingView[]> {
  const conditions: SQL[] = [sql`f.id > ${q.afterId}::bigint`];
  if (q.index !== undefined) conditions.push(sql`f.index_code = ${q.index}`);
  if (q.kind !== undefined) conditions.push(sql`f.kind = ${q.kind}`);
  const found = await rows<FixingRow>(
    db,
    sql`SELECT ${FIXING_COLUMNS} FROM ${FIXING_FROM} WHERE ${sql.join(conditions, sql` AND `)} ORDER BY f.id LIMIT ${q.limit}`,
  );
  return found.map(toView);
}

/** One fixing revision by its id, without constituents; null when there is none. */
export async function fixingById(db: Db, id: string): Promise<FixingView | null> {
  const [row] = await rows<FixingRow>(db, sql`SELECT ${FIXING_COLUMNS} FROM ${FIXING_FROM} WHERE f.id = ${id}::bigint`);
  return row ? toView(row) : null;
}
