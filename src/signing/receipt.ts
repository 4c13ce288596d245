/**
 * The signed text of a contribution receipt (operations-and-users.md section 5): the lines
 * `ciyuan-receipt/1`, batch, contributor, sha256, records, received_at joined by "\n", as
 * fixings are signed. A receipt without a batch (every record was stored already) has an
 * empty batch line, as a fixing's null does. A contributor rebuilds this text from the
 * receipt JSON and checks it with the key listed at /v1/keys.
 */

export type Receipt = {
  /** The input batch that holds the submission (the highest, when it opened several); null when nothing new was stored. */
  batch: string | null;
  contributor: string;
  /** SHA-256 of the body's bytes, lowercase hex. */
  sha256: string;
  records: number;
  /** ISO 8601 UTC with `Z`, as published. */
  receivedAt: string;
};

export function receiptPayload(r: Receipt): string {
  return ["ciyuan-receipt/1", r.batch ?? "", r.contributor, r.sha256, String(r.records), r.receivedAt].join("\n");
}
