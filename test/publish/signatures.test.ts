/**
 * Signatures as a reader checks them: a fixing fetched over HTTP, its signed text rebuilt
 * from the JSON fields (formats-and-interfaces, "Signature"), the key taken from /v1/keys,
 * and nothing but node:crypto to verify.
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeFixing } from "../../src/engine/index.ts";
import { importFxFile, importPriceFile, importUsageFile } from "../../src/normalise/index.ts";
import { generateKeyPem, signerFromPem } from "../../src/signing/index.ts";
import { describeEachEngine } from "../support/engines.ts";
import { serveForTest, testSigner, type TestServer } from "../support/serve.ts";
import { WORKED_EXAMPLE_TIMES, workedExampleFiles } from "../fixtures/worked-example/load.ts";
import { get, n } from "./http.ts";

type Key = { kid: string; alg: string; public_key: string };

/** A JSON number's exact text with exactly 6 decimals; null is an empty line. */
function sixDecimals(value: unknown): string {
  if (value === null) return "";
  const m = /^(-?\d+)(?:\.(\d+))?$/.exec(n(value));
  if (!m) throw new Error(`not a decimal: ${n(value)}`);
  const decimals = (m[2] ?? "").replace(/0+$/, "");
  if (decimals.length > 6) throw new Error(`more than 6 decimals: ${n(value)}`);
  return `${m[1]}.${decimals.padEnd(6, "0")}`;
}

/** The ciyuan-fixing/1 text, built from the published JSON fields only. */
function signedText(f: any): string {
  return [
    "ciyuan-fixing/1",
    f.index,
    f.fixing_time,
    f.kind,
    String(f.revision),
    f.status,
    sixDecimals(f.value),
    sixDecimals(f.level),
    sixDecimals(f.percentiles.p25),
    sixDecimals(f.percentiles.p50),
    sixDecimals(f.percentiles.p75),
    f.methodology_version,
    f.inputs_sha256,
  ].join("\n");
}

function verifies(f: any, keys: Key[], text = signedText(f)): boolean {
  const key = keys.find((k) => k.kid === f.signature.kid);
  if (!key) return false;
  return verify(null, Buffer.from(text, "utf8"), createPublicKey(key.public_key), Buffer.from(f.signature.sig, "base64url"));
}

/** One digit of the value's text changed (the last one, +1 mod 10). */
function oneDigitChanged(f: any): any {
  const text = n(f.value);
  const last = Number(text.at(-1));
  return { ...f, value: `${text.slice(0, -1)}${(last + 1) % 10}` };
}

const EARLY = "2026-02-21T08:00:00Z"; // before any usage: insufficient, nothing to carry (value and level null)

describeEachEngine("Signature: every fixing carries an Ed25519 signature a reader can check with /v1/keys and node:crypto", (ctx) => {
  let server: TestServer | undefined;
  const base = () => server!.url;

  beforeAll(async () => {
    for (const f of workedExampleFiles.sheets) await importPriceFile(ctx.db, f);
    await importFxFile(ctx.db, workedExampleFiles.fx);
    await importUsageFile(ctx.db, workedExampleFiles.usage);
    for (const at of [EARLY, ...WORKED_EXAMPLE_TIMES]) await computeFixing(ctx.db, { index: "CTPI", at, kind: "final", signer: testSigner });
    server = await serveForTest(ctx.database);
  });
  afterAll(async () => {
    await server?.close();
    expect(server?.unexpected ?? []).toEqual([]);
  });

  it("a fixing fetched over HTTP verifies with the key from /v1/keys, its text rebuilt from the JSON fields", async () => {
    const f = (await get(`${base()}/v1/indices/CTPI/fixings/${WORKED_EXAMPLE_TIMES[1]}`)).json;
    const keys: Key[] = (await get(`${base()}/v1/keys`)).json.keys;
    expect(f.signature).toEqual({ kid: testSigner.kid, alg: "Ed25519", sig: expect.stringMatching(/^[A-Za-z0-9_-]{86}$/) });
    expect(n(f.value)).toBe("4.049022");
    expect(verifies(f, keys)).toBe(true);
  });

  it("changing one digit of the value makes the signature fail", async () => {
    const f = (await get(`${base()}/v1/indices/CTPI/fixings/${WORKED_EXAMPLE_TIMES[1]}`)).json;
    const keys: Key[] = (await get(`${base()}/v1/keys`)).json.keys;
    expect(verifies(oneDigitChanged(f), keys)).toBe(false);
    expect(verifies({ ...f, revision: 2 }, keys)).toBe(false);
  });

  it("a null is an empty line: an insufficient fixing with no value, level or percentiles verifies", async () => {
    const f = (await get(`${base()}/v1/indices/CTPI/fixings/${EARLY}`)).json;
    expect([f.status, f.value, f.level, f.percentiles]).toEqual(["insufficient", null, null, { p25: null, p50: null, p75: null }]);
    expect(signedText(f).split("\n").slice(6, 11)).toEqual(["", "", "", "", ""]);
    expect(verifies(f, (await get(`${base()}/v1/keys`)).json.keys)).toBe(true);
  });

  it("the latest fixing and the fixings list carry the same verifiable signature", async () => {
    const keys: Key[] = (await get(`${base()}/v1/keys`)).json.keys;
    const latest = (await get(`${base()}/v1/indices/CTPI/latest`)).json;
    const list = (await get(`${base()}/v1/indices/CTPI/fixings?from=2026-02-01&to=2026-03-31`)).json.data;
    expect(list).toHaveLength(3);
    for (const f of [latest, ...list]) expect({ at: f.fixing_time, ok: verifies(f, keys) }).toEqual({ at: f.fixing_time, ok: true });
  });
});

