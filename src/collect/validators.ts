/**
 * Conditional GET needs the ETag / Last-Modified of the source's last successful
 * collection. No table has a column for them, so they live in `meta` (the one mutable
 * key-value table), one row per source, keyed `collect.validators.<name>`, and only for
 * the URL they were served for: a source pointed elsewhere starts unconditional. Read at a
 * collection's start (previous.ts), written with its run record (record.ts).
 */
import { z } from "zod";

export type Validators = { etag?: string; lastModified?: string };

const stored = z.object({ url: z.string(), etag: z.string().optional(), last_modified: z.string().optional() });

export const validatorsKey = (name: string) => `collect.validators.${name}`;

/** The stored value: a body without validators clears them. */
export function encodeValidators(url: string, v: Validators): string {
  return JSON.stringify({ url, etag: v.etag, last_modified: v.lastModified });
}

/** The validators in a stored value, when they were served for `url`; none otherwise. */
export function decodeValidators(value: string, url: string): Validators {
  let parsed;
  try {
    parsed = stored.safeParse(JSON.parse(value));
  } catch {
    return {};
  }
  if (!parsed.success || parsed.data.url !== url) return {};
  const { etag, last_modified } = parsed.data;
  return { ...(etag !== undefined ? { etag } : {}), ...(last_modified !== undefined ? { lastModified: last_modified } : {}) };
}
