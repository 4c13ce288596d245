/**
 * The one database schema. Money, prices, weights and token counts are `numeric` or
 * `bigint` and travel through TypeScript as decimal strings (mode "string"); nothing
 * here is ever a JS float. Input tables are append-only and fixing tables immutable:
 * migrations/0001_rules.sql enforces that with triggers, not only the code.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  index,
  uniqueIndex,
  check,
} from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "string" });
const id = () => bigserial("id", { mode: "bigint" }).primaryKey();
const ref = (name: string) => bigint(name, { mode: "bigint" });
const tokens = (name: string) => bigint(name, { mode: "bigint" });

/** Every file or HTTP body that reached an importer: its hash, origin and outcome. */
export const payloads = pgTable(
  "payloads",
  {
    id: id(),
    kind: text("kind").notNull(), // prices | usage | fx
    source: text("source").notNull(), // "file" or a collector source name
    location: text("location").notNull(), // file path or URL
    httpStatus: integer("http_status"),
    sha256: text("sha256").notNull(),
    bytes: bigint("bytes", { mode: "bigint" }).notNull(),
    // Kept for price sheets and FX files (small); usage files can be gigabytes.
    content: text("content"),
    receivedAt: ts("received_at").notNull().default(sql`clock_timestamp()`),
  },
  (t) => [index("payloads_sha256_idx").on(t.sha256)],
);


/**
 * One batch of inputs (a price sheet, a usage file or submission, an FX file, an approval,
 * a withdrawal). Its id is the batch number: numbers are taken under one lock that is held
 * until commit (normalise/batches.ts), so they become visible in the order they were
 * taken, and a fixing's `inputs_watermark` (the highest number it saw) bounds exactly what
 * it read. Gaps (a rolled-back import) are harmless.
 */
export const inputBatches = pgTable(
  "input_batches",
  {
    id: id(),
    kind: text("kind").notNull(), // prices | usage | fx | approval | withdrawal | migration
    payloadId: ref("payload_id").references(() => payloads.id),
    committedAt: ts("committed_at").notNull().default(sql`clock_timestamp()`),
    // Where the batch came from (operations-and-users.md section 4): sample | file | operator
    // | collector:<source> | contributor:<name>.
    origin: text("origin").notNull(),
    // A public usage proxy's batch (a collector whose volumes stand in for real ones).
    proxy: boolean("proxy").notNull().default(false),
  },
  (t) => [
    check("input_batches_kind", sql`${t.kind} in ('prices', 'usage', 'fx', 'approval', 'withdrawal', 'migration')`),
    check("input_batches_origin", sql`${t.origin} ~ '^(sample|file|operator|collector:.+|contributor:.+)$'`),
  ],
);
const batch = () => ref("batch_id").notNull().references(() => inputBatches.id);

/** An accepted price sheet: one provider's complete list from `as_of` on. */
export const priceSheets = pgTable(
  "price_sheets",
  {
    id: id(),
    provider: text("provider").notNull(),
    country: text("country").notNull(),
    countrySource: text("country_source").notNull(), // sheet | provider_history | source_config
    asOf: ts("as_of").notNull(),
    currency: text("currency").notNull(),
    unit: text("unit").notNull(),
    raw: text("raw").notNull(), // the sheet's own text (JSON document, or CSV header + its rows)
    rawSha256: text("raw_sha256").notNull(),
    contentSha256: text("content_sha256").notNull(), // over the canonical form of the sheet
    payloadId: ref("payload_id").references(() => payloads.id),
    batchId: batch(),
    importedAt: ts("imported_at").notNull().default(sql`clock_timestamp()`),
  },
  (t) => [
    uniqueIndex("price_sheets_identity").on(t.provider, t.asOf, t.contentSha256),
    index("price_sheets_provider_as_of").on(t.provider, t.asOf),
  ],
);

/** One model's prices on a sheet, as listed (price in `currency` per `unit`). */
export const sheetModels = pgTable(
  "sheet_models",
  {
    sheetId: ref("sheet_id")
      .notNull()
      .references(() => priceSheets.id),
    model: text("model").notNull(),
    currency: text("currency").notNull(),
    unit: text("unit").notNull(),
    input: numeric("input", { mode: "string" }),
    cachedInput: numeric("cached_input", { mode: "string" }),
    output: numeric("output", { mode: "string" }),
    tiers: jsonb("tiers"),
    offPeak: jsonb("off_peak"),
  },
  (t) => [
    primaryKey({ columns: [t.sheetId, t.model] }),
    check("sheet_models_positive", sql`coalesce(${t.input}, 1) > 0 and coalesce(${t.cachedInput}, 1) > 0 and coalesce(${t.output}, 1) > 0`),
  ],
);

