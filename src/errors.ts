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

/** A rejected input unit: names the file and, where it has one, the line and field. */
export class InputError extends CiyuanError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly field: string | undefined,
    readonly reason: string,
  ) {
    super("bad_input", [file + (line !== undefined ? `:${line}` : ""), field, reason].filter(Boolean).join(": "));
    this.name = "InputError";
  }
}
