/**
 * Signing a fixing revision as it is stored, inside its transaction: the signed text is
 * rebuilt from the row just written, rounded exactly as it is published, so the signature
 * covers the numbers a reader sees. The key is recorded so it stays listed at /v1/keys.
 */
import { sql } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../db/index.ts";
import { fixingPayload, type SignedFixing, type Signer } from "../signing/index.ts";

export async function recordKey(tx: Db, signer: Signer): Promise<void> {
  await tx.execute(sql`
    INSERT INTO signing_keys (kid, alg, public_key) VALUES (${signer.kid}, ${signer.alg}, ${signer.publicKeyPem})
    ON CONFLICT (kid) DO NOTHING`);
}

/** The ciyuan-fixing/1 text of a stored revision, from its row as it is now. */
export async function storedFixingPayload(tx: Db, fixingId: string): Promise<string> {
  const [f] = await rows<SignedFixing>(
    tx,
    sql`SELECT index_code AS "index", fixing_time AS "fixingTime", kind, revision::int AS revision, status,
          round_half_even(value, 6)::text AS value, round_half_even(level, 6)::text AS level,
          round_half_even(p25, 6)::text AS p25, round_half_even(p50, 6)::text AS p50,
          round_half_even(p75, 6)::text AS p75, methodology_version AS "methodologyVersion",
          inputs_sha256 AS "inputsSha256"
        FROM fixings WHERE id = ${fixingId}::bigint`,
  );
  if (!f) throw new Error(`fixing ${fixingId} not found to sign`);
  return fixingPayload({ ...f, fixingTime: isoUtc(f.fixingTime) });
}

export async function signFixing(tx: Db, fixingId: string, signer: Signer): Promise<void> {
  const sig = signer.sign(await storedFixingPayload(tx, fixingId));
  await recordKey(tx, signer);
  await tx.execute(sql`
    INSERT INTO fixing_signatures (fixing_id, kid, sig) VALUES (${fixingId}::bigint, ${signer.kid}, ${sig})
    ON CONFLICT (fixing_id, kid) DO NOTHING`);
}