/** Rejected price sheets, whole, with the reason. Never read by the engine. */
export const quarantine = pgTable(
  "quarantine",
  {
    id: id(),
    payloadId: ref("payload_id").references(() => payloads.id),
    location: text("location").notNull(), // file (and line) or URL it came from
    provider: text("provider"),
    asOf: text("as_of"),
    reason: text("reason").notNull(),
    raw: text("raw").notNull(),
    rawSha256: text("raw_sha256").notNull(),
    receivedAt: ts("received_at").notNull().default(sql`clock_timestamp()`),
  },
  (t) => [uniqueIndex("quarantine_raw").on(t.rawSha256, t.reason)],
);

/** An operator's release of a held price: in force for fixings at T >= approved_at. */
export const priceApprovals = pgTable(
  "price_approvals",
  {
    id: id(),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    sheetAsOf: ts("sheet_as_of").notNull(), // as_of of the sheet whose held price is released
    approvedAt: ts("approved_at").notNull().default(sql`clock_timestamp()`),
    approvedBy: text("approved_by").notNull().default("cli"),
    batchId: batch(),
  },
  (t) => [uniqueIndex("price_approvals_identity").on(t.provider, t.model, t.sheetAsOf)],
);


/**
 * Held-price state of one component listed on one sheet, computed when the sheet (or an
 * approval) is imported (engine/holds.ts), so a fixing reads it by lookup. An approval at A
 * changes the state for fixing times T >= A only, so a listing has one row per interval of
 * T [from_t, until_t). A later import that changes the walk (a backdated sheet, an
 * approval) writes a new generation under its own batch; a fixing at watermark W reads,
 * per listing, the generation of the highest batch <= W.
 */
export const listingStates = pgTable(
  "listing_states",
  {
    sheetId: ref("sheet_id")
      .notNull()
      .references(() => priceSheets.id),
    model: text("model").notNull(),
    component: text("component").notNull(), // input | cached_input | output
    batchId: batch(),
    fromT: ts("from_t").notNull(),
    untilT: ts("until_t"), // null: no end
    provider: text("provider").notNull(),
    asOf: ts("as_of").notNull(), // the sheet's, so the walk finds a listing's predecessor by index
    listedPrice: numeric("listed_price", { mode: "string" }).notNull(), // per 1M tokens, listed currency
    listedCurrency: text("listed_currency").notNull(),
    acceptedPrice: numeric("accepted_price", { mode: "string" }).notNull(),
    acceptedCurrency: text("accepted_currency").notNull(),
    acceptedSheetId: ref("accepted_sheet_id").notNull(),
    held: boolean("held").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.sheetId, t.model, t.component, t.batchId, t.fromT] }),
    check("listing_states_component", sql`${t.component} in ('input', 'cached_input', 'output')`),
  ],
);

/** CNY per one unit of `currency`, in force from `as_of`. A later row for the same
 * (currency, as_of) is a correction; the old row stays. */
export const fxRates = pgTable(
  "fx_rates",
  {
    id: id(),
    currency: text("currency").notNull(),
    cnyPerUnit: numeric("cny_per_unit", { mode: "string" }).notNull(),
    asOf: ts("as_of").notNull(),
    source: text("source").notNull(),
    payloadId: ref("payload_id").references(() => payloads.id),
    batchId: batch(),
    importedAt: ts("imported_at").notNull().default(sql`clock_timestamp()`),
  },
  (t) => [
    index("fx_rates_currency_as_of").on(t.currency, t.asOf),
    check("fx_rates_positive", sql`${t.cnyPerUnit} > 0`),
  ],
);

/**
 * Usage figures. Keyed by (provider, model, period_start, period_end); a correction is a
 * new version of the key and supersedes the old one for fixings computed afterwards.
 *
 * Partitioned by range of period_end, one partition per ISO week (migration 0011; drizzle
 * does not model partitions, normalise/usage-weeks.ts makes them). Every read is a
 * period_end range, which the planner prunes to whole weeks, so no b-tree is kept: one cost
 * a million-row import as much as its COPY. The key is kept unique by the importer, which
 * holds the usage import lock and checks a file's keys against the stored ones set-based.
 */
