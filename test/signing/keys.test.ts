import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CiyuanError } from "../../src/errors.ts";
import { KEY_FILE, generateKeyPem, loadSigner } from "../../src/signing/index.ts";

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-keys-"));

describe("The key comes from CIYUAN_SIGNING_KEY (PKCS#8 PEM) or is generated once beside the embedded database", () => {
  it("inline PEM and a path to the same PEM name the same key", () => {
    const pem = generateKeyPem();
    const file = path.join(tempDir(), "k.pem");
    fs.writeFileSync(file, pem);
    expect(loadSigner({ signingKey: pem, dataDir: tempDir() }).kid).toBe(loadSigner({ signingKey: file, dataDir: tempDir() }).kid);
  });

  it("generated once: a second load in the same data directory signs with the same key, kept with mode 0600", () => {
    const dir = tempDir();
    const first = loadSigner({ signingKey: undefined, dataDir: dir });
    expect(loadSigner({ signingKey: undefined, dataDir: dir }).kid).toBe(first.kid);
    expect(fs.statSync(path.join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  it("refuses, in one line naming the variable, text that is not a PEM private key, an RSA key, or a missing file", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const cases: [string, RegExp][] = [
      ["-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----", /^CIYUAN_SIGNING_KEY: not a PKCS#8 PEM private key/],
      [rsa, /^CIYUAN_SIGNING_KEY: an rsa key; Ed25519 is required$/],
      ["/nonexistent/key.pem", /^\/nonexistent\/key\.pem: cannot read signing key \(ENOENT\)$/],
    ];
    for (const [signingKey, message] of cases) {
      let thrown: unknown;
      try {
        loadSigner({ signingKey, dataDir: tempDir() });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(CiyuanError);
      expect((thrown as CiyuanError).code).toBe("bad_config");
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as Error).message).not.toContain("\n");
    }
  });
});
