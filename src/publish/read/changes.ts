/**
 * The price-change feed (operations-and-users.md section 7): the events between each two
 * consecutive accepted price sheets of a provider, computed from what is stored, set-based:
 * per page, one statement picks the sheets and one gives all their events.
 *
 * Consecutive: a provider's sheets in (as_of, id) order, the order the held-price walk uses
 * (normalise/hold-states.ts); `lag()` over that window pairs each sheet with the one
 * before it. The provider's first sheet is the baseline and gives no events. A sheet that
 * lists nothing (a withdrawal, normalise/store-withdrawal.ts) is a sheet like any other.
 *
 * Events of a sheet S against its predecessor P, compared per 1M tokens in the listed
 * currency (a change of unit alone is no change):
 * - `change`: a model on both, one event per component (input, cached_input, output)
 *   whose price or currency differs; `old`/`new` are the component's prices, null where one
 *   side does not list the component;
 * - `listed`: a model on S and not on P; `new` holds its prices {input, cached_input,
 *   output}, `old` is null;
 * - `delisted`: a model on P and not on S; `old` holds the prices it had on P, `new` is null.
 *
 * A model missing from one sheet and back on a later one is `delisted` at the sheet that
 * first lacks it and `listed` again at the sheet that lists it again (with its prices then
 * as `new`), never a `change`: each event compares two consecutive sheets only, and a sheet
 * is the provider's complete list. (Registries already bridge a single missed fetch: the
 * collectors keep a model absent from one fetch on the stored sheet, normalise/two-fetch-rule.ts.)
 *
 * `listed`/`delisted` have `component` null, so the model's prices go in `new`/`old` as one
 * object of the three components: the spec's "its prices as new" with no component to name.
 *
 * `change_pct` = new / old - 1, as (new - old) / old rounded once, half-even, to 6 places by
 * round_ratio_half_even (migrations/0008); null when either side is absent or the currency
 * changed (then `currency` is the new one and `old` is in the previous currency).
 *
 * `held`: the 80 % gate held the move when the sheet arrived: the listing's state in the
 * first generation stored for it (listing_states, the one its own import wrote). For a
 * `listed` model: any of its components held. `released_at`: the first of an operator
 * approval of that listing (price_approvals, its approved_at) and the confirmation by the
 * component's next listing at the same price and currency (that sheet's as_of), as the
 * walk releases them; for `listed`, when the last of its held components was released.
 * Null while held, and for a move that was never held.
 */
import { sql, type SQL } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../../db/index.ts";
import { CiyuanError } from "../../errors.ts";
import { UNIT_FACTOR } from "../../normalise/hold-states.ts";
import { isDateOnly, parseInstant } from "./instants.ts";

export const CHANGE_EVENTS = ["change", "listed", "delisted"] as const;
export type ChangeEventKind = (typeof CHANGE_EVENTS)[number];
export const CHANGE_COMPONENTS = ["input", "cached_input", "output"] as const;
export type ChangeComponent = (typeof CHANGE_COMPONENTS)[number];

/** A model's prices on one sheet, per 1M tokens in its listed currency (decimal text). */
export type ListedPrices = { input: string | null; cachedInput: string | null; output: string | null };

export type PriceChange = {
  event: ChangeEventKind;
  provider: string;
  model: string;
  /** null for listed and delisted. */
  component: ChangeComponent | null;
  /** change: one component's price (null: not listed on that side); listed/delisted: see the module comment. */
  old: string | ListedPrices | null;
  new: string | ListedPrices | null;
  currency: string;
  /** Fraction, 6 dp half-even; null when a side is absent or the currency changed. */
  changePct: string | null;
  /** The new sheet's as_of, ISO 8601 UTC. */
  asOf: string;
  /** The new sheet's id. */
  sheet: string;
  held: boolean;
  /** ISO 8601 UTC, or null. */
  releasedAt: string | null;
};

export type ChangeQuery = {
  /** ISO date or instant, inclusive, on the new sheet's as_of; a date starts at 00:00 UTC. */
  from?: string | undefined;
  /** ISO date or instant, inclusive; a date runs through the end of that day UTC. */
  to?: string | undefined;
  provider?: string | undefined;
  model?: string | undefined;
  /** Only the events of this sheet (the stream, on the sheet's notice). */
  sheet?: string | undefined;
};

/**
 * The stored rows a feed reads, frozen at one moment. Sheets and approvals are written one
 * at a time under the price-inputs lock (normalise/payload.ts lockInputs), so their ids
 * grow in commit order: "id <= the highest seen" is one consistent state across pages, and
 * count + highest id fingerprints it for the ETag.
 */
