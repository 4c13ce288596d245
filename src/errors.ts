/**
 * Every failure the product reports on purpose is a CiyuanError with a stable code.
 * The CLI prints `message` on one line; publish/errors.ts maps codes to HTTP statuses.
 */
export const ErrorCodes = [
  "bad_config",
  "bad_request",
  "bad_input",
  "not_found",
  "unauthorized",
  "unknown_index",
  "conflict",
  "immutable",
  // A fixing time the calendar does not have (rulebook [1.1] "Calendar"), or one not yet passed.
  "off_calendar",
  "future_fixing",
  // Contributions (operations-and-users.md section 5): a record outside the token's scope,
  // a body over the size limit, too many submissions in a minute.
  "forbidden",
  "payload_too_large",
  "rate_limited",
  // Price versus mix (operations-and-users.md section 8): no final ok fixing in the range.
  "no_ok_fixing",
  "internal",
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

export class CiyuanError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "CiyuanError";
  }
}

const ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
/**
 * A message about input on one line, whatever the input held: a parser's message may quote
 * the line break or control character it stopped at. Those are written as escapes.
 */
export const oneLine = (text: string): string =>
  text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** A rejected input unit: names the file and, where it has one, the line and field. */
export class InputError extends CiyuanError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly field: string | undefined,
    readonly reason: string,
  ) {
    super("bad_input", [file + (line !== undefined ? `:${line}` : ""), field && oneLine(field), oneLine(reason)].filter(Boolean).join(": "));
    this.name = "InputError";
  }
}
