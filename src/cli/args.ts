import { InvalidArgumentError } from "commander";
import { DateTime } from "luxon";
import { parseOffsetInstant } from "../values/instant.ts";

/** `--at ISO` of a moment: an instant with its offset (or Z); a date alone is 00:00 UTC that day. */
export function parseInstant(value: string): string {
  if (isCalendarDate(value)) return `${value}T00:00:00Z`;
  const r = parseOffsetInstant(value);
  if (!r.ok) throw new InvalidArgumentError(`${r.reason}: ${JSON.stringify(value)}`);
  return r.utc;
}

/**
 * `--at` of a fixing: an instant with its offset (or Z), or a date alone, which stands for
 * that day's final fixing time of the index (resolved against its definition later).
 */
export function parseFixingTime(value: string): string {
  if (isCalendarDate(value)) return value;
  const r = parseOffsetInstant(value);
  if (!r.ok) throw new InvalidArgumentError(`${r.reason}: ${JSON.stringify(value)} (give e.g. 2026-11-30T08:00:00Z, or the date alone)`);
  return r.utc;
}

const isCalendarDate = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value) && DateTime.fromFormat(value, "yyyy-MM-dd", { zone: "utc" }).isValid;

/** `--from DATE`: a calendar date YYYY-MM-DD. */
export function parseDate(value: string): string {
  const dt = DateTime.fromFormat(value, "yyyy-MM-dd", { zone: "utc" });
  if (!dt.isValid) throw new InvalidArgumentError(`not a date (YYYY-MM-DD): ${JSON.stringify(value)}`);
  return value;
}

/** `--index CODE`: the shape of a code; whether it exists is checked against the database. */
export function parseIndexCode(value: string): string {
  if (!/^[A-Z][A-Z0-9-]{0,31}$/.test(value)) throw new InvalidArgumentError(`not an index code: ${JSON.stringify(value)}`);
  return value;
}

export function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`not a port: ${JSON.stringify(value)}`);
  return Number(value);
}

/** `--revision N`: a positive revision number. */
export function parseRevision(value: string): number {
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new InvalidArgumentError(`not a revision number: ${JSON.stringify(value)}`);
  return Number(value);
}

/** `--reason TEXT` of a restatement: not blank. */
export function parseReason(value: string): string {
  if (value.trim() === "") throw new InvalidArgumentError("a restatement needs a reason");
  return value;
}

/**
 * `--provider P`, repeatable: every value, in order. What a provider may be is checked where
 * contributors are added (contributors/names.ts), which the grammar does not load.
 */
export function collectRepeated(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
