/**
 * Held prices (rulebook, "Data quality gates"), materialised when a sheet or an approval is
 * stored, so a fixing reads them by lookup (table listing_states) and its cost does not grow
 * with the number of stored sheets.
 *
 * Each component price listed on a sheet is compared, per 1M tokens in its listed currency,
 * with the last accepted price of the same component in the provider's earlier listings
 * of the model. A move of more than 80 % (|new - old| > 0.8 x old) is held: the last
 * accepted price stays in force. The next listing of the same (held) price confirms it
 * from that sheet's as_of; an operator approval at time A releases it for fixing times
 * T >= A. Because of approvals, a listing's state is a function of T: it is stored as
 * intervals [from_t, until_t) of T, each with its accepted price.
 *
 * A sheet stored after every earlier sheet of its provider (the usual case) adds only its
 * own listings, walked on from the previous listing's stored state. A backdated sheet or
 * an approval rewrites the states from the listing it touches onward, as a new generation
 * under its batch: a fixing at watermark W reads the generation of the highest batch <= W.
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import { sameDecimal, withinMove } from "../values/decimal.ts";

export const COMPONENTS = ["input", "cached_input", "output"] as const;
export type Component = (typeof COMPONENTS)[number];

/** Listed unit -> per 1M tokens, for a `sheet_models` row aliased `m`. */
export const UNIT_FACTOR = sql`CASE m.unit WHEN 'per_token' THEN 1000000 WHEN 'per_1k_tokens' THEN 1000 ELSE 1 END`;

