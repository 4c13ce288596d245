/** What a collection leaves behind: the raw body in `payloads`, one `source_runs` row per attempt. */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import { lockInputs, type PayloadKind } from "../normalise/payload.ts";
import type { SourceKind } from "../sources/config.ts";
import type { RegistrySkip } from "../sources/registry-sheet.ts";
import { isText } from "../sources/text.ts";

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
 * sha256 and kind, like the importers' own record: an importer given the same bytes then
 * points at this row. Usage bodies are kept by hash only, as the usage importer does.
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

/** `skipped`: the registry entries the run could not read as prices; none is stored as null. */
export async function recordRun(
  db: Db,
  run: {
    source: string;
    kind: SourceKind;
    startedAt: Date;
    outcome: RunOutcome;
    detail: string;
    payloadId: string | null;
    skipped?: readonly RegistrySkip[] | undefined;
  },
): Promise<void> {
  // jsonb cannot hold a NUL (`\u0000`), which a registry key or value can: it is replaced.
  const text = (s: string) => s.replaceAll("\0", "\uFFFD");
  const entries = (run.skipped ?? []).map((k) => ({ provider: text(k.provider), model: text(k.model), reason: text(k.reason) }));
  const skipped = entries.length > 0 ? JSON.stringify(entries) : null;
  await db.execute(
    sql`insert into source_runs (source, kind, started_at, outcome, detail, payload_id, skipped)
        values (${run.source}, ${run.kind}, ${run.startedAt.toISOString()}::timestamptz, ${run.outcome}, ${run.detail}, ${run.payloadId}::bigint, ${skipped}::jsonb)`,
  );
}

/** The payload of the source's last successful collection (what a 304 confirms). */
export async function lastOkPayload(db: Db, source: string): Promise<string | null> {
  const [row] = await rows<{ payload_id: string | null }>(
    db,
    sql`select payload_id from source_runs where source = ${source} and outcome = 'ok' order by id desc limit 1`,
  );
  return row?.payload_id ?? null;
}

/**
 * The text of a stored payload fetched from `url`: null for usage (kept by hash only) or a
 * payload from another URL (a source pointed elsewhere starts afresh).
 */
export async function payloadContent(db: Db, payloadId: string, url: string): Promise<string | null> {
  const [row] = await rows<{ content: string | null }>(
    db,
    sql`select content from payloads where id = ${payloadId}::bigint and location = ${url}`,
  );
  return row?.content ?? null;
}