export const usageRecords = pgTable(
  "usage_records",
  {
    // Unique (a sequence), but no primary-key index: nothing reads a usage record by id
    // except a correction naming what it supersedes (indexed below) and 1.0 provenance,
    // and a second b-tree costs an import of a million rows about a second.
    id: bigserial("id", { mode: "bigint" }).notNull(),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    periodStart: ts("period_start").notNull(),
    periodEnd: ts("period_end").notNull(),
    version: integer("version").notNull(),
    inputTokens: tokens("input_tokens").notNull(),
    cachedInputTokens: tokens("cached_input_tokens"),
    outputTokens: tokens("output_tokens").notNull(),
    // No foreign keys on this table: a usage file is millions of rows, and a per-row key
    // check costs more than the COPY itself. The importer writes the batch it just opened,
    // and the batch (input_batches) names the payload.
    payloadId: ref("payload_id"),
    batchId: ref("batch_id").notNull(),
    // The record this one corrects (the key's previous version): from this record's batch
    // on, that one no longer counts. Corrections are rare, so a fixing excludes them with a
    // small anti-join instead of picking the latest version of every key in its window.
    supersedes: ref("supersedes"),
    // The import's transaction time: clock_timestamp() per row cost a million-row import
    // about as much as its COPY's parsing of the timestamps.
    importedAt: ts("imported_at").notNull().default(sql`now()`),
    // True when the volumes were estimated, not reported (a proxy's split of a total).
    estimated: boolean("estimated").notNull().default(false),
  },
  (t) => [
    index("usage_records_supersedes").on(t.supersedes, t.batchId).where(sql`${t.supersedes} is not null`),
    check(
      "usage_records_valid",
      sql`${t.inputTokens} >= 0 and ${t.outputTokens} >= 0 and coalesce(${t.cachedInputTokens}, 0) >= 0
          and coalesce(${t.cachedInputTokens}, 0) <= ${t.inputTokens} and ${t.periodEnd} > ${t.periodStart}`,
    ),
  ],
);

/** Index definitions are data: versioned rows, never edited in place. */
export const indexDefinitions = pgTable(
  "index_definitions",
  {
    code: text("code").notNull(),
    version: integer("version").notNull(),
    name: text("name").notNull(),
    description: text("description").notNull(),
    currency: text("currency").notNull(), // currency the value is published in
    universeCountry: text("universe_country"), // null: every provider
    weighting: text("weighting").notNull(), // total | input | output
    cap: numeric("cap", { mode: "string" }).notNull(),
    minConstituents: integer("min_constituents").notNull(),
    minProviders: integer("min_providers").notNull(),
    fixingLocalTime: text("fixing_local_time").notNull(), // HH:MM
    fixingTz: text("fixing_tz").notNull(),
    usageWindow: text("usage_window").notNull(), // a Postgres interval, e.g. '7 days'
    baseLevel: numeric("base_level", { mode: "string" }).notNull(),
    methodologyVersion: text("methodology_version").notNull(),
    // [1.1] Late data: at each final fixing time the finals of this many previous days are
    // recomputed (a new revision only where a published number changes).
    lateDataDays: integer("late_data_days").notNull().default(3),
    validFrom: ts("valid_from").notNull(),
    createdAt: ts("created_at").notNull().default(sql`clock_timestamp()`),
  },
  (t) => [primaryKey({ columns: [t.code, t.version] })],
);

/** One revision of one fixing. Published numbers are stored rounded (half-even, 6 dp). */
export const fixings = pgTable(
  "fixings",
  {
    id: id(),
    indexCode: text("index_code").notNull(),
    definitionVersion: integer("definition_version").notNull(),
    fixingTime: ts("fixing_time").notNull(),
    kind: text("kind").notNull(), // final | indicative
    revision: integer("revision").notNull(),
    status: text("status").notNull(), // ok | insufficient
    value: numeric("value", { mode: "string" }),
    level: numeric("level", { mode: "string" }),
    p25: numeric("p25", { mode: "string" }),
    p50: numeric("p50", { mode: "string" }),
    p75: numeric("p75", { mode: "string" }),
    currency: text("currency").notNull(),
    constituentCount: integer("constituent_count").notNull(),
    providerCount: integer("provider_count").notNull(),
    prevFixingId: ref("prev_fixing_id"), // the ok final fixing the level chains from
    carriedFromFixingId: ref("carried_from_fixing_id"), // insufficient: the ok fixing carried
    methodologyVersion: text("methodology_version").notNull(),
    inputsSha256: text("inputs_sha256").notNull(),
    // 1.1: the highest input batch this fixing read (null for fixings stored under 1.0).
    inputsWatermark: ref("inputs_watermark"),
    // 1.1: CNY per one unit of the index currency at T (1 for CNY), exact.
    fxTarget: numeric("fx_target", { mode: "string" }),
    reason: text("reason").notNull(),
    computedAt: ts("computed_at").notNull().default(sql`clock_timestamp()`),
    // sample when any input the fixing read is sample data, else real (section 4).
    dataOrigin: text("data_origin").notNull(),
    // The window's tokens by origin kind and the providers listed without usage (section 4).
    coverage: jsonb("coverage"),
  },
  (t) => [
    check("fixings_data_origin", sql`${t.dataOrigin} in ('sample', 'real')`),
    uniqueIndex("fixings_identity").on(t.indexCode, t.kind, t.fixingTime, t.revision),
    check("fixings_kind", sql`${t.kind} in ('final', 'indicative')`),
    check("fixings_status", sql`${t.status} in ('ok', 'insufficient')`),
  ],
);

