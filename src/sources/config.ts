/**
 * The collectors' sources (`ciyuan.sources/1`): the file named by CIYUAN_SOURCES, or the
 * bundled default list. Validated whole at load; a bad file is one line naming the field.
 */
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import cron from "node-cron";
import { z } from "zod";
import { CiyuanError } from "../errors.ts";
import { isPositive, notAbove, plainDecimal } from "../values/decimal.ts";
import { FETCH_DEFAULTS } from "./fetch.ts";

export const SOURCES_SCHEMA = "ciyuan.sources/1";
export const SOURCE_KINDS = ["price-sheet", "litellm", "openrouter", "ecb", "fx", "usage", "openrouter-rankings"] as const;
export const REGISTRY_KINDS = ["litellm", "openrouter"] as const;
/** The public usage proxy (operations-and-users.md section 6): usage, named by a `providers` map too. */
export const PROXY_KINDS = ["openrouter-rankings"] as const;
/** Kinds whose entries are named by their own keys, mapped to our providers by `providers`. */
const MAPPED_KINDS: readonly string[] = [...REGISTRY_KINDS, ...PROXY_KINDS];
export const DEFAULT_EVERY = "*/30 * * * *";
export const DEFAULT_SOURCES_FILE = fileURLToPath(new URL("./default-sources.json", import.meta.url));

const httpUrl = z.string().refine((url) => {
  try {
    const { protocol } = new URL(url);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}, "must be http(s)");

const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, "unknown time zone");

/**
 * A share of tokens as an exact decimal in (0, 1], kept as plain decimal text. The sources
 * file is read by JSON.parse, so a JSON number arrives as a float and is taken by its
 * shortest decimal form (0.9 -> "0.9"); a string ("0.875") is taken as written.
 */
const share = z.unknown().transform((v, ctx) => {
  const plain = typeof v === "number" || typeof v === "string" ? plainDecimal(String(v)) : null;
  if (plain !== null && isPositive(plain) && notAbove(plain, "1")) return plain;
  ctx.addIssue({ code: "custom", message: "must be a decimal in (0, 1]" });
  return z.NEVER;
});

/** A model name as the usage gates read one: trimmed, not empty. */
const modelName = z.string().trim().min(1, "empty");

const providerTarget = z.strictObject({ provider: z.string().min(1), country: z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166 alpha-2 code") });

const sourceSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' or '-'"),
    kind: z.enum(SOURCE_KINDS),
    // Absent only on a source that is switched off (`"enabled": false`): kept in the file,
    // validated, and never collected.
    url: httpUrl.optional(),
    enabled: z.boolean().optional(),
    every: z.string().refine((e) => cron.validate(e), "not a valid cron expression").default(DEFAULT_EVERY),
    tz: timeZone.optional(),
    timeout_ms: z.number().int().positive().default(FETCH_DEFAULTS.timeoutMs),
    max_bytes: z.number().int().positive().default(FETCH_DEFAULTS.maxBytes),
    headers: z.record(z.string(), z.string()).optional(),
    providers: z.record(z.string(), providerTarget).optional(),
    // Not in the spec's list: how hard to try a failing server (retries after the first attempt).
    retries: z.number().int().min(0).max(10).default(FETCH_DEFAULTS.retries),
    backoff_ms: z.number().int().min(0).default(FETCH_DEFAULTS.backoffMs),
    // openrouter-rankings: the share of an entry's total taken as input when the week gives
    // no breakdown (normalise/rankings-usage.ts; 0.9 when absent).
    default_input_share: share.optional(),
    // openrouter-rankings: our provider -> the proxy's model name -> the name its price
    // sheets and registries use (normalise/rankings-usage.ts); a name left out is kept.
    models: z.record(z.string(), z.record(z.string().min(1, "empty"), modelName)).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.url === undefined && s.enabled !== false) ctx.addIssue({ code: "custom", path: ["url"], message: 'missing (required unless "enabled": false)' });
    const mapped = MAPPED_KINDS.includes(s.kind);
    if (mapped && !s.providers) ctx.addIssue({ code: "custom", path: ["providers"], message: `required for kind ${s.kind}` });
    if (!mapped && s.providers) ctx.addIssue({ code: "custom", path: ["providers"], message: `only for kinds ${MAPPED_KINDS.join(", ")}` });
    const proxy = (PROXY_KINDS as readonly string[]).includes(s.kind);
    if (!proxy && s.default_input_share !== undefined) {
      ctx.addIssue({ code: "custom", path: ["default_input_share"], message: `only for kind ${PROXY_KINDS.join(", ")}` });
    }
    if (!proxy && s.models !== undefined) ctx.addIssue({ code: "custom", path: ["models"], message: `only for kind ${PROXY_KINDS.join(", ")}` });
    // Keyed by our provider names: a key no entry of `providers` maps to is a typo that would rename nothing.
    const ours = new Set(Object.values(s.providers ?? {}).map((t) => t.provider));
    for (const provider of Object.keys(proxy ? (s.models ?? {}) : {})) {
      if (!ours.has(provider)) {
        ctx.addIssue({ code: "custom", path: ["models", provider], message: `not a provider of this source's providers (${[...ours].sort().join(", ")})` });
      }
    }
  });

const configSchema = z
  .strictObject({
    schema: z.literal(SOURCES_SCHEMA),
    sources: z.array(sourceSchema),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    // Each registry sheet is its provider's complete list, so two registries feeding one
    // provider would delist each other's models on every fetch.
    const fedBy = new Map<string, string>();
    c.sources.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: ["sources", i, "name"], message: `duplicate name ${s.name}` });
      seen.add(s.name);
      // A usage proxy stores usage, not sheets: it may name a provider a registry prices.
      if (!(REGISTRY_KINDS as readonly string[]).includes(s.kind)) return;
      for (const [key, target] of Object.entries(s.providers ?? {})) {
        const other = fedBy.get(target.provider);
        if (other !== undefined && other !== s.name) {
          ctx.addIssue({ code: "custom", path: ["sources", i, "providers", key], message: `provider ${target.provider} is already fed by source ${other}` });
        }
        fedBy.set(target.provider, s.name);
      }
    });
  })
  // Only the sources switched on are collected, scheduled and held to their schedules; the
  // names of the others are kept, so that asking for one can say it is switched off.
  .transform((c) => ({
    schema: c.schema,
    sources: c.sources.flatMap(({ enabled, url, ...s }) => (enabled === false || url === undefined ? [] : [{ ...s, url }])),
    switchedOff: c.sources.flatMap((s) => (s.enabled === false || s.url === undefined ? [s.name] : [])),
  }));

export type SourceConfig = z.infer<typeof configSchema>["sources"][number];
export type SourceKind = SourceConfig["kind"];
export type SourcesConfig = z.infer<typeof configSchema>;

/** Validates a parsed sources document; `label` names it in the error. */
export function parseSourcesConfig(label: string, doc: unknown): SourcesConfig {
  const parsed = configSchema.safeParse(doc);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), "");
  throw new CiyuanError("bad_config", `${label}: ${where || "(top)"}: ${issue.message}`);
}

/** The sources in `path` (CIYUAN_SOURCES), or the bundled default list when unset. */
export function loadSourcesConfig(path: string | undefined): SourcesConfig {
  const file = path && path !== "" ? path : DEFAULT_SOURCES_FILE;
  const label = path && path !== "" ? path : "default-sources.json";
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CiyuanError("bad_config", `${label}: cannot read: ${code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CiyuanError("bad_config", `${label}: not valid JSON: ${(err as Error).message}`);
  }
  return parseSourcesConfig(label, doc);
}
