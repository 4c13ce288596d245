/** Checking a published signature needs only the text, the public key and node:crypto. */
import { createPublicKey, verify } from "node:crypto";

export function verifySignature(publicKeyPem: string, text: string, sigBase64url: string): boolean {
  try {
    return verify(null, Buffer.from(text, "utf8"), createPublicKey(publicKeyPem), Buffer.from(sigBase64url, "base64url"));
  } catch {
    return false;
  }
}