/** The constituents of a fixing, exact (unrounded) as computed. */
export const fixingConstituents = pgTable(
  "fixing_constituents",
  {
    fixingId: ref("fixing_id")
      .notNull()
      .references(() => fixings.id),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    rawWeight: numeric("raw_weight", { mode: "string" }).notNull(),
    weight: numeric("weight", { mode: "string" }).notNull(),
    capped: boolean("capped").notNull(),
    price: numeric("price", { mode: "string" }).notNull(), // the index's price basis, index currency per 1M
    inputPrice: numeric("input_price", { mode: "string" }).notNull(), // effective, with cached tokens
    outputPrice: numeric("output_price", { mode: "string" }).notNull(),
    blendedPrice: numeric("blended_price", { mode: "string" }).notNull(),
    listInputPrice: numeric("list_input_price", { mode: "string" }).notNull(),
    listCachedInputPrice: numeric("list_cached_input_price", { mode: "string" }),
    inputTokens: numeric("input_tokens", { mode: "string" }).notNull(),
    cachedInputTokens: numeric("cached_input_tokens", { mode: "string" }).notNull(),
    outputTokens: numeric("output_tokens", { mode: "string" }).notNull(),
    held: text("held").array().notNull(), // components held at their last accepted price
    sheetId: ref("sheet_id").notNull(),
    fxRateId: ref("fx_rate_id"),
    // 1.1: the exact weight weight_num / weight_den, the weighting volume V and the cost C of
    // those tokens in CNY (price = C / (V x fx_target)), so the level can chain from them.
    weightNum: numeric("weight_num", { mode: "string" }),
    weightDen: numeric("weight_den", { mode: "string" }),
    volume: numeric("volume", { mode: "string" }),
    costCny: numeric("cost_cny", { mode: "string" }),
    // 1.1: the sheets whose prices were used, per component [input, cached_input, output].
    priceSheetIds: bigint("price_sheet_ids", { mode: "bigint" }).array(),
    // The origin kinds of the window's usage (contributor, proxy, file, collector, sample),
    // and whether any of its volumes were estimated (null: stored before they were kept).
    origins: text("origins").array(),
    estimated: boolean("estimated"),
  },
  (t) => [primaryKey({ columns: [t.fixingId, t.provider, t.model] })],
);

/** Everything listed at T or used in the window that is not a constituent, and why. */
export const fixingExclusions = pgTable(
  "fixing_exclusions",
  {
    fixingId: ref("fixing_id")
      .notNull()
      .references(() => fixings.id),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    reason: text("reason").notNull(),
    // 1.1: the aggregated usage of the window (null where the key had none).
    inputTokens: numeric("input_tokens", { mode: "string" }),
    cachedInputTokens: numeric("cached_input_tokens", { mode: "string" }),
    outputTokens: numeric("output_tokens", { mode: "string" }),
  },
  (t) => [primaryKey({ columns: [t.fixingId, t.provider, t.model] })],
);

/** 1.0 only: the ids of the rows a fixing read: sheets, FX rates, usage records, approvals. */
export const fixingInputs = pgTable(
  "fixing_inputs",
  {
    fixingId: ref("fixing_id")
      .notNull()
      .references(() => fixings.id),
    kind: text("kind").notNull(), // sheet | fx | usage | approval
    refId: ref("ref_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.fixingId, t.kind, t.refId] })],
);

/** Small key/value facts about this database (e.g. whether the sample was loaded). */
export const meta = pgTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  setAt: ts("set_at").notNull().default(sql`clock_timestamp()`),
});

/** Every public key that ever signed a published number, so an old signature stays
 * verifiable after a key rotation. */
export const signingKeys = pgTable("signing_keys", {
  kid: text("kid").primaryKey(),
  alg: text("alg").notNull(), // Ed25519
  publicKey: text("public_key").notNull(), // SPKI PEM
  firstUsedAt: ts("first_used_at").notNull().default(sql`clock_timestamp()`),
});

