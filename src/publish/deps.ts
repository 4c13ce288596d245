/** What the HTTP routes need from the outside, built once at start. */
import type { Db } from "../db/index.ts";
import type { Signer } from "../signing/index.ts";
import type { FixingEvents } from "./events.ts";

export type AppDeps = {
  db: Db;
  /** Signs what is published and names the key (/v1/keys). */
  signer: Signer;
  /** New fixings as they are committed, for /v1/stream. */
  events: FixingEvents;
  /** Bearer token of the operator routes; undefined: those routes are off (404). */
  adminToken?: string | undefined;
  /** Where unexpected failures are reported (one line each). */
  log: (line: string) => void;
};
