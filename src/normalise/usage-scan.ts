/**
 * The CSV side of `import usage`: one pass over the bytes of a usage file that turns it into
 * rows for `COPY usage_staging (line, <the header's columns>) FROM ... (FORMAT csv)`, each row
 * prefixed with the physical line it starts on.
 *
 * Per byte it only finds delimiters, quotes and line ends, so that records and their
 * physical lines are known exactly (blank lines, CRLF and quoted fields spanning lines all
 * count), and it checks what a byte scan sees for free: the record's width, the syntax of
 * each cell (token counts: digits only; periods: an ISO 8601 date-time with offset, each
 * distinct text checked once), NUL bytes and UTF-8: text.ts's rule (`not a UTF-8 text file`),
 * checked here over whole lines as the bytes stream by, so a character split across chunks
 * is judged whole. A plain record goes to COPY as its own bytes. Anything else — quotes,
 * surrounding spaces, a wrong width, a cell that is not plain — takes the slow path: the
 * record alone is parsed with csv-parse and judged by the same gates as ever (validateUsage),
 * then written in canonical form, or it is the file's first bad record and nothing after it
 * is read. What relates cells of a record (period_end after period_start, cached input no
 * more than input) and records of a file (a key repeated with other numbers) is judged
 * set-based in SQL on the staged rows (store-usage.ts).
 */
import { isUtf8 } from "node:buffer";
import { createHash, type Hash } from "node:crypto";
import { InputError } from "../errors.ts";
import { USAGE_COLUMNS, notText } from "../sources/index.ts";
import { cellsByName, csvFailure, headerProblem, parseCsvText, toRow } from "../sources/csv.ts";
import { parseOffsetInstant } from "../values/instant.ts";
import { KeyHash, KeySet } from "./usage-keys.ts";
import { usageCopyLine, validateUsage } from "./usage.ts";

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
/** Bytes the scan stops at; every other byte is part of a field. */
const SPECIAL = new Uint8Array(256);
for (const c of [COMMA, QUOTE, LF, CR, NUL]) SPECIAL[c] = 1;

/** A record longer than this is refused (an unclosed quote would otherwise swallow the file). */
export const MAX_RECORD_BYTES = 1 << 20;
/** Digits a count may have to be taken as plain: any 18-digit number fits a bigint. */
const PLAIN_DIGITS = 18;

const enum Kind {
  Name,
  Time,
  Count,
  OptionalCount,
}
const KINDS: Record<string, Kind> = {
  provider: Kind.Name,
  model: Kind.Name,
  period_start: Kind.Time,
  period_end: Kind.Time,
  input_tokens: Kind.Count,
  cached_input_tokens: Kind.OptionalCount,
  output_tokens: Kind.Count,
};

// A date-time Postgres reads as the same instant as the gates do (values/instant.ts): hours 00-23,
// an offset of at most 15:59, year 0001 on. Others (24:00, +16:00...) take the slow path,
// which writes the instant in UTC.
const PLAIN_TIME = /^(\d{4})-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,3})?)?(?:Z|[+-](?:0\d|1[0-5])(?::?[0-5]\d)?)$/;

/** Epoch milliseconds of a plain date-time, NaN for any other text. */
function plainTime(text: string): number {
  const m = PLAIN_TIME.exec(text);
  if (m === null || m[1] === "0000") return NaN;
  const parsed = parseOffsetInstant(text);
  return parsed.ok ? Date.parse(parsed.utc) : NaN;
}

const DAY_MS = 86_400_000;
/** The UTC day (days since 1970-01-01) an instant falls on: usage_records' partition. */
export const utcDay = (ms: number): number => Math.floor(ms / DAY_MS);

/**
 * What each COPY row starts with: its line (for the staging table), or, written straight
 * into usage_records, its id (`first`, `first + 1`, ... in file order) and then `constant`
 * (payload, batch and version of the import, comma-separated).
 */
export type RowLead = { kind: "line" } | { kind: "ids"; first: number; constant: string };

