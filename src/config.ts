import path from "node:path";
import { z } from "zod";
import { CiyuanError } from "./errors.ts";

const EnvSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  CIYUAN_DATA_DIR: z.string().min(1).default("./.ciyuan"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // The service's log lines: pino JSON, or pino-pretty on a terminal (auto).
  LOG_FORMAT: z.enum(["auto", "json", "pretty"]).default("auto"),
  // PKCS#8 PEM text, or a path to a PEM file; unset: a key generated once under CIYUAN_DATA_DIR.
  CIYUAN_SIGNING_KEY: z.string().min(1).optional().or(z.literal("").transform(() => undefined)),
  // Unset: the operator routes (/v1/admin/...) are off. Short tokens are refused.
  CIYUAN_ADMIN_TOKEN: z
    .string()
    .min(16, "must be at least 16 characters")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  // Submissions a contributor token may make per minute (POST /v1/contributions/...);
  // the 61st in a minute is answered 429 with Retry-After.
  CIYUAN_CONTRIBUTION_RATE: z.coerce
    .number()
    .int("must be a whole number of requests per minute")
    .min(1, "must be at least 1 request per minute")
    .max(100_000)
    .default(60),
  // Days of final fixings `ciyuan start` computes (when missing) before it serves, and days
  // of sample data it loads into an empty database. 60 covers the dashboard's first view
  // and two settlement months; a smaller number starts faster (tests use a few days).
  CIYUAN_START_DAYS: z.coerce
    .number()
    .int("must be a whole number of days")
    .min(1, "must be at least 1 day")
    .max(3660, "must be at most 3660 days (use ciyuan backfill for longer ranges)")
    .default(60),
  // Test-only: the service's clock (`ciyuan start`'s scheduler and backfill range, /health)
  // runs this many milliseconds ahead of (or, negative, behind) the machine's, so a drill
  // can have a final fixing fall due at a moment it chooses (scripts/drill-outage.ts).
  CIYUAN_CLOCK_OFFSET_MS: z.coerce.number().int().default(0),
});

export type Config = {
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  logLevel: z.infer<typeof EnvSchema>["LOG_LEVEL"];
  logFormat: z.infer<typeof EnvSchema>["LOG_FORMAT"];
  signingKey: string | undefined;
  adminToken: string | undefined;
  /** CIYUAN_CONTRIBUTION_RATE: submissions per contributor token per minute. */
  contributionRate: number;
  /** Test-only (CIYUAN_CLOCK_OFFSET_MS): see serviceClock. */
  clockOffsetMs: number;
  /** CIYUAN_START_DAYS: days of finals (and of sample data) `ciyuan start` prepares. */
  startDays: number;
};

/** Parses the environment once; every entry point calls this at start. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CiyuanError("bad_config", `environment: ${issue.path.join(".")}: ${issue.message}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.CIYUAN_DATA_DIR),
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    signingKey: e.CIYUAN_SIGNING_KEY,
    adminToken: e.CIYUAN_ADMIN_TOKEN,
    contributionRate: e.CIYUAN_CONTRIBUTION_RATE,
    clockOffsetMs: e.CIYUAN_CLOCK_OFFSET_MS,
    startDays: e.CIYUAN_START_DAYS,
  };
}

/** The clock of the service: the machine's, shifted by CIYUAN_CLOCK_OFFSET_MS (0 but in drills). */
export function serviceClock(config: Pick<Config, "clockOffsetMs">): () => Date {
  const offset = config.clockOffsetMs;
  return offset === 0 ? () => new Date() : () => new Date(Date.now() + offset);
}
