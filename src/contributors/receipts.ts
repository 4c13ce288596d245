/**
 * A contribution's receipt: what was received, from whom, under which batch, signed with
 * the publication key as fixings are (signing/receipt.ts has the signed text). It is stored
 * with the submission as published, so the same body again gets the very same receipt.
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../db/index.ts";
import { exact, toJson } from "../publish/json.ts";
import { receiptPayload, type Receipt, type Signer } from "../signing/index.ts";

export type SignedReceipt = { receipt: Receipt; signature: { kid: string; alg: "Ed25519"; sig: string } };

export function signReceipt(receipt: Receipt, signer: Signer): SignedReceipt {
  return { receipt, signature: { kid: signer.kid, alg: signer.alg, sig: signer.sign(receiptPayload(receipt)) } };
}

/** The published document: `{"receipt":{...},"signature":{...}}`, the batch an exact number. */
export function receiptDocument(s: SignedReceipt): object {
  const r = s.receipt;
  return {
    receipt: {
      batch: exact(r.batch),
      contributor: r.contributor,
      sha256: r.sha256,
      records: r.records,
      received_at: r.receivedAt,
    },
    signature: { kid: s.signature.kid, alg: s.signature.alg, sig: s.signature.sig },
  };
}

export const receiptText = (s: SignedReceipt): string => toJson(receiptDocument(s));

/** The receipt of the earlier accepted submission of these bytes by this contributor, or null. */
export async function acceptedReceipt(db: Db, q: { contributor: string; kind: string; sha256: string }): Promise<SignedReceipt | null> {
  const [found] = await rows<{ batch: string | null; contributor: string; sha256: string; records: string; received_at: string; kid: string; sig: string }>(
    db,
    sql`SELECT receipt->'receipt'->>'batch' AS batch, receipt->'receipt'->>'contributor' AS contributor,
               receipt->'receipt'->>'sha256' AS sha256, receipt->'receipt'->>'records' AS records,
               receipt->'receipt'->>'received_at' AS received_at,
               receipt->'signature'->>'kid' AS kid, receipt->'signature'->>'sig' AS sig
        FROM contributions
        WHERE contributor = ${q.contributor} AND kind = ${q.kind} AND sha256 = ${q.sha256} AND status = 'accepted'
        ORDER BY id LIMIT 1`,
  );
  if (!found) return null;
  return {
    receipt: {
      batch: found.batch,
      contributor: found.contributor,
      sha256: found.sha256,
      records: Number(found.records),
      receivedAt: found.received_at,
    },
    signature: { kid: found.kid, alg: "Ed25519", sig: found.sig },
  };
}