describeEachEngine("GET /v1/keys: the key signing now first, then every key that signed before", (ctx) => {
  const servers: TestServer[] = [];
  const serve = async (signer = testSigner) => {
    const s = await serveForTest(ctx.database, { signer });
    servers.push(s);
    return s.url;
  };
  afterAll(async () => {
    for (const s of servers) await s.close();
    for (const s of servers) expect(s.unexpected).toEqual([]);
  });

  describe("shape", () => {
    it('answers {"keys":[{"kid","alg":"Ed25519","public_key"}]} with the SPKI PEM of an Ed25519 key named by its hash', async () => {
      const r = await get(`${await serve()}/v1/keys`);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/^application\/json/);
      expect(r.headers.get("access-control-allow-origin")).toBe("*");
      expect(Object.keys(r.json)).toEqual(["keys"]);
      const [key] = r.json.keys as Key[];
      expect(Object.keys(key!)).toEqual(["kid", "alg", "public_key"]);
      expect(key).toEqual({ kid: testSigner.kid, alg: "Ed25519", public_key: testSigner.publicKeyPem });
      expect(key!.public_key).toMatch(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);
      const publicKey = createPublicKey(key!.public_key);
      expect(publicKey.asymmetricKeyType).toBe("ed25519");
      const der = publicKey.export({ type: "spki", format: "der" });
      expect(key!.kid).toBe(`ed25519-${createHash("sha256").update(der).digest("hex").slice(0, 16)}`);
    });

    it("lists the server's key even before it has signed anything", async () => {
      const fresh = signerFromPem(generateKeyPem());
      const keys: Key[] = (await get(`${await serve(fresh)}/v1/keys`)).json.keys;
      expect(keys[0]!.kid).toBe(fresh.kid);
    });
  });

  describe("an old key stays listed after the signer changes", () => {
    it("keys that signed earlier fixings follow the current one, oldest first, each once", async () => {
      const db = ctx.db;
      for (const f of workedExampleFiles.sheets) await importPriceFile(db, f);
      await importFxFile(db, workedExampleFiles.fx);
      await importUsageFile(db, workedExampleFiles.usage);
      const second = signerFromPem(generateKeyPem());
      const third = signerFromPem(generateKeyPem());
      await computeFixing(db, { index: "CTPI", at: WORKED_EXAMPLE_TIMES[0], kind: "final", signer: testSigner });
      await computeFixing(db, { index: "CTPI", at: WORKED_EXAMPLE_TIMES[1], kind: "final", signer: second });

      const kids = async (url: string) => ((await get(`${url}/v1/keys`)).json.keys as Key[]).map((k) => k.kid);
      expect(await kids(await serve(third))).toEqual([third.kid, testSigner.kid, second.kid]);
      expect(await kids(await serve(second))).toEqual([second.kid, testSigner.kid]);
      expect(await kids(await serve(testSigner))).toEqual([testSigner.kid, second.kid]);
    });

    it("a fixing signed by the old key keeps that signature and verifies with the old key from the new server's list", async () => {
      const third = signerFromPem(generateKeyPem());
      const url = await serve(third);
      const keys: Key[] = (await get(`${url}/v1/keys`)).json.keys;
      const day1 = (await get(`${url}/v1/indices/CTPI/fixings/${WORKED_EXAMPLE_TIMES[0]}`)).json;
      const day2 = (await get(`${url}/v1/indices/CTPI/fixings/${WORKED_EXAMPLE_TIMES[1]}`)).json;
      expect(day1.signature.kid).toBe(testSigner.kid);
      expect(day2.signature.kid).not.toBe(third.kid);
      expect([verifies(day1, keys), verifies(day2, keys)]).toEqual([true, true]);
    });
  });
});
