/**
 * The Ed25519 key that signs published numbers. It comes from CIYUAN_SIGNING_KEY (PKCS#8
 * PEM, inline or a path), or is generated once and kept beside the embedded database, so
 * a restart signs with the same key.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { CiyuanError } from "../errors.ts";

export const ALG = "Ed25519";

export type Signer = {
  /** Names the key: "ed25519-" and the first 16 hex digits of the SHA-256 of its SPKI DER. */
  kid: string;
  alg: typeof ALG;
  /** The public key as SPKI PEM, as published at /v1/keys. */
  publicKeyPem: string;
  /** base64url Ed25519 signature of the UTF-8 text. Ed25519 is deterministic: same text, same signature. */
  sign(text: string): string;
};

export const KEY_FILE = "signing-key.pem";

export function signerFromPem(pem: string, origin = "signing key"): Signer {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch (err) {
    throw new CiyuanError("bad_config", `${origin}: not a PKCS#8 PEM private key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new CiyuanError("bad_config", `${origin}: an ${key.asymmetricKeyType} key; Ed25519 is required`);
  }
  const publicKey = createPublicKey(key);
  const der = publicKey.export({ type: "spki", format: "der" });
  return {
    kid: `ed25519-${createHash("sha256").update(der).digest("hex").slice(0, 16)}`,
    alg: ALG,
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    sign: (text) => sign(null, Buffer.from(text, "utf8"), key).toString("base64url"),
  };
}

/** A new PKCS#8 PEM Ed25519 private key. */
export function generateKeyPem(): string {
  const { privateKey } = generateKeyPairSync("ed25519");
  return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/**
 * The configured signer: CIYUAN_SIGNING_KEY when set (PEM text, or a path to a PEM file),
 * else `<dataDir>/signing-key.pem`, created (mode 0600) the first time. Two processes
 * starting at once agree on one key: the file is created exclusively and the loser reads it.
 */
export function loadSigner(config: { signingKey: string | undefined; dataDir: string }): Signer {
  if (config.signingKey !== undefined) {
    const inline = config.signingKey.includes("-----BEGIN");
    const pem = inline ? config.signingKey.replace(/\\n/g, "\n") : readKeyFile(config.signingKey);
    return signerFromPem(pem, inline ? "CIYUAN_SIGNING_KEY" : `CIYUAN_SIGNING_KEY (${config.signingKey})`);
  }
  const file = path.join(config.dataDir, KEY_FILE);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, generateKeyPem(), { flag: "wx", mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return signerFromPem(readKeyFile(file), file);
}

function readKeyFile(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new CiyuanError("bad_config", `${file}: cannot read signing key (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
}
