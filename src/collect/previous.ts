/**
 * What a source's last successful collection left, read once as a collection starts: the
 * validators for a conditional GET, the payload a 304 confirms, and, for a registry, that
 * payload's body (the two-fetch rule's previous fetch, and what a 304 lists again).
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import { decodeValidators, validatorsKey, type Validators } from "./validators.ts";

export type Previous = {
  validators: Validators;
  /** The payload of the source's last `ok` run; null when it never had one. */
  payloadId: string | null;
  /**
   * That payload's text, when asked for and fetched from the source's URL as configured
   * now (a source pointed elsewhere starts afresh); null for usage, kept by hash only.
   */
  body: string | null;
};

export async function previousCollection(db: Db, source: { name: string; url: string }, opts: { body: boolean }): Promise<Previous> {
  const [meta] = await rows<{ value: string }>(db, sql`select value from meta where key = ${validatorsKey(source.name)}`);
  const validators = meta ? decodeValidators(meta.value, source.url) : {};
  const [run] = await rows<{ payload_id: string | null }>(
    db,
    sql`select payload_id from source_runs where source = ${source.name} and outcome = 'ok' order by id desc limit 1`,
  );
  const payloadId = run?.payload_id ?? null;
  if (!opts.body || payloadId === null) return { validators, payloadId, body: null };
  const [payload] = await rows<{ content: string | null }>(
    db,
    sql`select content from payloads where id = ${payloadId}::bigint and location = ${source.url}`,
  );
  return { validators, payloadId, body: payload?.content ?? null };
}
