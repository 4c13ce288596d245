/**
 * What a collection leaves behind, written once as it ends, in one transaction: the fetched
 * body in `payloads`, one `source_runs` row, and after a successful fetch its validators.
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import { lockInputs, type PayloadKind } from "../normalise/payload.ts";
import type { SourceKind } from "../sources/config.ts";
import type { RegistrySkip } from "../sources/registry-sheet.ts";
import { isText } from "../sources/text.ts";
import { encodeValidators, validatorsKey, type Validators } from "./validators.ts";

export type RunOutcome = "ok" | "not_modified" | "failed";

export const PAYLOAD_KIND: Record<SourceKind, PayloadKind> = {
  "price-sheet": "prices",
  litellm: "prices",
  openrouter: "prices",
  ecb: "fx",
  fx: "fx",
  usage: "usage",
  "openrouter-rankings": "usage",
};

/**
 * The fetched body as a payload (source name, URL, HTTP status, sha256), once per distinct
 * sha256 and kind, like the importers' own record: the store step, given the same bytes,
 * made this row already (with the HTTP status), and it is found. Usage bodies are kept by
 * hash only, as the usage importer does.
 */
export async function recordRawPayload(
  db: Db,
  p: { kind: PayloadKind; source: string; url: string; sha256: string; body: Buffer },
): Promise<string> {
  return db.transaction(async (tx) => {
    await lockInputs(tx, p.kind);
    const [found] = await rows<{ id: string }>(tx, sql`select id from payloads where sha256 = ${p.sha256} and kind = ${p.kind} order by id limit 1`);
    if (found) return found.id;
    // A body that is not text cannot be a text column (a NUL); its sha256 still identifies it.
    const content = p.kind === "usage" || !isText(p.body) ? null : p.body.toString("utf8");
    const [made] = await rows<{ id: string }>(
      tx,
      sql`insert into payloads (kind, source, location, http_status, sha256, bytes, content)
          values (${p.kind}, ${p.source}, ${p.url}, 200, ${p.sha256}, ${String(p.body.length)}::bigint, ${content})
          returning id`,
    );
    return made!.id;
  });
}

export type Run = {
  source: string;
  kind: SourceKind;
  startedAt: Date;
  outcome: RunOutcome;
  detail: string;
  /** The payload the run points at when it kept no body of its own (a 304: the last ok run's). */
  payloadId?: string | null;
  /** The body fetched: kept as a payload (`url` is where from), and the run points at it. */
  body?: { url: string; sha256: string; bytes: Buffer } | undefined;
  /** The registry entries the run could not read as prices; none is stored as null. */
  skipped?: readonly RegistrySkip[] | undefined;
  /** After a successful fetch: its ETag / Last-Modified, for the next conditional GET. */
  validators?: { url: string; validators: Validators } | undefined;
};

/** Records a run (with its body and validators, when given); the id of the payload it points at. */
export async function recordRun(db: Db, run: Run): Promise<string | null> {
  // jsonb cannot hold a NUL (`\u0000`), which a registry key or value can: it is replaced.
  const text = (s: string) => s.replaceAll("\0", "\uFFFD");
  const entries = (run.skipped ?? []).map((k) => ({ provider: text(k.provider), model: text(k.model), reason: text(k.reason) }));
  const skipped = entries.length > 0 ? JSON.stringify(entries) : null;
  return db.transaction(async (tx) => {
    const body = run.body;
    const payloadId = body
      ? await recordRawPayload(tx, { kind: PAYLOAD_KIND[run.kind], source: run.source, url: body.url, sha256: body.sha256, body: body.bytes })
      : (run.payloadId ?? null);
    await tx.execute(
      sql`insert into source_runs (source, kind, started_at, outcome, detail, payload_id, skipped)
          values (${run.source}, ${run.kind}, ${run.startedAt.toISOString()}::timestamptz, ${run.outcome}, ${run.detail}, ${payloadId}::bigint, ${skipped}::jsonb)`,
    );
    if (run.validators) {
      const { url, validators } = run.validators;
      await tx.execute(
        sql`insert into meta (key, value) values (${validatorsKey(run.source)}, ${encodeValidators(url, validators)})
            on conflict (key) do update set value = excluded.value, set_at = clock_timestamp()`,
      );
    }
    return payloadId;
  });
}
