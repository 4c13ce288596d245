/**
 * The user's bill for the hedge desk (operations-and-users.md section 9): CSV with a header
 * on line 1 naming `month` and `cost_cny`, and `tokens` when given, then one row per
 * month, oldest first. Each row is checked by zod at the edge and a refusal names its
 * physical line (the header being line 1), as the usage and price imports do.
 *
 * Decided here (the spec is silent):
 * - Months are consecutive calendar months in ascending order: a gap, a repeat or a month
 *   out of order is refused naming its line, since a change over a gap is not a monthly
 *   change and a silent reorder would hide a typo.
 * - `tokens` is a whole number of tokens (a count, like every token count the index
 *   reads), given on every row or on none: with tokens S_t is a unit cost, without it a
 *   monthly total, and the two cannot be mixed in one series.
 * - Bounds no real bill comes near, so a malformed file is refused rather than computed:
 *   cost_cny > 0, at most 10^12 CNY and 10 decimal places; tokens 1 .. 10^18 - 1; at most
 *   MAX_MONTHS rows.
 */
import { z } from "zod";
import { CiyuanError, oneLine } from "../errors.ts";
import { isInteger, notAbove, PLAIN_DECIMAL, plainDecimal } from "../values/decimal.ts";
import { cellsByName, csvFailure, headerProblem, parseCsvText, toRow } from "../sources/csv.ts";

/** 20 years of monthly bills: far more than the index has history for. */
export const MAX_MONTHS = 240;
const MAX_COST = "1000000000000";
const MAX_COST_PLACES = 10;
const MAX_TOKENS = "999999999999999999";

export type BillRow = {
  /** Physical line of the CSV (header = line 1). */
  line: number;
  month: string;
  /** Plain decimal text, > 0. */
  costCny: string;
  /** Whole number of tokens as text; null when the bill gives none. */
  tokens: string | null;
};

export type Bill = { rows: BillRow[]; withTokens: boolean };

/** A refused bill: code bad_input (HTTP 400, CLI exit 1), its message naming the line. */
export class BillError extends CiyuanError {
  constructor(
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super("bad_input", oneLine(line === undefined ? reason : `line ${line}: ${reason}`));
    this.name = "BillError";
  }
}

const MONTH = /^(?!0000)\d{4}-(0[1-9]|1[0-2])$/;
const quoted = (input: unknown) => JSON.stringify(typeof input === "string" && input.length > 40 ? `${input.slice(0, 40)}…` : input);

const month = z.string().regex(MONTH, { error: (iss) => `month ${quoted(iss.input)} is not YYYY-MM` });

const costCny = z.string().transform((cell, ctx) => {
  const plain = PLAIN_DECIMAL.test(cell) ? plainDecimal(cell) : null;
  const problem =
    plain === null || plain === "0"
      ? "is not a decimal number above 0 (digits and an optional decimal point, no sign, exponent or thousands separator)"
      : !notAbove(plain, MAX_COST)
        ? "is above 10^12 CNY: not a monthly bill"
        : (plain.split(".")[1] ?? "").length > MAX_COST_PLACES
          ? `has more than ${MAX_COST_PLACES} decimal places`
          : null;
  if (problem === null) return plain!;
  ctx.addIssue({ code: "custom", message: `cost_cny ${quoted(cell)} ${problem}` });
  return z.NEVER;
});

const tokens = z.string().transform((cell, ctx) => {
  if (cell === "") return null;
  const plain = PLAIN_DECIMAL.test(cell) ? plainDecimal(cell) : null;
  const problem =
    plain === null || plain === "0" || !isInteger(plain)
      ? "is not a whole number of tokens above 0"
      : !notAbove(plain, MAX_TOKENS)
        ? "is 10^18 or more: not a monthly token count"
        : null;
  if (problem === null) return plain!;
  ctx.addIssue({ code: "custom", message: `tokens ${quoted(cell)} ${problem}` });
  return z.NEVER;
});

const billRow = z.object({ month, cost_cny: costCny, tokens: tokens.optional().transform((t) => t ?? null) });

const COLUMNS = ["month", "cost_cny"] as const;
const COLUMNS_WITH_TOKENS = ["month", "cost_cny", "tokens"] as const;

/** The bill in `body` (UTF-8 CSV), or a BillError naming the first bad line. */
export function parseBill(body: Uint8Array | string): Bill {
  const text = typeof body === "string" ? body : decodeUtf8(body);
  let records;
  try {
    records = parseCsvText(text);
  } catch (err) {
    const failure = csvFailure(err);
    if (failure) throw new BillError(failure.line, failure.reason);
    throw err;
  }
  const [head, ...data] = records.map(toRow);
  if (!head) throw new BillError(1, "missing header: expected month,cost_cny,tokens (tokens optional) and one row per month");
  const header = head.cells.map((c) => c.toLowerCase());
  const columns = header.includes("tokens") ? COLUMNS_WITH_TOKENS : COLUMNS;
  const problem = headerProblem(header, columns);
  if (problem) throw new BillError(head.line, `header: ${problem} (expected month,cost_cny,tokens; tokens optional)`);
  if (data.length === 0) throw new BillError(undefined, "the bill has a header but no months");
  if (data.length > MAX_MONTHS) throw new BillError(data[MAX_MONTHS]!.line, `more than ${MAX_MONTHS} months in one bill`);

  const rows: BillRow[] = [];
  for (const row of data) {
    const cells = cellsByName(header, row);
    if (typeof cells === "string") throw new BillError(row.line, cells);
    const parsed = billRow.safeParse(cells);
    if (!parsed.success) throw new BillError(row.line, parsed.error.issues[0]!.message);
    const r = { line: row.line, month: parsed.data.month, costCny: parsed.data.cost_cny, tokens: parsed.data.tokens };
    const previous = rows.at(-1);
    if (previous) checkFollows(previous, r);
    rows.push(r);
  }
  const given = rows.filter((r) => r.tokens !== null);
  if (given.length > 0 && given.length < rows.length) {
    const first = given[0]!;
    const empty = rows.find((r) => r.tokens === null)!;
    throw new BillError(empty.line, `tokens is empty, but line ${first.line} gives tokens: give tokens on every row or on none`);
  }
  return { rows, withTokens: given.length > 0 };
}

/** The month after YYYY-MM. */
export function nextMonth(m: string): string {
  const [y, mo] = m.split("-").map(Number) as [number, number];
  return mo === 12 ? `${String(y + 1).padStart(4, "0")}-01` : `${String(y).padStart(4, "0")}-${String(mo + 1).padStart(2, "0")}`;
}

function checkFollows(previous: BillRow, row: BillRow): void {
  if (row.month <= previous.month) {
    throw new BillError(row.line, `month ${row.month} is not after ${previous.month} (line ${previous.line}): one row per month, oldest first`);
  }
  const expected = nextMonth(previous.month);
  if (row.month !== expected) {
    throw new BillError(
      row.line,
      `month ${row.month} does not follow ${previous.month} (line ${previous.line}): months must be consecutive (${expected} is missing)`,
    );
  }
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new BillError(undefined, "the bill is not UTF-8 text");
  }
}
