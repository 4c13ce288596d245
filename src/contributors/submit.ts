/**
 * A contributor's submission of usage figures or a price sheet (operations-and-users.md
 * section 5), after its token was checked (401) and its body read within the size limit
 * (413). Then, in one transaction:
 *
 * - the same bytes accepted before from this contributor: that receipt again, nothing stored;
 * - the body parsed as a file of its kind is (sources/parse.ts) and stored by the same store
 *   step as a collected body (normalise/store-input.ts; prices accepted or refused whole),
 *   so accepted data meet the same gates (held prices included). Any invalid record refuses
 *   the whole body (400, the message naming the first bad record's line or JSON path, and
 *   the field);
 * - every record's provider within the token's scope, else 403;
 * - the receipt, signed, written with the submission into the audit trail.
 *
 * A refusal rolls everything back (not even a quarantined sheet stays: the contributor is
 * told instead) and is then written to the audit trail in a small transaction of its own.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { sql } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../db/index.ts";
import { recordKey } from "../engine/seal.ts";
import { CiyuanError, InputError, oneLine } from "../errors.ts";
import { storeInput, visibleWatermark } from "../normalise/index.ts";
import type { Signer } from "../signing/index.ts";
import { formatByContent, usageCsvUnits } from "../sources/index.ts";
import { priceSheetsInput, usageBodyInput } from "../sources/parse.ts";
import { recordContribution, type ContributionKind, type ContributionRecord } from "./audit.ts";
import { acceptedReceipt, receiptText, signReceipt, type SignedReceipt } from "./receipts.ts";
import type { Contributor } from "./registry.ts";

/** The largest body accepted, as for a collector's fetch: 20 MB. */
export const MAX_BODY_BYTES = 20 * 1024 * 1024;

/** pg_advisory_xact_lock(key, hash) space of submissions: one body of one contributor at a time. */
const SUBMISSION_TURN = 7243300;

export type Submission = {
  contributor: Contributor;
  kind: ContributionKind;
  body: Buffer;
  /** As the Content-Type names it; absent: told by the body's first characters, as for a file. */
  format?: "csv" | "json" | undefined;
  signer: Signer;
};

export type SubmitResult = { repeat: boolean; signed: SignedReceipt };

/** A record names a provider outside the token's scope (403); the body was valid. */
class OutOfScope extends CiyuanError {
  constructor(
    message: string,
    readonly records: number,
  ) {
    super("forbidden", message);
  }
}

/** What a submission of the body makes of it; the caller's transaction commits or rolls it back. */
type Stored = { records: number };

