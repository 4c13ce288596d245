/**
 * The models ever listed on an accepted price sheet, and one model's price history: one
 * row per sheet listing it, its listed prices, the same normalised to CNY per 1M tokens
 * (rulebook "Normalisation": price x unit factor x fx(currency, as_of)), and the held-price
 * status the engine's own walk (engine/holds.ts) gives that listing.
 *
 * Quarantined sheets are not here: they were rejected whole and their models were never
 * parsed into rows, so there is no price of theirs to normalise.
 */
import { sql, type SQL } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../../db/index.ts";
import { UNIT_FACTOR } from "../../normalise/hold-states.ts";
import { CiyuanError } from "../../errors.ts";
import { isDateOnly, parseInstant } from "./instants.ts";

export type ModelView = {
  provider: string;
  model: string;
  /** The provider's country on its sheet in force now (else on the latest sheet listing the model). */
  country: string;
  firstListedAsOf: string;
  lastListedAsOf: string;
  sheetCount: number;
  /** On the provider's sheet in force now. */
  listed: boolean;
};

type ModelRow = {
  provider: string;
  model: string;
  country: string;
  first_listed: string;
  last_listed: string;
  sheet_count: number;
  listed: boolean;
};

/** Every (provider, model) any accepted sheet ever listed, by provider then model (byte order). */
export async function listModels(db: Db): Promise<ModelView[]> {
  const found = await rows<ModelRow>(
    db,
    sql`WITH in_force AS (
          SELECT DISTINCT ON (provider) id, provider, country FROM price_sheets
          WHERE as_of <= now() ORDER BY provider, as_of DESC, id DESC
        )
        SELECT s.provider, m.model,
               coalesce(c.country, (array_agg(s.country ORDER BY s.as_of DESC, s.id DESC))[1]) AS country,
               min(s.as_of) AS first_listed, max(s.as_of) AS last_listed, count(*)::int AS sheet_count,
               coalesce(bool_or(s.id = c.id), false) AS listed
        FROM price_sheets s JOIN sheet_models m ON m.sheet_id = s.id
        LEFT JOIN in_force c ON c.provider = s.provider
        GROUP BY s.provider, m.model, c.country
        ORDER BY s.provider COLLATE "C", m.model COLLATE "C"`,
  );
  return found.map((r) => ({
    provider: r.provider,
    model: r.model,
    country: r.country,
    firstListedAsOf: isoUtc(r.first_listed),
    lastListedAsOf: isoUtc(r.last_listed),
    sheetCount: r.sheet_count,
    listed: r.listed,
  }));
}

export type ModelPriceQuery = { provider: string; model: string; from?: string | undefined; to?: string | undefined };

export type PriceView = {
  provider: string;
  model: string;
  sheetId: string;
  asOf: string;
  /** `held`: a component moved by more than 80 % and was not accepted from this sheet. */
  status: "accepted" | "held";
  held: string[];
  /** An operator approval of this listing (it releases held prices from then on). */
  approvedAt: string | null;
  /** CNY per 1M tokens, 6 dp half-even; null when not listed or no FX rate was in force. */
  input: string | null;
  cachedInput: string | null;
  output: string | null;
  listedCurrency: string;
  listedUnit: string;
  listedInput: string | null;
  listedCachedInput: string | null;
  listedOutput: string | null;
  /** CNY per one unit of the listed currency in force at as_of (1 for CNY); null: none. */
  fxRate: string | null;
  fxAsOf: string | null;
};

/**
 * The rows a history reads, frozen at one moment: price sheets and FX rates are written
 * one import at a time (an advisory lock), so their ids grow in commit order and
 * "id <= the highest id seen" is a consistent snapshot across pages.
 */
export type PriceSnapshot = { listings: string; maxSheetId: string; approvals: string; fxRates: string; maxFxId: string };

/** The snapshot of one model's history, or a not_found error when no sheet of that provider lists it. */
export async function priceSnapshot(db: Db, q: { provider: string; model: string }): Promise<PriceSnapshot> {
  const [row] = await rows<{ listings: string; max_sheet: string | null; approvals: string; fx: string; max_fx: string | null }>(
    db,
    sql`SELECT l.listings, l.max_sheet, a.approvals, x.fx, x.max_fx
        FROM (SELECT count(*)::text AS listings, max(s.id)::text AS max_sheet
              FROM price_sheets s JOIN sheet_models m ON m.sheet_id = s.id
              WHERE s.provider = ${q.provider} AND m.model = ${q.model}) l,
             (SELECT count(*)::text || '/' || coalesce(max(id), 0)::text AS approvals
              FROM price_approvals WHERE provider = ${q.provider} AND model = ${q.model}) a,
             (SELECT count(*)::text AS fx, max(id)::text AS max_fx FROM fx_rates) x`,
  );
  if (!row || row.max_sheet === null) {
    throw new CiyuanError("not_found", `no price sheet of ${q.provider} lists ${q.model}`);
  }
  return { listings: row.listings, maxSheetId: row.max_sheet, approvals: row.approvals, fxRates: row.fx, maxFxId: row.max_fx ?? "0" };
}

function instant(name: string, text: string): string {
  const parsed = parseInstant(text);
  if (parsed === null) throw new CiyuanError("bad_request", `${name}: not an ISO 8601 instant with offset: ${JSON.stringify(text)}`);
  return parsed;
}

