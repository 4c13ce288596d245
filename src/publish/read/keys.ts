/**
 * The public keys a reader needs to check published signatures: the key signing now, then
 * every key that signed something before (signing_keys), oldest first, so a signature made
 * before a key rotation stays verifiable.
 */
import { sql } from "drizzle-orm";
import { rows, type Db } from "../../db/index.ts";
import type { Signer } from "../../signing/index.ts";

export type PublishedKey = { kid: string; alg: string; publicKeyPem: string };

export async function publishedKeys(db: Db, signer: Signer): Promise<PublishedKey[]> {
  const older = await rows<{ kid: string; alg: string; public_key: string }>(
    db,
    sql`SELECT kid, alg, public_key FROM signing_keys WHERE kid <> ${signer.kid} ORDER BY first_used_at, kid COLLATE "C"`,
  );
  return [
    { kid: signer.kid, alg: signer.alg, publicKeyPem: signer.publicKeyPem },
    ...older.map((k) => ({ kid: k.kid, alg: k.alg, publicKeyPem: k.public_key })),
  ];
}