export type ChangeSnapshot = { sheets: string; maxSheetId: string; approvals: string; maxApprovalId: string };

export async function changeSnapshot(db: Db): Promise<ChangeSnapshot> {
  const [row] = await rows<{ sheets: string; max_sheet: string; approvals: string; max_approval: string }>(
    db,
    sql`SELECT s.sheets, s.max_sheet, a.approvals, a.max_approval
        FROM (SELECT count(*)::text AS sheets, coalesce(max(id), 0)::text AS max_sheet FROM price_sheets) s,
             (SELECT count(*)::text AS approvals, coalesce(max(id), 0)::text AS max_approval FROM price_approvals) a`,
  );
  return { sheets: row!.sheets, maxSheetId: row!.max_sheet, approvals: row!.approvals, maxApprovalId: row!.max_approval };
}

// Sheets per page: a page is every event of this many consecutive sheets (a withdrawal
// of a large registry is one sheet of many events; a page never splits a sheet).
const PAGE_SHEETS = 200;

/** The feed, oldest first (as_of, sheet, model in byte order, component), page by page. */
export async function* priceChanges(db: Db, q: ChangeQuery, snap: ChangeSnapshot): AsyncGenerator<PriceChange> {
  let after: { asOf: string; id: string } | null = null;
  for (;;) {
    const page = await changePage(db, q, snap, after);
    for (const row of page.rows) yield toChange(row);
    if (page.last === null) return;
    after = page.last;
  }
}

/** Every event of one sheet (none for a provider's first sheet, or one that changed nothing). */
export async function changesOfSheet(db: Db, sheetId: string): Promise<PriceChange[]> {
  const snap = await changeSnapshot(db);
  const out: PriceChange[] = [];
  for await (const change of priceChanges(db, { sheet: sheetId }, snap)) out.push(change);
  return out;
}

type Row = {
  event: ChangeEventKind;
  provider: string;
  model: string;
  component: ChangeComponent | null;
  old_price: string | null;
  new_price: string | null;
  p_input: string | null;
  p_cached_input: string | null;
  p_output: string | null;
  currency: string;
  change_pct: string | null;
  as_of: string;
  sheet: string;
  held: boolean;
  released_at: string | null;
};

function toChange(r: Row): PriceChange {
  const prices: ListedPrices = { input: r.p_input, cachedInput: r.p_cached_input, output: r.p_output };
  return {
    event: r.event,
    provider: r.provider,
    model: r.model,
    component: r.component,
    old: r.event === "change" ? r.old_price : r.event === "delisted" ? prices : null,
    new: r.event === "change" ? r.new_price : r.event === "listed" ? prices : null,
    currency: r.currency,
    changePct: r.change_pct,
    asOf: isoUtc(r.as_of),
    sheet: r.sheet,
    held: r.held,
    releasedAt: isoUtc(r.released_at),
  };
}

function instant(name: string, text: string): string {
  const parsed = parseInstant(text);
  if (parsed === null) throw new CiyuanError("bad_request", `${name}: not an ISO 8601 instant with offset: ${JSON.stringify(text)}`);
  return parsed;
}

// The same reading of from/to as the other routes' ranges (publish/models.ts, views.ts).
function asOfRange(q: ChangeQuery): SQL[] {
  const out: SQL[] = [];
  if (q.from !== undefined) {
    out.push(isDateOnly(q.from) ? sql`as_of >= (${q.from}::date::timestamp AT TIME ZONE 'UTC')` : sql`as_of >= ${instant("from", q.from)}::timestamptz`);
  }
  if (q.to !== undefined) {
    out.push(isDateOnly(q.to) ? sql`as_of < ((${q.to}::date + 1)::timestamp AT TIME ZONE 'UTC')` : sql`as_of <= ${instant("to", q.to)}::timestamptz`);
  }
  return out;
}

/** A model's listed prices per 1M tokens, for `sheet_models m` (trailing zeros of the unit factor dropped). */
const per1M = (column: "input" | "cached_input" | "output") => sql`trim_scale(${sql.raw(`m.${column}`)} * ${UNIT_FACTOR})`;

type Pair = { sheet_id: string; prev_id: string; provider: string; as_of: string };

/**
 * One page: the next PAGE_SHEETS sheets that have a predecessor (lag() over each
 * provider's sheets in (as_of, id) order, filtered after the window so a predecessor
 * before `from` still counts), then every event of those sheets in one statement.
 */