export async function submitContribution(db: Db, s: Submission): Promise<SubmitResult> {
  const receivedAt = await databaseNow(db);
  const sha256 = createHash("sha256").update(s.body).digest("hex");
  const format = s.format ?? (formatByContent(s.body.toString("utf8", 0, 64)) === "json" ? "json" : "csv");
  // Messages name the body as the importers name a file: `body.csv:3: input_tokens: ...`.
  const location = `body.${format}`;
  const name = s.contributor.name;
  const audit = { receivedAt, contributor: name, kind: s.kind, sha256, bytes: s.body.length };
  try {
    return await db.transaction(async (tx) => {
      // The same bytes twice at once: the second waits, then finds the first's receipt.
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${SUBMISSION_TURN}, hashtext(${`${name}\n${s.kind}\n${sha256}`}))`);
      const earlier = await acceptedReceipt(tx, { contributor: name, kind: s.kind, sha256 });
      if (earlier) return { repeat: true, signed: earlier };

      const before = await visibleWatermark(tx);
      const input = { ...s, location, format, source: `contributor:${name}` };
      const { records } = s.kind === "usage" ? await storeUsage(tx, input) : await storePrices(tx, input);
      const batch = await submissionBatch(tx, { after: before, origin: `contributor:${name}`, sha256 });

      const signed = signReceipt({ batch, contributor: name, sha256, records, receivedAt }, s.signer);
      // The key stays listed at /v1/keys after a rotation, as for fixings.
      await recordKey(tx, s.signer);
      await recordContribution(tx, { ...audit, records, status: "accepted", batch, reason: null }, receiptText(signed));
      return { repeat: false, signed };
    });
  } catch (err) {
    if (err instanceof CiyuanError && (err.code === "bad_input" || err.code === "forbidden")) {
      await recordRefusal(db, { ...audit, records: err instanceof OutOfScope ? err.records : 0, reason: err.message });
    }
    throw err;
  }
}

/** A body refused for its size, not read to its end: recorded without a hash. */
export async function recordOversized(db: Db, c: { contributor: string; kind: ContributionKind; bytes: number; reason: string }): Promise<void> {
  await recordRefusal(db, { ...c, receivedAt: await databaseNow(db), sha256: "", records: 0 });
}

function recordRefusal(db: Db, c: Omit<ContributionRecord, "status" | "batch">): Promise<void> {
  return recordContribution(db, { ...c, status: "refused", batch: null });
}

type StoreInput = Submission & { location: string; format: "csv" | "json"; source: string };

/** Usage through the store step; a CSV body can be read again, so it may take the straight way. */
async function storeUsage(tx: Db, s: StoreInput): Promise<Stored> {
  await storeInput(tx, usageBodyInput(s.location, s.body, s.format, { readAgain: true }), { source: s.source });
  // The body is valid now (the importer threw otherwise): read its providers for the scope.
  const { records, outside } = await usageProviders(s);
  if (records === 0) throw new InputError(s.location, undefined, undefined, "no records");
  if (outside) throw outOfScope(outside.where, outside.provider, s.contributor, records);
  return { records };
}

type ProviderScan = { records: number; outside: { where: string; provider: string } | null };

/**
 * The records of a usage body the importer accepted, and the first whose provider is outside
 * the scope. Providers are read trimmed, as the importer's name gate reads them. The body is
 * known valid, so a quick read does: JSON one parse; a CSV without quotes one record a
 * non-blank line (the CSV parser took seconds over 20 MB, a third of the import's time);
 * a CSV with quotes (a cell may hold a comma or a line break) the CSV parser.
 */
async function usageProviders(s: StoreInput): Promise<ProviderScan> {
  const scope = new Set(s.contributor.providers);
  const scan: ProviderScan = { records: 0, outside: null };
  const see = (provider: unknown, where: () => string) => {
    scan.records++;
    const name = String(provider).trim();
    if (scan.outside === null && !scope.has(name)) scan.outside = { where: where(), provider: name };
  };
  const text = s.body.toString("utf8").replace(/^\uFEFF/, "");
  if (s.format === "json") {
    const doc = JSON.parse(text) as { records: { provider: unknown }[] };
    doc.records.forEach((r, i) => see(r.provider, () => `${s.location}: records[${i}].provider`));
  } else if (text.includes('"')) {
    for await (const unit of usageCsvUnits(s.location, bodyStream(s.body))) see(unit.fields.provider, () => `${s.location}:${unit.line}: provider`);
  } else {
    const lines = text.split("\n");
    const at = lines[0]!.split(",").map((c) => c.trim()).indexOf("provider");
    lines.forEach((line, i) => {
      if (i > 0 && line.trim() !== "") see(line.split(",")[at], () => `${s.location}:${i + 1}: provider`);
    });
  }
  return scan;
}

/**
 * A price body, accepted or refused whole (a file's sheets are taken one by one, a bad one
 * quarantined): every sheet through the gates before anything is stored, then the
 * store-time gates (a sheet without a country for a provider never seen) refuse it too.
 */
async function storePrices(tx: Db, s: StoreInput): Promise<Stored> {
  const { accepted = [] } = await storeInput(tx, priceSheetsInput(s.location, s.body, s.format), { source: s.source }, { whole: true });
  // The store lets each sheet's commit skip its WAL flush (its own barrier follows only
  // when it stored something); this transaction is answered with a receipt, so its commit waits for the disk.
  await tx.execute(sql`SET LOCAL synchronous_commit = on`);

  const records = accepted.reduce((n, sheet) => n + sheet.models, 0);
  const outside = accepted.find((sheet) => !s.contributor.providers.includes(sheet.provider));
  if (outside) throw outOfScope(`${outside.location}: sheet ${oneLine(outside.label)}: provider`, outside.provider, s.contributor, records);
  return { records };
}

function outOfScope(where: string, provider: string, c: Contributor, records: number): OutOfScope {
  const scope = c.providers.map((p) => JSON.stringify(p)).join(", ");
  return new OutOfScope(`${where}: ${JSON.stringify(provider)} is outside this token's providers (${oneLine(scope)})`, records);
}

/**
 * The batch the submission's records were stored under: the importers open theirs with the
 * submission's origin and payload. Several (a price body of several sheets) commit
 * together; the receipt names the last. None when every record was stored already.
 */
async function submissionBatch(tx: Db, q: { after: string; origin: string; sha256: string }): Promise<string | null> {
  const [r] = await rows<{ batch: string | null }>(
    tx,
    sql`SELECT max(b.id)::text AS batch FROM input_batches b JOIN payloads p ON p.id = b.payload_id
        WHERE b.id > ${q.after}::bigint AND b.origin = ${q.origin} AND p.sha256 = ${q.sha256}`,
  );
  return r?.batch ?? null;
}

/** The body again from its start, in chunks as a socket would give it. */
function bodyStream(body: Buffer): Readable {
  const CHUNK = 1 << 20;
  return Readable.from(
    (function* () {
      for (let at = 0; at < body.length; at += CHUNK) yield body.subarray(at, at + CHUNK);
    })(),
    { objectMode: false },
  );
}

/** Now, by the database's clock (as every stored time), ISO 8601 UTC. */
async function databaseNow(db: Db): Promise<string> {
  const [r] = await rows<{ now: string }>(db, sql`SELECT clock_timestamp() AS now`);
  return isoUtc(r!.now);
}
