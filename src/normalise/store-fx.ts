/**
 * FX rates into the store. An FX input (our CSV or JSON, or the ECB's XML) is accepted or
 * rejected whole: every rate through the FX gates first (an InputError names the first bad
 * one), then all of them in one transaction. Rates are merged set-based: a (currency,
 * as_of) whose current row (latest id) has the same value changes nothing; a different
 * value is a correction, a new row.
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import type { EcbInput, FxInput } from "../sources/parse.ts";
import { openBatch, originOf } from "./batches.ts";
import { conflictingFx, ecbCrossRates, validateFx, type FxRate } from "./fx.ts";
import type { ImportOutcome } from "./outcome.ts";
import { lockInputs, recordPayload, sha256Hex } from "./payload.ts";
import type { InputOrigin } from "./store-input.ts";

export async function storeFxInput(db: Db, input: FxInput | EcbInput, origin: InputOrigin): Promise<ImportOutcome> {
  const { location, text } = input;
  const rates = input.kind === "ecb" ? ecbCrossRates(location, input.days) : validateFx(location, input.units, input.format);
  const conflict = conflictingFx(location, rates);
  if (conflict) throw conflict;

  const { source } = origin;
  return db.transaction(async (tx) => {
    await lockInputs(tx, "fx");
    const payloadId = await recordPayload(tx, {
      kind: "fx",
      source,
      location,
      sha256: sha256Hex(text),
      bytes: Buffer.byteLength(text, "utf8"),
      content: text,
      httpStatus: origin.httpStatus,
    });
    const { keys, stored } = await storeFx(tx, rates, { source, payloadId });
    return { location, stored, unchanged: keys - stored, rejected: [] };
  });
}

const BATCH = 2000;

export async function storeFx(tx: Db, rates: FxRate[], opts: { source: string; payloadId: string }): Promise<{ keys: number; stored: number }> {
  await tx.execute(sql`
    create temp table fx_staging (seq int not null, currency text not null, cny_per_unit numeric not null, as_of timestamptz not null)
    on commit drop`);
  for (let i = 0; i < rates.length; i += BATCH) {
    const values = rates
      .slice(i, i + BATCH)
      .map((r) => sql`(${r.seq}::int, ${r.currency}, ${r.cnyPerUnit}::numeric, ${r.asOf}::timestamptz)`);
    await tx.execute(sql`insert into fx_staging values ${sql.join(values, sql`, `)}`);
  }
  const batchId = await openBatch(tx, "fx", originOf(opts.source), opts.payloadId);
  const [r] = await rows<{ keys: string; stored: string }>(
    tx,
    sql`with incoming as (
          select distinct on (currency, as_of) * from fx_staging order by currency, as_of, seq),
        written as (
          insert into fx_rates (currency, cny_per_unit, as_of, source, payload_id, batch_id)
          select i.currency, i.cny_per_unit, i.as_of, ${opts.source}, ${opts.payloadId}::bigint, ${batchId}::bigint
          from incoming i
          left join lateral (
            select f.cny_per_unit from fx_rates f
            where f.currency = i.currency and f.as_of = i.as_of
            order by f.id desc limit 1) cur on true
          where cur.cny_per_unit is null or cur.cny_per_unit <> i.cny_per_unit
          order by i.seq
          returning 1)
        select (select count(*) from incoming) as keys, (select count(*) from written) as stored`,
  );
  return { keys: Number(r!.keys), stored: Number(r!.stored) };
}