/** The output of one chunk: COPY rows, grown as needed. */
class RowBuffer {
  buf: Buffer;
  len = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  /** `n,` then `constant,` when given (call ensure first, with room for the constant) */
  prefix(n: number, constant: Buffer | null): void {
    const buf = this.buf;
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    let at = this.len + digits;
    for (let v = n; at > this.len; v = Math.floor(v / 10)) buf[--at] = 0x30 + (v % 10);
    buf[this.len + digits] = COMMA;
    this.len += digits + 1;
    if (constant) {
      this.len += constant.copy(buf, this.len);
      buf[this.len++] = COMMA;
    }
  }
  text(s: string): void {
    const n = Buffer.byteLength(s);
    this.ensure(n);
    this.len += this.buf.write(s, this.len, "utf8");
  }
  take(): Buffer | null {
    return this.len === 0 ? null : this.buf.subarray(0, this.len);
  }
}

export class UsageCsvScanner {
  readonly hash: Hash = createHash("sha256");
  bytes = 0;
  /** The header's column names in file order, once read. */
  columns: string[] | null = null;
  /** The file's first bad record (or why the file cannot be read); nothing after it is read. */
  error: InputError | null = null;
  /** Rows written out. */
  rows = 0;
  /** Whether a record's key (provider, model, period_start, period_end) may repeat an earlier one's. */
  repeatedKey = false;
  /** Rows per UTC day of period_end (usage_records' partitions); complete once read to its end. */
  readonly days = new Map<number, number>();

  private kinds: Kind[] = [];
  private lastTime: { bytes: Buffer; len: number; ms: number }[] = [];
  private readonly times = new Map<string, number>();
  /** Epoch ms of each time cell of the record being read (by column). */
  private epochs: number[] = [];
  private keyCols = { provider: -1, model: -1, start: -1, end: -1 };
  private readonly keys = new KeySet();
  private readonly keyHash = new KeyHash();
  private freshDays: number[] = [];
  private readonly constant: Buffer | null;
  private carry: Buffer | null = null;
  private line = 1; // physical line of the first byte not yet consumed
  private bomDone = false;

  constructor(
    private readonly location: string,
    private readonly lead: RowLead = { kind: "line" },
  ) {
    this.constant = lead.kind === "ids" ? Buffer.from(lead.constant) : null;
  }

  /** Days of period_end met for the first time since the last call. */
  takeNewDays(): number[] {
    this.flushRun();
    const out = this.freshDays;
    this.freshDays = [];
    return out;
  }

  /** What the next row starts with, as text (for a row written by the slow path). */
  private leadText(line: number): string {
    return this.lead.kind === "ids" ? `${this.lead.first + this.rows},${this.lead.constant}` : String(line);
  }

  /** Counts a written row's key and day; the key is already in keyHash. */
  private counted(endMs: number): void {
    if (this.keys.add(this.keyHash)) this.repeatedKey = true;
    const day = utcDay(endMs);
    // Records come in runs of one day: its count is kept aside until the day changes.
    if (day === this.runDay) this.runRows++;
    else {
      this.flushRun();
      this.runDay = day;
      this.runRows = 1;
    }
    this.rows++;
  }

  private runDay = NaN;
  private runRows = 0;

  private flushRun(): void {
    if (this.runRows === 0) return;
    const n = this.days.get(this.runDay);
    if (n === undefined) {
      this.days.set(this.runDay, this.runRows);
      this.freshDays.push(this.runDay);
    } else this.days.set(this.runDay, n + this.runRows);
    this.runRows = 0;
  }
  /** The next chunk of the file; returns the COPY rows of the records it completed. */
  push(chunk: Buffer): Buffer | null {
    if (this.error) return null;
    this.hash.update(chunk);
    this.bytes += chunk.length;
    const data = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    return this.scan(data, false);
  }

