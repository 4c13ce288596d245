/**
 * The real HTTP service on 127.0.0.1 over a test database, signing with a key made for
 * this test worker. Unexpected (500) failures are collected, so a suite can assert none.
 */
import type { Database } from "../../src/db/index.ts";
import { startServer, type RunningServer, type ServerOptions } from "../../src/publish/server.ts";
import { generateKeyPem, signerFromPem, type Signer } from "../../src/signing/index.ts";

export const testKeyPem = generateKeyPem();
export const testSigner: Signer = signerFromPem(testKeyPem, "test key");

export type TestServer = RunningServer & { unexpected: string[] };

export async function serveForTest(database: Database, options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const unexpected: string[] = [];
  const running = await startServer(database, 0, {
    hostname: "127.0.0.1",
    signer: testSigner,
    log: (line) => unexpected.push(line),
    ...options,
  });
  return { ...running, unexpected };
}