// Same reading as the fixings range: a date `from` starts at 00:00 UTC, a date `to` runs
// through the end of that day UTC; instants are inclusive.
function asOfRange(q: ModelPriceQuery): SQL[] {
  const conditions: SQL[] = [];
  if (q.from !== undefined) {
    conditions.push(
      isDateOnly(q.from) ? sql`s.as_of >= (${q.from}::date::timestamp AT TIME ZONE 'UTC')` : sql`s.as_of >= ${instant("from", q.from)}::timestamptz`,
    );
  }
  if (q.to !== undefined) {
    conditions.push(
      isDateOnly(q.to) ? sql`s.as_of < ((${q.to}::date + 1)::timestamp AT TIME ZONE 'UTC')` : sql`s.as_of <= ${instant("to", q.to)}::timestamptz`,
    );
  }
  return conditions;
}

/**
 * The held components of each listing, from the states materialised at import
 * (normalise/hold-states.ts): of each listing the latest generation, and of it the state for
 * fixing times from now on (every approval stored counted). Only held listings are returned.
 */
async function heldListings(db: Db, q: ModelPriceQuery, snap: PriceSnapshot): Promise<Map<string, string[]>> {
  const found = await rows<{ sheet_id: string; held: string[] }>(
    db,
    sql`WITH latest AS (
          SELECT DISTINCT ON (sheet_id, component) sheet_id, component, held
          FROM listing_states
          WHERE provider = ${q.provider} AND model = ${q.model} AND sheet_id <= ${snap.maxSheetId}::bigint
          ORDER BY sheet_id, component, batch_id DESC, from_t DESC)
        SELECT sheet_id::text AS sheet_id,
               to_jsonb(array_agg(component ORDER BY array_position(ARRAY['input', 'cached_input', 'output'], component))) AS held
        FROM latest WHERE held GROUP BY sheet_id`,
  );
  return new Map(found.map((r) => [r.sheet_id, r.held]));
}

type PriceRow = {
  sheet_id: string;
  as_of: string;
  approved_at: string | null;
  input: string | null;
  cached_input: string | null;
  output: string | null;
  listed_currency: string;
  listed_unit: string;
  listed_input: string | null;
  listed_cached_input: string | null;
  listed_output: string | null;
  fx_rate: string | null;
  fx_as_of: string | null;
};

const PAGE = 1000;

// fx(currency, T): CNY is 1; otherwise the latest rate whose as_of <= T (corrections: the
// latest row), as engine/inputs.ts fxInForce reads it.
const normalised = (listed: SQL) => sql`round_half_even(${listed} * ${UNIT_FACTOR} * fx.cny_per_unit, 6)::text`;

/**
 * One model's price history, oldest first, read page by page (keyset on as_of, sheet id),
 * so a long history is never held in memory at once.
 */
export async function* modelPrices(db: Db, q: ModelPriceQuery, snap: PriceSnapshot): AsyncGenerator<PriceView> {
  const held = await heldListings(db, q, snap);
  const conditions: SQL[] = [
    sql`s.provider = ${q.provider}`,
    sql`m.model = ${q.model}`,
    sql`s.id <= ${snap.maxSheetId}::bigint`,
    ...asOfRange(q),
  ];
  let after: { asOf: string; id: string } | null = null;
  for (;;) {
    const cursor: SQL = after === null ? sql`` : sql`AND (s.as_of, s.id) > (${after.asOf}::timestamptz, ${after.id}::bigint)`;
    const page: PriceRow[] = await rows<PriceRow>(
      db,
      sql`SELECT s.id::text AS sheet_id, s.as_of, a.approved_at,
                 ${normalised(sql`m.input`)} AS input, ${normalised(sql`m.cached_input`)} AS cached_input,
                 ${normalised(sql`m.output`)} AS output,
                 m.currency AS listed_currency, m.unit AS listed_unit,
                 m.input::text AS listed_input, m.cached_input::text AS listed_cached_input, m.output::text AS listed_output,
                 fx.cny_per_unit::text AS fx_rate, fx.as_of AS fx_as_of
          FROM price_sheets s
          JOIN sheet_models m ON m.sheet_id = s.id
          LEFT JOIN LATERAL (
            SELECT 1::numeric AS cny_per_unit, NULL::timestamptz AS as_of WHERE m.currency = 'CNY'
            UNION ALL
            (SELECT r.cny_per_unit, r.as_of FROM fx_rates r
             WHERE m.currency <> 'CNY' AND r.currency = m.currency AND r.as_of <= s.as_of AND r.id <= ${snap.maxFxId}::bigint
             ORDER BY r.as_of DESC, r.id DESC LIMIT 1)
          ) fx ON true
          LEFT JOIN price_approvals a ON a.provider = s.provider AND a.model = m.model AND a.sheet_as_of = s.as_of
          WHERE ${sql.join(conditions, sql` AND `)} ${cursor}
          ORDER BY s.as_of, s.id
          LIMIT ${PAGE}`,
    );
    for (const r of page) {
      const heldHere = held.get(r.sheet_id) ?? [];
      yield {
        provider: q.provider,
        model: q.model,
        sheetId: r.sheet_id,
        asOf: isoUtc(r.as_of),
        status: heldHere.length > 0 ? "held" : "accepted",
        held: heldHere,
        approvedAt: r.approved_at === null ? null : isoUtc(r.approved_at),
        input: r.input,
        cachedInput: r.cached_input,
        output: r.output,
        listedCurrency: r.listed_currency,
        listedUnit: r.listed_unit,
        listedInput: r.listed_input,
        listedCachedInput: r.listed_cached_input,
        listedOutput: r.listed_output,
        fxRate: r.fx_rate,
        fxAsOf: r.fx_as_of === null ? null : isoUtc(r.fx_as_of),
      };
    }
    if (page.length < PAGE) return;
    const last = page[page.length - 1]!;
    after = { asOf: last.as_of, id: last.sheet_id };
  }
}