  /** The end of the file: the last record may lack its line end. */
  end(): Buffer | null {
    if (this.error) return null;
    const data = this.carry ?? Buffer.alloc(0);
    this.carry = null;
    const out = this.scan(data, true);
    this.flushRun();
    if (!this.error && !this.columns) this.error = new InputError(this.location, undefined, "header", "missing (the file is empty)");
    return out;
  }

  private fail(line: number | undefined, field: string | undefined, reason: string): void {
    this.error = new InputError(this.location, line, field, reason);
  }

  private scan(input: Buffer, final: boolean): Buffer | null {
    let data = input;
    if (!this.bomDone) {
      if (!final && data.length < 3) {
        this.carry = data;
        return null;
      }
      if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
      this.bomDone = true;
    }
    const end = data.length;
    // UTF-8 is checked over whole lines: no character straddles a line end.
    const checked = final ? end : data.lastIndexOf(LF) + 1;
    const badUtf8 = checked > 0 && !isUtf8(data.subarray(0, checked)) ? firstBadLine(data, checked) : end + 1;
    const out = new RowBuffer(Math.ceil(end * 1.25) + 256);
    const ncols = this.kinds.length;
    const after = (byte: number, from: number) => {
      const at = data.indexOf(byte, from);
      return at === -1 ? end : at;
    };
    // Where the next quote, CR and NUL are: most files have none, and a record before them
    // is found with one memchr for its line end.
    let nextQuote = after(QUOTE, 0);
    let nextCr = after(CR, 0);
    let nextNul = after(NUL, 0);
    let pos = 0;
    let line = this.line;

    while (pos < end) {
      const start = pos;
      if (nextQuote < start) nextQuote = after(QUOTE, start);
      if (nextCr < start) nextCr = after(CR, start);
      if (nextNul < start) nextNul = after(NUL, start);
      const lf = after(LF, start);

      if (lf < end && lf < nextQuote && lf < nextNul && lf < badUtf8) {
        // A record on one line, without quotes.
        pos = lf + 1;
        let fend = lf;
        let slow = false;
        if (nextCr < lf) {
          if (nextCr === lf - 1) fend = lf - 1;
          else slow = true; // a lone CR is data to csv-parse; the slow path quotes it
        }
        if (fend === start && !slow) {
          line++; // an empty line
          continue;
        }
        if (ncols > 0 && !slow && this.plainRecord(data, start, fend, line, out)) {
          line++;
          continue;
        }
        if (!this.slowRecord(data.toString("utf8", start, pos), line, out)) break;
        line++;
        continue;
      }

      // Quotes (a record may span lines), a NUL, bad UTF-8, or the end of the data.
      let i = start;
      let inner = 0; // line ends inside quotes
      let fend = -1; // end of the record's last field
      let next = -1; // start of the next record
      let nul = false;
      scan: for (;;) {
        while (i < end && SPECIAL[data[i]!] === 0) i++;
        if (i >= end) break;
        const c = data[i]!;
        if (c === COMMA) {
          i++;
        } else if (c === LF) {
          fend = i;
          next = i + 1;
          break;
        } else if (c === CR) {
          if (i + 1 >= end) break; // CR LF may be split across chunks
          if (data[i + 1] === LF) {
            fend = i;
            next = i + 2;
            break;
          }
          i++;
        } else if (c === QUOTE) {
          i++;
          for (;;) {
            while (i < end && data[i] !== QUOTE) {
              if (data[i] === LF) inner++;
              else if (data[i] === NUL) {
                nul = true;
                break scan;
              }
              i++;
            }
            if (i + 1 >= end) {
              if (i < end && final) i++; // a closing quote at the very end
              break scan; // unclosed, or `""` split across chunks: incomplete
            }
            if (data[i + 1] === QUOTE) {
              i += 2; // an escaped quote
              continue;
            }
            i++;
            break;
          }
        } else {
          nul = true;
          break;
        }
      }
      if (nul) {
        this.error = notText(this.location);
        break;
      }
      if (next === -1) {
        if (!final) {
          if (end - start > MAX_RECORD_BYTES) {
            // Binary without a line end is no record at all: what it is, is not text.
            if (!isUtf8(data.subarray(start, charBoundary(data, start, end)))) this.error = notText(this.location);
            else this.fail(line, undefined, `not valid CSV: a record longer than ${MAX_RECORD_BYTES} bytes (an unclosed quote?)`);
            break;
          }
          this.carry = Buffer.from(data.subarray(start));
          break;
        }
        // The last record of the file, without a line end (an unclosed quote runs to here).
        next = end;
        fend = end > start && data[end - 1] === CR ? end - 1 : end;
      }
      if (next > badUtf8) {
        this.error = notText(this.location);
        break;
      }
      pos = next;
      if (fend === start) {
        line++; // an empty line
        continue;
      }
      if (!(ncols > 0 && inner === 0 && !hasQuoteOrCr(data, start, fend) && this.plainRecord(data, start, fend, line, out))) {
        if (!this.slowRecord(data.toString("utf8", start, next), line, out)) break;
      }
      line += 1 + inner;
    }
    this.line = line;
    return out.take();
  }