async function changePage(
  db: Db,
  q: ChangeQuery,
  snap: ChangeSnapshot,
  after: { asOf: string; id: string } | null,
): Promise<{ rows: Row[]; last: { asOf: string; id: string } | null }> {
  const filters: SQL[] = [sql`prev_id IS NOT NULL`, ...asOfRange(q)];
  if (q.sheet !== undefined) filters.push(sql`id = ${q.sheet}::bigint`);
  // One sheet's events need only its provider's sheets in the window.
  const provider =
    q.provider !== undefined
      ? sql`AND s.provider = ${q.provider}`
      : q.sheet !== undefined
        ? sql`AND s.provider = (SELECT provider FROM price_sheets WHERE id = ${q.sheet}::bigint)`
        : sql``;
  if (after !== null) filters.push(sql`(as_of, id) > (${after.asOf}::timestamptz, ${after.id}::bigint)`);
  const pairs = await rows<Pair>(
    db,
    sql`SELECT id::text AS sheet_id, prev_id::text AS prev_id, provider, as_of
        FROM (SELECT s.id, s.provider, s.as_of, lag(s.id) OVER (PARTITION BY s.provider ORDER BY s.as_of, s.id) AS prev_id
              FROM price_sheets s
              WHERE s.id <= ${snap.maxSheetId}::bigint ${provider}) ordered
        WHERE ${sql.join(filters, sql` AND `)}
        ORDER BY as_of, id
        LIMIT ${PAGE_SHEETS}`,
  );
  if (pairs.length === 0) return { rows: [], last: null };
  const tail = pairs[pairs.length - 1]!;
  const last = pairs.length < PAGE_SHEETS ? null : { asOf: tail.as_of, id: tail.sheet_id };
  return { rows: await eventsOfPairs(db, pairs, q.model, snap), last };
}

