/**
 * The audit trail (operations-and-users.md section 5): one row per submission by an
 * authenticated contributor, accepted or refused, with the reason of a refusal. An accepted
 * row keeps its signed receipt, so the same body again is answered with the same receipt.
 */
import { sql, type SQL } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../db/index.ts";

export type ContributionKind = "usage" | "prices";

export type ContributionRecord = {
  receivedAt: string; // ISO 8601 UTC
  contributor: string;
  kind: ContributionKind;
  /** SHA-256 of the body, hex; "" when the body was refused for its size before it was read to its end. */
  sha256: string;
  bytes: number;
  records: number;
  status: "accepted" | "refused";
  batch: string | null;
  reason: string | null;
};

/** Writes one submission; `receiptJson` is the receipt document as published (accepted only). */
export async function recordContribution(db: Db, c: ContributionRecord, receiptJson: string | null = null): Promise<void> {
  await db.execute(sql`
    INSERT INTO contributions (received_at, contributor, kind, sha256, bytes, records, status, batch_id, reason, receipt)
    VALUES (${c.receivedAt}::timestamptz, ${c.contributor}, ${c.kind}, ${c.sha256}, ${c.bytes}::bigint, ${c.records}::int,
            ${c.status}, ${c.batch}::bigint, ${c.reason}, ${receiptJson}::jsonb)`);
}

export type ContributionQuery = {
  contributor?: string | undefined;
  /** An instant (inclusive), or a date: from 00:00 UTC that day. */
  from?: string | undefined;
  /** An instant (inclusive), or a date: through the end of that day (UTC). */
  to?: string | undefined;
};

type Row = {
  id: string;
  received_at: string;
  contributor: string;
  kind: ContributionKind;
  sha256: string;
  bytes: string;
  records: number;
  status: "accepted" | "refused";
  batch: string | null;
  reason: string | null;
};

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const PAGE = 500;

/** The submissions in the range, the oldest first, read a page at a time (the trail only grows). */
export async function* listContributions(db: Db, q: ContributionQuery): AsyncGenerator<ContributionRecord> {
  const conditions: SQL[] = [];
  if (q.contributor !== undefined) conditions.push(sql`contributor = ${q.contributor}`);
  if (q.from !== undefined) {
    conditions.push(DATE.test(q.from) ? sql`received_at >= (${q.from}::date::timestamp AT TIME ZONE 'UTC')` : sql`received_at >= ${q.from}::timestamptz`);
  }
  if (q.to !== undefined) {
    conditions.push(DATE.test(q.to) ? sql`received_at < ((${q.to}::date + 1)::timestamp AT TIME ZONE 'UTC')` : sql`received_at <= ${q.to}::timestamptz`);
  }
  let after: { receivedAt: string; id: string } | null = null;
  for (;;) {
    const page: SQL[] = [...conditions];
    if (after) page.push(sql`(received_at, id) > (${after.receivedAt}::timestamptz, ${after.id}::bigint)`);
    const where = page.length > 0 ? sql`WHERE ${sql.join(page, sql` AND `)}` : sql``;
    const found = await rows<Row>(
      db,
      sql`SELECT id::text, received_at, contributor, kind, sha256, bytes, records, status, batch_id::text AS batch, reason
          FROM contributions ${where} ORDER BY received_at, id LIMIT ${PAGE}`,
    );
    for (const r of found) {
      yield {
        receivedAt: isoUtc(r.received_at),
        contributor: r.contributor,
        kind: r.kind,
        sha256: r.sha256,
        bytes: Number(r.bytes),
        records: Number(r.records),
        status: r.status,
        batch: r.batch,
        reason: r.reason,
      };
    }
    if (found.length < PAGE) return;
    const last = found[found.length - 1]!;
    after = { receivedAt: last.received_at, id: last.id };
  }
}