  /**
   * A record on one line without quotes: written as `line,<its bytes>` when every cell is
   * plain, else nothing is written and false is returned.
   */
  private plainRecord(data: Buffer, start: number, fend: number, line: number, out: RowBuffer): boolean {
    const mark = out.len;
    out.ensure(fend - start + 32 + (this.constant?.length ?? 0));
    out.prefix(this.lead.kind === "ids" ? this.lead.first + this.rows : line, this.constant);
    const o = out.buf;
    const ncols = this.kinds.length;
    const { provider, model } = this.keyCols;
    let w = out.len;
    let col = 0;
    let fs = start;
    let ps = 0, pe = 0, ms = 0, me = 0; // provider's and model's bytes
    for (let k = start; k < fend; k++) {
      const c = data[k]!;
      o[w++] = c;
      if (c === COMMA) {
        if (!this.cellOk(data, col, ncols, fs, k)) {
          out.len = mark;
          return false;
        }
        if (col === provider) (ps = fs), (pe = k);
        else if (col === model) (ms = fs), (me = k);
        col++;
        fs = k + 1;
      }
    }
    if (col + 1 !== ncols || !this.cellOk(data, col, ncols, fs, fend)) {
      out.len = mark;
      return false;
    }
    if (col === provider) (ps = fs), (pe = fend);
    else if (col === model) (ms = fs), (me = fend);
    o[w++] = LF;
    out.len = w;
    const h = this.keyHash.reset();
    h.bytes(data, ps, pe);
    h.end();
    h.bytes(data, ms, me);
    h.end();
    h.instant(this.epochs[this.keyCols.start]!);
    const endMs = this.epochs[this.keyCols.end]!;
    h.instant(endMs);
    this.counted(endMs);
    return true;
  }

  /** Whether a cell is plain for its column: written to COPY as it is, judged there. */
  private cellOk(data: Buffer, col: number, ncols: number, s: number, e: number): boolean {
    if (col >= ncols) return false;
    switch (this.kinds[col]) {
      case Kind.Name: {
        if (e === s) return false;
        const first = data[s]!;
        const last = data[e - 1]!;
        if (first <= 0x20 || last <= 0x20) return false;
        // Non-ASCII at an end may be Unicode white space, which the gates trim.
        if (first >= 0x80 || last >= 0x80) {
          const text = data.toString("utf8", s, e);
          return text.trim() === text;
        }
        return true;
      }
      case Kind.OptionalCount:
        if (e === s) return true;
      // falls through
      case Kind.Count: {
        if (e === s || e - s > PLAIN_DIGITS) return false;
        for (let k = s; k < e; k++) {
          const c = data[k]!;
          if (c < 0x30 || c > 0x39) return false;
        }
        return true;
      }
      default: {
        // Periods repeat on many lines: compare with the column's last plain text first.
        const len = e - s;
        const last = this.lastTime[col]!;
        if (len === last.len) {
          const bytes = last.bytes;
          let k = 0;
          while (k < len && data[s + k] === bytes[k]) k++;
          if (k === len) {
            this.epochs[col] = last.ms;
            return true;
          }
        }
        if (len > 40) return false;
        const text = data.toString("latin1", s, e);
        let ms = this.times.get(text);
        if (ms === undefined) {
          if (this.times.size >= 100_000) this.times.clear();
          ms = plainTime(text);
          this.times.set(text, ms);
        }
        if (Number.isNaN(ms)) return false;
        data.copy(last.bytes, 0, s, e);
        last.len = len;
        last.ms = ms;
        this.epochs[col] = ms;
        return true;
      }
    }
  }

