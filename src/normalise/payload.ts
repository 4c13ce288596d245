/** Every file or body an importer reads is recorded once per distinct sha256. */
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";

export type PayloadKind = "prices" | "usage" | "fx";

export const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/**
 * The id of the payload with these bytes, recording it first if it is new. `httpStatus`:
 * a collected body's (the collector's fetch), kept with it; null for a file or a submission.
 */
export async function recordPayload(
  db: Db,
  p: { kind: PayloadKind; source: string; location: string; sha256: string; bytes: number | bigint; content: string | null; httpStatus?: number | undefined },
): Promise<string> {
  const [found] = await rows<{ id: string }>(
    db,
    sql`select id from payloads where sha256 = ${p.sha256} and kind = ${p.kind} order by id limit 1`,
  );
  if (found) return found.id;
  const [made] = await rows<{ id: string }>(
    db,
    sql`insert into payloads (kind, source, location, http_status, sha256, bytes, content)
        values (${p.kind}, ${p.source}, ${p.location}, ${p.httpStatus ?? null}::integer, ${p.sha256}, ${String(p.bytes)}::bigint, ${p.content})
        returning id`,
  );
  return made!.id;
}

/** A pass-through stream that hashes and counts the bytes of a payload too big to hold. */
export class HashTap extends Transform {
  private readonly hash: Hash = createHash("sha256");
  bytes = 0;

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, done: TransformCallback): void {
    const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    this.hash.update(buf);
    this.bytes += buf.length;
    done(null, buf);
  }

  /** Call once the stream has been read to its end. */
  digest(): string {
    return this.hash.digest("hex");
  }
}

/** Serialises writers of one kind of input, so two imports at once cannot race. */
export async function lockInputs(db: Db, kind: PayloadKind): Promise<void> {
  const key = { prices: 7243101, usage: 7243102, fx: 7243103 }[kind];
  await db.execute(sql`select pg_advisory_xact_lock(${key})`);
}