/** Instants travel as fixed-width UTC text (microseconds), so text order is time order. */
const ISO = (col: string) => sql.raw(`to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);

type Listing = { model: string; component: Component; sheetId: string; asOf: string; price: string; currency: string };

export type ListingState = {
  fromT: string;
  untilT: string | null;
  listedPrice: string;
  listedCurrency: string;
  acceptedPrice: string;
  acceptedCurrency: string;
  acceptedSheetId: string;
  held: boolean;
};

/**
 * One step of the walk: the states of `listing` over T >= its as_of, given the states of the
 * previous listing of the same component (empty for the first) and the times of the
 * approvals that release this listing's prices.
 */
export function nextStates(prev: ListingState[], listing: Listing, approvals: string[]): ListingState[] {
  if (prev.length === 0) {
    return [
      {
        fromT: listing.asOf,
        untilT: null,
        listedPrice: listing.price,
        listedCurrency: listing.currency,
        acceptedPrice: listing.price,
        acceptedCurrency: listing.currency,
        acceptedSheetId: listing.sheetId,
        held: false,
      },
    ];
  }
  const points = new Set<string>([listing.asOf]);
  for (const p of prev) {
    if (p.fromT > listing.asOf) points.add(p.fromT);
    if (p.untilT !== null && p.untilT > listing.asOf) points.add(p.untilT);
  }
  for (const a of approvals) if (a > listing.asOf) points.add(a);
  const starts = [...points].sort();
  const out: ListingState[] = [];
  for (const [i, from] of starts.entries()) {
    const before = prev.find((p) => p.fromT <= from && (p.untilT === null || from < p.untilT));
    if (!before) throw new Error(`hold walk: no state of the previous listing at ${from}`);
    const accept =
      (listing.currency === before.acceptedCurrency && withinMove(listing.price, before.acceptedPrice)) ||
      (before.held && listing.currency === before.listedCurrency && sameDecimal(listing.price, before.listedPrice)) ||
      approvals.some((a) => a <= from);
    const state: ListingState = {
      fromT: from,
      untilT: starts[i + 1] ?? null,
      listedPrice: listing.price,
      listedCurrency: listing.currency,
      acceptedPrice: accept ? listing.price : before.acceptedPrice,
      acceptedCurrency: accept ? listing.currency : before.acceptedCurrency,
      acceptedSheetId: accept ? listing.sheetId : before.acceptedSheetId,
      held: !accept,
    };
    const last = out.at(-1);
    if (last && sameState(last, state)) last.untilT = state.untilT;
    else out.push(state);
  }
  return out;
}

function sameState(a: ListingState, b: ListingState): boolean {
  return a.acceptedSheetId === b.acceptedSheetId && a.held === b.held && a.acceptedCurrency === b.acceptedCurrency && sameDecimal(a.acceptedPrice, b.acceptedPrice);
}

/**
 * Materialises the states of every listing of `provider` (of `models`, or all) from the
 * listing on sheet `from` onward, under `batchId`. Call in the transaction that stored the
 * sheet or approval, after the rows are written.
 */
export async function materialiseHolds(
  tx: Db,
  req: { provider: string; from: { sheetId: string } | "first"; models: string[] | null; batchId: string },
): Promise<void> {
  const start = req.from === "first" ? null : req.from.sheetId;
  const modelFilter = req.models === null ? sql`true` : sql`m.model = ANY(${`{${req.models.map(pgArrayItem).join(",")}}`}::text[])`;
  const startCond =
    start === null
      ? sql`true`
      : sql`(s.as_of, s.id) >= (SELECT as_of, id FROM price_sheets WHERE id = ${start}::bigint)`;
  const listings = await rows<Listing>(
    tx,
    sql`SELECT m.model, c.component, s.id::text AS "sheetId", ${ISO("s.as_of")} AS "asOf",
               (c.price * ${UNIT_FACTOR})::text AS price, m.currency
        FROM price_sheets s
        JOIN sheet_models m ON m.sheet_id = s.id
        CROSS JOIN LATERAL (VALUES ('input', m.input), ('cached_input', m.cached_input), ('output', m.output)) AS c(component, price)
        WHERE s.provider = ${req.provider} AND c.price IS NOT NULL AND ${modelFilter} AND ${startCond}
        ORDER BY m.model, c.component, s.as_of, s.id`,
  );
  if (listings.length === 0) return;
  const previous = start === null ? new Map<string, ListingState[]>() : await previousStates(tx, req.provider, start, listings);
  const approvals = await rows<{ model: string; sheet_id: string; approved_at: string }>(
    tx,
    sql`SELECT a.model, s.id::text AS sheet_id, ${ISO("a.approved_at")} AS approved_at
        FROM price_approvals a JOIN price_sheets s ON s.provider = a.provider AND s.as_of = a.sheet_as_of
        WHERE a.provider = ${req.provider} ${req.models === null ? sql`` : sql`AND a.model = ANY(${`{${req.models.map(pgArrayItem).join(",")}}`}::text[])`}`,
  );
  const approvalsOf = new Map<string, string[]>();
  for (const a of approvals) {
    const key = `${a.sheet_id}\u0000${a.model}`;
    approvalsOf.set(key, [...(approvalsOf.get(key) ?? []), a.approved_at]);
  }

  const out: (ListingState & { sheetId: string; model: string; component: string; asOf: string })[] = [];
  let chain: ListingState[] = [];
  let chainKey = "";
  for (const l of listings) {
    const key = `${l.model}\u0000${l.component}`;
    if (key !== chainKey) {
      chain = previous.get(key) ?? [];
      chainKey = key;
    }
    chain = nextStates(chain, l, approvalsOf.get(`${l.sheetId}\u0000${l.model}`) ?? []);
    for (const s of chain) out.push({ ...s, sheetId: l.sheetId, model: l.model, component: l.component, asOf: l.asOf });
  }
  await insertStates(tx, req.provider, req.batchId, out);
}

/** Per (model, component): the states, latest generation, of the listing just before `start`. */
async function previousStates(tx: Db, provider: string, start: string, listings: Listing[]): Promise<Map<string, ListingState[]>> {
  const pairs = [...new Set(listings.map((l) => `${l.model}\u0000${l.component}`))].map((k) => k.split("\u0000"));
  const found = await rows<ListingState & { model: string; component: string }>(
    tx,
    sql`WITH wanted AS (
          SELECT * FROM json_to_recordset(${JSON.stringify(pairs.map(([model, component]) => ({ model, component })))}::json)
            AS w(model text, component text)),
        start AS (SELECT as_of, id FROM price_sheets WHERE id = ${start}::bigint),
        prev AS (
          SELECT w.model, w.component, p.sheet_id, p.batch_id
          FROM wanted w CROSS JOIN start
          CROSS JOIN LATERAL (
            SELECT l.sheet_id, l.batch_id FROM listing_states l
            WHERE l.provider = ${provider} AND l.model = w.model AND l.component = w.component
              AND (l.as_of, l.sheet_id) < (start.as_of, start.id)
            ORDER BY l.as_of DESC, l.sheet_id DESC, l.batch_id DESC LIMIT 1) p)
        SELECT l.model, l.component, ${ISO("l.from_t")} AS "fromT",
               CASE WHEN l.until_t IS NULL THEN NULL ELSE ${ISO("l.until_t")} END AS "untilT",
               l.listed_price::text AS "listedPrice", l.listed_currency AS "listedCurrency",
               l.accepted_price::text AS "acceptedPrice", l.accepted_currency AS "acceptedCurrency",
               l.accepted_sheet_id::text AS "acceptedSheetId", l.held
        FROM prev JOIN listing_states l
          ON l.sheet_id = prev.sheet_id AND l.model = prev.model AND l.component = prev.component AND l.batch_id = prev.batch_id
        ORDER BY l.model, l.component, l.from_t`,
  );
  const out = new Map<string, ListingState[]>();
  for (const { model, component, ...state } of found) {
    const key = `${model}\u0000${component}`;
    out.set(key, [...(out.get(key) ?? []), state]);
  }
  return out;
}

async function insertStates(
  tx: Db,
  provider: string,
  batchId: string,
  states: (ListingState & { sheetId: string; model: string; component: string; asOf: string })[],
): Promise<void> {
  const CHUNK = 5000;
  for (let i = 0; i < states.length; i += CHUNK) {
    const json = JSON.stringify(
      states.slice(i, i + CHUNK).map((s) => ({
        sheet_id: s.sheetId,
        model: s.model,
        component: s.component,
        from_t: s.fromT,
        until_t: s.untilT,
        as_of: s.asOf,
        listed_price: s.listedPrice,
        listed_currency: s.listedCurrency,
        accepted_price: s.acceptedPrice,
        accepted_currency: s.acceptedCurrency,
        accepted_sheet_id: s.acceptedSheetId,
        held: s.held,
      })),
    );
    await tx.execute(sql`
      INSERT INTO listing_states (sheet_id, model, component, batch_id, from_t, until_t, provider, as_of, listed_price,
                                  listed_currency, accepted_price, accepted_currency, accepted_sheet_id, held)
      SELECT r.sheet_id::bigint, r.model, r.component, ${batchId}::bigint, r.from_t::timestamptz, r.until_t::timestamptz,
             ${provider}, r.as_of::timestamptz, r.listed_price::numeric, r.listed_currency, r.accepted_price::numeric,
             r.accepted_currency, r.accepted_sheet_id::bigint, r.held
      FROM json_to_recordset(${json}::json) AS r(sheet_id text, model text, component text, from_t text, until_t text, as_of text,
        listed_price text, listed_currency text, accepted_price text, accepted_currency text, accepted_sheet_id text, held boolean)`);
  }
}

/** A text[] literal item, quoted. */
function pgArrayItem(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * Databases from before 1.1 hold sheets but no states: walks every provider once, under
 * batch 1 (the migration batch, which holds every pre-1.1 input).
 */
export async function materialiseMissingHolds(tx: Db): Promise<number> {
  const [todo] = await rows<{ missing: boolean }>(
    tx,
    sql`SELECT EXISTS (SELECT 1 FROM sheet_models) AND NOT EXISTS (SELECT 1 FROM listing_states) AS missing`,
  );
  if (!todo!.missing) return 0;
  const providers = await rows<{ provider: string }>(tx, sql`SELECT DISTINCT provider FROM price_sheets ORDER BY provider`);
  for (const { provider } of providers) await materialiseHolds(tx, { provider, from: "first", models: null, batchId: "1" });
  return providers.length;
}
