/**
 * What differs between a stored fixing revision and an evaluation of the same index and
 * time: status and published numbers, each constituent's weight and price, the exclusions
 * with their reasons. `verify` reports these; a recompute that finds none publishes nothing
 * new (the restatement cascade and late-data recomputes add a revision only on a change).
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import type { Evaluation } from "./evaluate.ts";

/** The stored revision compared: its row id and status. */
export type StoredRevision = { id: string; status: "ok" | "insufficient" };

/** How many differing constituents a mismatch line names before it summarises the rest. */
export const NAMED_DIFFERENCES = 3;

const PUBLISHED = ["value", "level", "p25", "p50", "p75"] as const;

/** Status and the published numbers, compared as exact decimals (2.5 equals 2.500000). */
export async function publishedDifferences(tx: Db, f: StoredRevision, r: Evaluation): Promise<string[]> {
  const out: string[] = [];
  if (f.status !== r.status) out.push(`status stored ${f.status} != recomputed ${r.status}`);
  const [cmp] = await rows<Record<(typeof PUBLISHED)[number], string | null> & Record<`${(typeof PUBLISHED)[number]}_same`, boolean>>(
    tx,
    sql`SELECT ${sql.join(
      PUBLISHED.map((k) => sql`${sql.identifier(k)}::text AS ${sql.identifier(k)},
        ${sql.identifier(k)} IS NOT DISTINCT FROM ${r[k]}::numeric AS ${sql.identifier(`${k}_same`)}`),
      sql`, `,
    )} FROM fixings WHERE id = ${f.id}::bigint`,
  );
  for (const k of PUBLISHED) {
    if (!cmp![`${k}_same`]) out.push(`${k} stored ${cmp![k] ?? "null"} != recomputed ${r[k] ?? "null"}`);
  }
  return out;
}

type ConstituentDiff = {
  provider: string;
  model: string;
  stored_weight: string | null;
  weight: string | null;
  stored_price: string | null;
  price: string | null;
};

/** The stored constituents against the recomputed ones: weight (8 dp) and price (6 dp). */
export async function constituentDifferences(tx: Db, f: StoredRevision, e: Evaluation): Promise<string[]> {
  const recomputed = JSON.stringify(e.constituents.map((c) => ({ provider: c.provider, model: c.model, weight: c.weight, price: c.price })));
  const diffs = await rows<ConstituentDiff>(
    tx,
    sql`SELECT coalesce(s.provider, r.provider) AS provider, coalesce(s.model, r.model) AS model,
               s.weight::text AS stored_weight, r.weight::text AS weight, s.price::text AS stored_price, r.price::text AS price
        FROM (SELECT provider, model, round_half_even(weight, 8) AS weight, round_half_even(price, 6) AS price
              FROM fixing_constituents WHERE fixing_id = ${f.id}::bigint) s
        FULL JOIN (SELECT provider, model, weight::numeric, price::numeric
                   FROM json_to_recordset(${recomputed}::json) AS x(provider text, model text, weight text, price text)) r
          ON r.provider = s.provider AND r.model = s.model
        WHERE s.provider IS NULL OR r.provider IS NULL OR s.weight <> r.weight OR s.price <> r.price
        ORDER BY coalesce(s.provider, r.provider) COLLATE "C", coalesce(s.model, r.model) COLLATE "C"`,
  );
  const named = diffs.slice(0, NAMED_DIFFERENCES).map((d) => {
    const who = `constituent ${d.provider}/${d.model}`;
    if (d.weight === null) return `${who} stored but not recomputed`;
    if (d.stored_weight === null) return `${who} recomputed but not stored`;
    const parts: string[] = [];
    if (d.stored_weight !== d.weight) parts.push(`weight stored ${d.stored_weight} != recomputed ${d.weight}`);
    if (d.stored_price !== d.price) parts.push(`price stored ${d.stored_price} != recomputed ${d.price}`);
    return `${who} ${parts.join(", ")}`;
  });
  if (diffs.length > NAMED_DIFFERENCES) named.push(`${diffs.length - NAMED_DIFFERENCES} more constituents differ`);
  return named;
}

/** The stored exclusions against the recomputed ones, with their reasons (sorted lines). */
export async function exclusionDifferences(tx: Db, f: StoredRevision, e: Evaluation): Promise<{ stored: number; diffs: string[] }> {
  const stored = await rows<{ provider: string; model: string; reason: string }>(
    tx,
    sql`SELECT provider, model, reason FROM fixing_exclusions WHERE fixing_id = ${f.id}::bigint`,
  );
  const key = (x: { provider: string; model: string }) => `${x.provider}/${x.model}`;
  const want = new Map(e.exclusions.map((x) => [key(x), x.reason as string]));
  const have = new Map(stored.map((x) => [key(x), x.reason]));
  const diffs: string[] = [];
  for (const [k, reason] of have) {
    if (!want.has(k)) diffs.push(`${k} stored as ${reason} but not excluded on recompute`);
    else if (want.get(k) !== reason) diffs.push(`${k} stored as ${reason} != recomputed ${want.get(k)}`);
  }
  for (const [k, reason] of want) if (!have.has(k)) diffs.push(`${k} excluded on recompute (${reason}) but not stored`);
  diffs.sort();
  return { stored: stored.length, diffs };
}

/** Every published difference (numbers, constituents, exclusions); empty when none. */
export async function evaluationDifferences(tx: Db, f: StoredRevision, e: Evaluation): Promise<string[]> {
  return [
    ...(await publishedDifferences(tx, f, e)),
    ...(await constituentDifferences(tx, f, e)),
    ...(await exclusionDifferences(tx, f, e)).diffs,
  ];
}