/** The Ed25519 signature of one fixing revision, made when it was computed. */
export const fixingSignatures = pgTable(
  "fixing_signatures",
  {
    fixingId: ref("fixing_id")
      .notNull()
      .references(() => fixings.id),
    kid: text("kid")
      .notNull()
      .references(() => signingKeys.kid),
    sig: text("sig").notNull(), // base64url
    signedAt: ts("signed_at").notNull().default(sql`clock_timestamp()`),
  },
  (t) => [primaryKey({ columns: [t.fixingId, t.kid] })],
);

/** One revision of a monthly settlement price: a new revision whenever a fixing of the
 * month is added or restated, never an overwrite. */
export const settlements = pgTable(
  "settlements",
  {
    id: id(),
    indexCode: text("index_code").notNull(),
    month: text("month").notNull(), // YYYY-MM, calendar month in the index's fixing time zone
    revision: integer("revision").notNull(),
    value: numeric("value", { mode: "string" }), // 6 dp half-even; null while no fixing has a value
    provisional: boolean("provisional").notNull(),
    fixingCount: integer("fixing_count").notNull(),
    reason: text("reason").notNull(),
    computedAt: ts("computed_at").notNull().default(sql`clock_timestamp()`),
    kid: text("kid").references(() => signingKeys.kid),
    sig: text("sig"),
  },
  (t) => [
    uniqueIndex("settlements_identity").on(t.indexCode, t.month, t.revision),
    check("settlements_month", sql`${t.month} ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'`),
  ],
);

/** The fixing revisions a settlement revision averaged. */
export const settlementFixings = pgTable(
  "settlement_fixings",
  {
    settlementId: ref("settlement_id")
      .notNull()
      .references(() => settlements.id),
    fixingId: ref("fixing_id")
      .notNull()
      .references(() => fixings.id),
  },
  (t) => [primaryKey({ columns: [t.settlementId, t.fixingId] })],
);

/** One run of one collector source: what /health reports as its last attempt, success, error. */
export const sourceRuns = pgTable(
  "source_runs",
  {
    id: id(),
    source: text("source").notNull(),
    kind: text("kind").notNull(),
    startedAt: ts("started_at").notNull(),
    finishedAt: ts("finished_at").notNull().default(sql`clock_timestamp()`),
    outcome: text("outcome").notNull(), // ok | not_modified | failed
    detail: text("detail"), // "N sheets", or the failure reason
    payloadId: ref("payload_id").references(() => payloads.id),
    // Registry entries that could not be prices: [{provider, model, reason}], or null.
    skipped: jsonb("skipped"),
  },
  (t) => [
    index("source_runs_source_finished").on(t.source, t.finishedAt),
    check("source_runs_outcome", sql`${t.outcome} in ('ok', 'not_modified', 'failed')`),
  ],
);

/**
 * Providers and platforms that submit usage and prices over HTTP (operations-and-users.md
 * section 5). Only the SHA-256 of a token is kept; a revoked contributor stays, so the
 * audit trail keeps naming it.
 */
export const contributors = pgTable(
  "contributors",
  {
    id: id(),
    name: text("name").notNull(),
    tokenSha256: text("token_sha256").notNull(),
    providers: text("providers").array().notNull(),
    createdAt: ts("created_at").notNull().default(sql`clock_timestamp()`),
    revokedAt: ts("revoked_at"),
  },
  (t) => [uniqueIndex("contributors_name").on(t.name), uniqueIndex("contributors_token").on(t.tokenSha256)],
);

/** Every submission, accepted or refused: the audit trail, and the receipts to repeat. */
export const contributions = pgTable(
  "contributions",
  {
    id: id(),
    receivedAt: ts("received_at").notNull().default(sql`clock_timestamp()`),
    contributor: text("contributor").notNull(),
    kind: text("kind").notNull(), // usage | prices
    sha256: text("sha256").notNull(),
    bytes: bigint("bytes", { mode: "bigint" }).notNull(),
    records: integer("records").notNull(),
    status: text("status").notNull(), // accepted | refused
    batchId: ref("batch_id").references(() => inputBatches.id),
    reason: text("reason"),
    // The signed receipt as sent, so the same body again gets the same receipt.
    receipt: jsonb("receipt"),
  },
  (t) => [
    index("contributions_received").on(t.receivedAt),
    index("contributions_body").on(t.contributor, t.kind, t.sha256),
    check("contributions_kind", sql`${t.kind} in ('usage', 'prices')`),
    check("contributions_status", sql`${t.status} in ('accepted', 'refused')`),
  ],
);
