/**
 * Usage records go through a TEMP staging table (filled by COPY, usage-copy.ts), are judged
 * set-based there, and are then merged into usage_records: per key (provider, model,
 * period_start, period_end), the same numbers as the key's latest version change nothing;
 * different numbers add version + 1, which names the version it supersedes.
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import { openBatch, type Origin } from "./batches.ts";
import { makeUsageWeeksOf } from "./usage-weeks.ts";

export const USAGE_STAGING = "pg_temp.usage_staging";

/**
 * Typed columns: every cell was checked for syntax before it was sent (usage-scan.ts), so
 * COPY parses them as a plain COPY would, and nothing is cast twice.
 */
export async function createUsageStaging(tx: Db): Promise<void> {
  // An import earlier in the same outer transaction leaves its tables until that commits.
  await dropUsageStaging(tx);
  await tx.execute(sql`
    create temp table usage_staging (
      line bigint not null, provider text, model text,
      period_start timestamptz, period_end timestamptz,
      input_tokens bigint, cached_input_tokens bigint, output_tokens bigint,
      -- Set only by importUsageRecords (a public usage proxy's estimates); files leave it null.
      estimated boolean
    ) on commit drop`);
}

/** The import's temporary tables, once it is done with them. */
export async function dropUsageStaging(tx: Db): Promise<void> {
  await tx.execute(sql`drop table if exists pg_temp.usage_staging, pg_temp.usage_keys, pg_temp.usage_new`);
}

export type StagedCheck = {
  rows: number;
  /** The first line (or JSON position) whose period_end is not after its period_start. */
  badPeriod: number | null;
  /** The first line whose cached_input_tokens exceed its input_tokens. */
  badCached: number | null;
  /** The range of period_end in the file (UTC text), null when it has no records. */
  minEnd: string | null;
  maxEnd: string | null;
};

/** The gates that relate cells of a record, over every staged record in one scan. */
export async function checkStaged(tx: Db): Promise<StagedCheck> {
  const [r] = await rows<{ n: string; bad_period: string | null; bad_cached: string | null; min_end: string | null; max_end: string | null }>(
    tx,
    sql`select count(*) as n,
               min(line) filter (where period_end <= period_start) as bad_period,
               min(line) filter (where cached_input_tokens > input_tokens) as bad_cached,
               min(period_end) as min_end, max(period_end) as max_end
        from usage_staging`,
  );
  const num = (v: string | null) => (v === null ? null : Number(v));
  return { rows: Number(r!.n), badPeriod: num(r!.bad_period), badCached: num(r!.bad_cached), minEnd: r!.min_end, maxEnd: r!.max_end };
}

/** `batch`: the input batch opened for the stored records (none when nothing was stored). */
export type MergeResult = { keys: number; stored: number; batch?: string } | { conflict: { seq: number; firstSeq: number } };

/**
 * `estimated`: the staged rows carry the `estimated` column (importUsageRecords); it is then
 * stored, and a key whose numbers are unchanged but whose flag differs is a new version. A
 * file's import leaves it out, and its statements stay exactly as they were.
 */
export type MergeOptions = {
  estimated?: boolean;
  /** The batch is a public usage proxy's (input_batches.proxy: origin kind `proxy`). */
  proxy?: boolean;
};

/**
 * Merges the staged records under a new input batch (opened only when something is stored);
 * or names the first record that repeats an earlier key of the file with other numbers.
 * Call after lockInputs("usage"): no other usage import runs meanwhile, which is what keeps
 * the key unique (usage_records has no unique index, see its migration 0011).
 */
export async function mergeUsage(tx: Db, payloadId: string, origin: Origin, staged: StagedCheck, opts: MergeOptions = {}): Promise<MergeResult> {
  if (staged.rows === 0) return { keys: 0, stored: 0 };
  return mergeCarefully(tx, payloadId, origin, staged, opts);
}

/**
 * Keys repeated in the file, or already stored. The file's keys are gathered by one hash
 * aggregate (no sort): each key's first line, its numbers, and whether its records
 * disagree. Then each key is compared with its latest stored version in the file's
 * period_end range — the record of that key no other record supersedes — by a join, never
 * a lookup per record. What differs is collected first, so that a file of nothing new opens
 * no batch.
 */