/** The events of each (sheet, predecessor) pair, oldest first. */
async function eventsOfPairs(db: Db, pairList: Pair[], model: string | undefined, snap: ChangeSnapshot): Promise<Row[]> {
  const modelFilter = model === undefined ? sql`` : sql`AND m.model = ${model}`;
  const listed = (side: SQL) => sql`
    SELECT p.sheet_id, m.model, m.currency,
           ${per1M("input")} AS input, ${per1M("cached_input")} AS cached_input, ${per1M("output")} AS output
    FROM pairs p
    -- A probe of the (sheet_id, model) key per sheet, never a scan of every listing stored
    -- (OFFSET 0 keeps the planner from flattening it into a hash join over the table).
    CROSS JOIN LATERAL (SELECT * FROM sheet_models m WHERE m.sheet_id = ${side} ${modelFilter} OFFSET 0) m`;
  // The price of component `k` on a `sheet_models m` row.
  const componentPrice = (k: string) =>
    sql.raw(`(CASE ${k} WHEN 'input' THEN m.input WHEN 'cached_input' THEN m.cached_input ELSE m.output END)`);
  return rows<Row>(
    db,
    sql`WITH pairs AS (
          SELECT r.sheet_id::bigint AS sheet_id, r.prev_id::bigint AS prev_id, r.provider, r.as_of::timestamptz AS as_of
          FROM json_to_recordset(${JSON.stringify(pairList)}::json) AS r(sheet_id text, prev_id text, provider text, as_of text)),
        cur AS (${listed(sql`p.sheet_id`)}),
        prev AS (${listed(sql`p.prev_id`)}),
        paired AS (
          SELECT coalesce(c.sheet_id, o.sheet_id) AS sheet_id, coalesce(c.model, o.model) AS model,
                 c.model IS NOT NULL AS on_new, o.model IS NOT NULL AS on_old,
                 c.currency AS new_currency, o.currency AS old_currency,
                 c.input AS new_input, c.cached_input AS new_cached_input, c.output AS new_output,
                 o.input AS old_input, o.cached_input AS old_cached_input, o.output AS old_output
          FROM cur c FULL JOIN prev o ON o.sheet_id = c.sheet_id AND o.model = c.model),
        events AS (
          SELECT x.sheet_id, x.model, CASE WHEN x.on_new THEN 'listed' ELSE 'delisted' END AS event,
                 NULL::text AS component, 0 AS ord, NULL::numeric AS old_price, NULL::numeric AS new_price,
                 CASE WHEN x.on_new THEN x.new_currency ELSE x.old_currency END AS currency, NULL::text AS old_currency,
                 CASE WHEN x.on_new THEN x.new_input ELSE x.old_input END AS p_input,
                 CASE WHEN x.on_new THEN x.new_cached_input ELSE x.old_cached_input END AS p_cached_input,
                 CASE WHEN x.on_new THEN x.new_output ELSE x.old_output END AS p_output
          FROM paired x WHERE x.on_new <> x.on_old
          UNION ALL
          SELECT x.sheet_id, x.model, 'change', k.component, k.ord, k.old_price, k.new_price,
                 x.new_currency, x.old_currency, NULL, NULL, NULL
          FROM paired x
          CROSS JOIN LATERAL (VALUES ('input', 1, x.old_input, x.new_input),
                                     ('cached_input', 2, x.old_cached_input, x.new_cached_input),
                                     ('output', 3, x.old_output, x.new_output)) AS k(component, ord, old_price, new_price)
          WHERE x.on_new AND x.on_old
            AND (k.old_price IS NOT NULL OR k.new_price IS NOT NULL)
            AND (k.old_price IS DISTINCT FROM k.new_price OR x.old_currency <> x.new_currency)),
        -- Held when the sheet arrived: of each listing, the first generation of states stored.
        arrival AS (
          SELECT ev.sheet_id, ev.model, l.component, l.held, l.listed_price, l.listed_currency
          FROM (SELECT DISTINCT sheet_id, model FROM events WHERE event <> 'delisted') ev
          CROSS JOIN LATERAL (
            SELECT DISTINCT ON (l.component) l.component, l.held, l.listed_price, l.listed_currency
            FROM listing_states l WHERE l.sheet_id = ev.sheet_id AND l.model = ev.model
            ORDER BY l.component, l.batch_id, l.from_t) l),
        released AS (
          SELECT a.sheet_id, a.model, a.component, least(ap.approved_at, nx.as_of) AS released_at
          FROM arrival a
          JOIN pairs p ON p.sheet_id = a.sheet_id
          LEFT JOIN price_approvals ap
            ON ap.provider = p.provider AND ap.model = a.model AND ap.sheet_as_of = p.as_of AND ap.id <= ${snap.maxApprovalId}::bigint
          -- Confirmed by the component's next listing when that lists the held price again.
          LEFT JOIN LATERAL (
            SELECT s.as_of, ${componentPrice("a.component")} * ${UNIT_FACTOR} AS price, m.currency
            FROM price_sheets s JOIN sheet_models m ON m.sheet_id = s.id AND m.model = a.model
            WHERE s.provider = p.provider AND s.id <= ${snap.maxSheetId}::bigint AND (s.as_of, s.id) > (p.as_of, p.sheet_id)
              AND ${componentPrice("a.component")} IS NOT NULL
            ORDER BY s.as_of, s.id
            LIMIT 1) nx ON nx.price = a.listed_price AND nx.currency = a.listed_currency
          WHERE a.held),
        holds AS (
          SELECT a.sheet_id, a.model, a.component, a.held, r.released_at
          FROM arrival a LEFT JOIN released r USING (sheet_id, model, component)),
        -- A listed model: held when any component was; released when the last of those was.
        model_holds AS (
          SELECT sheet_id, model, bool_or(held) AS held,
                 CASE WHEN bool_and(NOT held OR released_at IS NOT NULL) THEN max(released_at) END AS released_at
          FROM holds GROUP BY sheet_id, model)
        SELECT e.event, p.provider, e.model, e.component,
               e.old_price::text AS old_price, e.new_price::text AS new_price,
               e.p_input::text AS p_input, e.p_cached_input::text AS p_cached_input, e.p_output::text AS p_output,
               e.currency,
               CASE WHEN e.old_price IS NOT NULL AND e.new_price IS NOT NULL AND e.old_currency = e.currency
                    THEN round_ratio_half_even(e.new_price - e.old_price, e.old_price, 6)::text END AS change_pct,
               p.as_of, p.sheet_id::text AS sheet,
               coalesce(hc.held, hm.held, false) AS held, coalesce(hc.released_at, hm.released_at) AS released_at
        FROM events e
        JOIN pairs p ON p.sheet_id = e.sheet_id
        LEFT JOIN holds hc ON e.event = 'change' AND hc.sheet_id = e.sheet_id AND hc.model = e.model AND hc.component = e.component
        LEFT JOIN model_holds hm ON e.event = 'listed' AND hm.sheet_id = e.sheet_id AND hm.model = e.model
        ORDER BY p.as_of, p.sheet_id, e.model COLLATE "C", e.ord`,
  );
}
