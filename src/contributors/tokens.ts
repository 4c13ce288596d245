/**
 * Contributor tokens: `ctb_` and 32 random bytes in base64url, shown once. Only the SHA-256
 * of a token is stored, so a copy of the database cannot submit as anyone.
 */
import { createHash, randomBytes } from "node:crypto";

export const TOKEN_PREFIX = "ctb_";

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** The stored form of a token: SHA-256 of its UTF-8 text, lowercase hex. */
export function tokenSha256(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