  /**
   * A record that is not plain: csv-parse and the gates, as for any record. Writes its
   * canonical row, or nothing for a line of white space; false when it is the bad one.
   */
  private slowRecord(text: string, line: number, out: RowBuffer): boolean {
    let parsed;
    try {
      parsed = parseCsvText(text);
    } catch (err) {
      const failure = csvFailure(err);
      if (!failure) throw err;
      if ((err as { code?: string }).code === "CSV_QUOTE_NOT_CLOSED") {
        this.fail(line, undefined, "not valid CSV: a quote opened on this line is never closed");
        return false;
      }
      const at = (n: number) => line + n - 1;
      this.fail(at(failure.line ?? 1), undefined, failure.reason.replace(/at line (\d+)/g, (_, n: string) => `at line ${at(Number(n))}`));
      return false;
    }
    for (const record of parsed) {
      const row = toRow(record);
      row.line = line + row.line - 1;
      if (!this.columns) {
        const problem = headerProblem(row.cells, USAGE_COLUMNS);
        if (problem) {
          this.fail(row.line, "header", problem);
          return false;
        }
        this.columns = row.cells;
        this.kinds = row.cells.map((c) => KINDS[c]!);
        this.lastTime = row.cells.map(() => ({ bytes: Buffer.alloc(40), len: -1, ms: NaN }));
        this.epochs = row.cells.map(() => NaN);
        const at = (name: string) => row.cells.indexOf(name);
        this.keyCols = { provider: at("provider"), model: at("model"), start: at("period_start"), end: at("period_end") };
        continue;
      }
      const fields = cellsByName(this.columns, row);
      if (typeof fields === "string") {
        this.fail(row.line, "row", fields);
        return false;
      }
      try {
        const record = validateUsage(this.location, { line: row.line, path: "", seq: row.line, fields }, "csv");
        out.text(usageCopyLine(this.location, record, this.columns, "csv", this.leadText(row.line)));
        const h = this.keyHash.reset();
        const provider = Buffer.from(record.provider);
        h.bytes(provider, 0, provider.length);
        h.end();
        const model = Buffer.from(record.model);
        h.bytes(model, 0, model.length);
        h.end();
        h.instant(Date.parse(record.periodStart));
        const endMs = Date.parse(record.periodEnd);
        h.instant(endMs);
        this.counted(endMs);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        this.error = err;
        return false;
      }
    }
    return true;
  }
}

function hasQuoteOrCr(data: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (data[i] === QUOTE || data[i] === CR) return true;
  return false;
}

/** The last offset in data[from, to) not inside a UTF-8 character cut by `to`. */
function charBoundary(data: Buffer, from: number, to: number): number {
  let at = to;
  // Back over at most three continuation bytes (10xxxxxx) to the lead byte, and before it.
  while (at > from && to - at < 3 && (data[at - 1]! & 0xc0) === 0x80) at--;
  return at > from && data[at - 1]! >= 0xc0 ? at - 1 : to;
}

/** The offset of the first line in data[0, limit) that is not valid UTF-8. */
function firstBadLine(data: Buffer, limit: number): number {
  for (let s = 0; s < limit; ) {
    const nl = data.indexOf(LF, s);
    const e = nl === -1 || nl >= limit ? limit : nl + 1;
    if (!isUtf8(data.subarray(s, e))) return s;
    s = e;
  }
  return Number.MAX_SAFE_INTEGER;
}
