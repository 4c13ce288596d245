/** What the HTTP routes need from the outside, built once at start. */
import type { Db } from "../db/index.ts";
import type { Signer } from "../signing/index.ts";
import type { SourceConfig } from "../sources/config.ts";
import type { FixingEvents } from "./events.ts";

export type AppDeps = {
  db: Db;
  /** Signs what is published and names the key (/v1/keys). */
  signer: Signer;
  /** New fixings as they are committed, for /v1/stream. */
  events: FixingEvents;
  /** Bearer token of the operator routes; undefined: those routes are off (404). */
  adminToken?: string | undefined;
  /** Submissions per contributor token per minute (CIYUAN_CONTRIBUTION_RATE); 60 when absent. */
  contributionRate?: number | undefined;
  /** Where unexpected failures are reported (one line each). */
  log: (line: string) => void;
  /** The clock of /health and /v1/status; real time when absent (tests inject one). */
  now?: (() => Date) | undefined;
  /**
   * The collector sources as configured: /health and /v1/status judge these (each price
   * source against its `every`). Absent: every source that ever ran is judged by its last
   * run alone.
   */
  sources?: readonly ConfiguredSource[] | undefined;
};

/** What the health checks need of a configured collector source. */
export type ConfiguredSource = Pick<SourceConfig, "name" | "kind" | "every"> & { tz?: string | undefined };