async function mergeCarefully(tx: Db, payloadId: string, origin: Origin, staged: StagedCheck, opts: MergeOptions): Promise<MergeResult> {
  // The `estimated` column's parts of the statements below, empty for a file's import.
  const est = opts.estimated
    ? {
        key: sql`, coalesce(bool_or(estimated), false) as estimated`,
        col: sql`, estimated`,
        k: sql`, k.estimated`,
        latest: sql`, r.estimated`,
        differs: sql` or k.estimated is distinct from l.estimated`,
      }
    : { key: sql``, col: sql``, k: sql``, latest: sql``, differs: sql`` };
  // Plans over a million rows are costed high enough for JIT, whose compile time an import
  // never wins back.
  await tx.execute(sql`set local jit = off`);
  const keys = affected(
    await tx.execute(sql`
      create temp table usage_keys on commit drop as
      select provider, model, period_start, period_end, min(line) as line,
             min(input_tokens) as input_tokens, min(cached_input_tokens) as cached_input_tokens,
             min(output_tokens) as output_tokens,
             min(input_tokens) <> max(input_tokens) or min(output_tokens) <> max(output_tokens)
               or min(cached_input_tokens) <> max(cached_input_tokens)
               or count(cached_input_tokens) not in (0, count(*)) as mixed${est.key}
      from usage_staging group by provider, model, period_start, period_end`),
  );

  // A key repeated with other numbers: the first record (by line) that differs from its
  // key's first. One sort of the file in a window, only when such a key exists: a join of
  // the staged rows with the keys (tables without statistics) can be planned as a nested
  // loop, minutes on a file that repeats a few keys many times.
  const [anyMixed] = await rows<{ any: boolean }>(tx, sql`select exists (select 1 from usage_keys where mixed) as any`);
  const [c] = !anyMixed!.any
    ? []
    : await rows<{ seq: string; first_seq: string }>(
        tx,
        sql`select line as seq, first_line as first_seq from (
              select line, first_value(line) over w as first_line,
                     (input_tokens, cached_input_tokens, output_tokens) is distinct from
                       (first_value(input_tokens) over w, first_value(cached_input_tokens) over w, first_value(output_tokens) over w) as differs
              from usage_staging
              window w as (partition by provider, model, period_start, period_end order by line)
            ) x
            where differs order by line limit 1`,
      );
  if (c) return { conflict: { seq: Number(c.seq), firstSeq: Number(c.first_seq) } };

  const made = await tx.execute(sql`
    create temp table usage_new on commit drop as
    select k.line, k.provider, k.model, k.period_start, k.period_end, coalesce(l.version, 0) + 1 as version,
           k.input_tokens, k.cached_input_tokens, k.output_tokens, l.id as supersedes${est.k}
    from usage_keys k
    left join (
      select r.id, r.provider, r.model, r.period_start, r.period_end, r.version,
             r.input_tokens, r.cached_input_tokens, r.output_tokens${est.latest}
      from usage_records r
      where r.period_end >= ${staged.minEnd}::timestamptz and r.period_end <= ${staged.maxEnd}::timestamptz
        and not exists (select 1 from usage_records s where s.supersedes = r.id)) l
      on l.provider = k.provider and l.model = k.model and l.period_start = k.period_start and l.period_end = k.period_end
    where l.id is null
       or (k.input_tokens, k.cached_input_tokens, k.output_tokens)
          is distinct from (l.input_tokens, l.cached_input_tokens, l.output_tokens)${est.differs}`);
  if (affected(made) === 0) return { keys, stored: 0 };

  await makeUsageWeeksOf(tx, "pg_temp.usage_new");
  const batch = await openBatch(tx, "usage", origin, payloadId, opts.proxy ? { proxy: true } : {});
  const r = await tx.execute(sql`
    insert into usage_records (provider, model, period_start, period_end, version,
                               input_tokens, cached_input_tokens, output_tokens, payload_id, batch_id, supersedes${est.col})
    select provider, model, period_start, period_end, version,
           input_tokens, cached_input_tokens, output_tokens, ${payloadId}::bigint, ${batch}::bigint, supersedes${est.col}
    from usage_new order by line`);
  return { keys, stored: affected(r), batch };
}

/** Rows written by a statement, on either engine. */
function affected(result: unknown): number {
  const r = result as { rowCount?: number | null; affectedRows?: number };
  return Number(r.rowCount ?? r.affectedRows ?? 0);
}
