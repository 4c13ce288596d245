/**
 * Usage records go through a TEMP staging table (batched multi-row inserts) and are then
 * merged set-based: per key (provider, model, period_start, period_end), the same numbers
 * as the key's latest version change nothing; different numbers add version + 1.
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import type { UsageRecord } from "./usage.ts";

export const USAGE_BATCH = 2000;

export async function createUsageStaging(tx: Db): Promise<void> {
  await tx.execute(sql`
    create temp table usage_staging (
      seq bigint not null, provider text not null, model text not null,
      period_start timestamptz not null, period_end timestamptz not null,
      input_tokens bigint not null, cached_input_tokens bigint, output_tokens bigint not null
    ) on commit drop`);
}

/**
 * One multi-row INSERT per batch. The batch travels as one JSON parameter of strings (no
 * JSON numbers, so no floats) that Postgres casts to the staging columns' types: about five
 * times faster than a VALUES list with eight parameters per row, on both engines.
 */
export async function stageUsage(tx: Db, batch: UsageRecord[]): Promise<void> {
  if (batch.length === 0) return;
  const json = JSON.stringify(
    batch.map((r) => ({
      seq: String(r.seq),
      provider: r.provider,
      model: r.model,
      period_start: r.periodStart,
      period_end: r.periodEnd,
      input_tokens: r.inputTokens,
      cached_input_tokens: r.cachedInputTokens,
      output_tokens: r.outputTokens,
    })),
  );
  await tx.execute(sql`
    insert into usage_staging
    select * from json_to_recordset(${json}::json) as r(
      seq bigint, provider text, model text, period_start timestamptz, period_end timestamptz,
      input_tokens bigint, cached_input_tokens bigint, output_tokens bigint)`);
}

/** The first record that repeats an earlier key of the same file with other numbers. */
export async function conflictingRepeat(tx: Db): Promise<{ seq: number; firstSeq: number } | null> {
  const [hit] = await rows<{ seq: string; first_seq: string }>(
    tx,
    sql`with firsts as (
          select distinct on (provider, model, period_start, period_end) *
          from usage_staging order by provider, model, period_start, period_end, seq)
        select s.seq, f.seq as first_seq
        from usage_staging s join firsts f using (provider, model, period_start, period_end)
        where (s.input_tokens, s.cached_input_tokens, s.output_tokens)
              is distinct from (f.input_tokens, f.cached_input_tokens, f.output_tokens)
        order by s.seq limit 1`,
  );
  return hit ? { seq: Number(hit.seq), firstSeq: Number(hit.first_seq) } : null;
}

/** Merges the staged records; returns how many keys the file held and how many were written. */
export async function mergeUsage(tx: Db, payloadId: string): Promise<{ keys: number; stored: number }> {
  const [r] = await rows<{ keys: string; stored: string }>(
    tx,
    sql`with incoming as (
          select distinct on (provider, model, period_start, period_end) *
          from usage_staging order by provider, model, period_start, period_end, seq),
        written as (
          insert into usage_records (provider, model, period_start, period_end, version,
                                     input_tokens, cached_input_tokens, output_tokens, payload_id)
          select i.provider, i.model, i.period_start, i.period_end, coalesce(cur.version, 0) + 1,
                 i.input_tokens, i.cached_input_tokens, i.output_tokens, ${payloadId}::bigint
          from incoming i
          left join lateral (
            select u.version, u.input_tokens, u.cached_input_tokens, u.output_tokens
            from usage_records u
            where u.provider = i.provider and u.model = i.model
              and u.period_start = i.period_start and u.period_end = i.period_end
            order by u.version desc limit 1) cur on true
          where cur.version is null
             or (cur.input_tokens, cur.cached_input_tokens, cur.output_tokens)
                is distinct from (i.input_tokens, i.cached_input_tokens, i.output_tokens)
          order by i.seq
          returning 1)
        select (select count(*) from incoming) as keys, (select count(*) from written) as stored`,
  );
  return { keys: Number(r!.keys), stored: Number(r!.stored) };
}
