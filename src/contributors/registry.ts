/**
 * Who may submit usage and prices (operations-and-users.md section 5): a name, the
 * providers its token may submit for, and the SHA-256 of the token. A revoked contributor
 * stays in the table, so the audit trail keeps naming it and the name is never reused.
 */
import { sql } from "drizzle-orm";
import { isoUtc, rows, type Db } from "../db/index.ts";
import { CiyuanError } from "../errors.ts";
import { contributorNameProblem, providerProblem } from "./names.ts";
import { newToken, tokenSha256 } from "./tokens.ts";

export type Contributor = {
  name: string;
  /** The providers whose usage and prices this contributor may submit. */
  providers: string[];
  createdAt: string; // ISO 8601 UTC
  revokedAt: string | null;
};

type Row = { name: string; providers: string[]; created_at: string; revoked_at: string | null };
const COLUMNS = sql`name, providers, created_at, revoked_at`;
const contributor = (r: Row): Contributor => ({
  name: r.name,
  providers: r.providers,
  createdAt: isoUtc(r.created_at),
  revokedAt: isoUtc(r.revoked_at),
});

/** Adds a contributor; returns it and its token, which exists nowhere else afterwards. */
export async function addContributor(db: Db, c: { name: string; providers: string[] }): Promise<{ contributor: Contributor; token: string }> {
  const nameProblem = contributorNameProblem(c.name);
  if (nameProblem) throw new CiyuanError("bad_request", `${JSON.stringify(c.name)}: ${nameProblem}`);
  const providers = [...new Set(c.providers)];
  if (providers.length === 0) throw new CiyuanError("bad_request", "a contributor needs at least one provider (--provider P)");
  for (const p of providers) {
    const problem = providerProblem(p);
    if (problem) throw new CiyuanError("bad_request", `provider ${JSON.stringify(p)}: ${problem}`);
  }
  const token = newToken();
  const [made] = await rows<Row>(
    db,
    sql`INSERT INTO contributors (name, token_sha256, providers)
        VALUES (${c.name}, ${tokenSha256(token)}, ARRAY[${sql.join(providers.map((p) => sql`${p}`), sql`, `)}]::text[])
        ON CONFLICT (name) DO NOTHING
        RETURNING ${COLUMNS}`,
  );
  if (!made) throw new CiyuanError("conflict", `a contributor named ${c.name} exists already (names are never reused, even revoked)`);
  return { contributor: contributor(made), token };
}

/** Every contributor, the oldest first. */
export async function listContributors(db: Db): Promise<Contributor[]> {
  return (await rows<Row>(db, sql`SELECT ${COLUMNS} FROM contributors ORDER BY created_at, id`)).map(contributor);
}

/**
 * Revokes a contributor's token from now on. Revoking again changes nothing (`already`
 * says so, with the first revocation's time).
 */
export async function revokeContributor(db: Db, name: string): Promise<{ contributor: Contributor; already: boolean }> {
  const [revoked] = await rows<Row>(
    db,
    sql`UPDATE contributors SET revoked_at = clock_timestamp() WHERE name = ${name} AND revoked_at IS NULL RETURNING ${COLUMNS}`,
  );
  if (revoked) return { contributor: contributor(revoked), already: false };
  const [known] = await rows<Row>(db, sql`SELECT ${COLUMNS} FROM contributors WHERE name = ${name}`);
  if (!known) throw new CiyuanError("not_found", `no contributor named ${JSON.stringify(name)}`);
  return { contributor: contributor(known), already: true };
}

/** The contributor whose token has this SHA-256 (revoked or not), or null. */
export async function contributorByTokenSha256(db: Db, sha256: string): Promise<Contributor | null> {
  const [found] = await rows<Row>(db, sql`SELECT ${COLUMNS} FROM contributors WHERE token_sha256 = ${sha256}`);
  return found ? contributor(found) : null;
}
