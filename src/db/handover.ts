/**
 * The running service lends its embedded database to other `ciyuan` commands (operations
 * spec, "One writer on the embedded database"): it speaks the Postgres wire protocol on
 * 127.0.0.1, so a command on the same data directory opens it through the same pg code path
 * as a Postgres server, and what it writes lands where the service sees it.
 *
 * PGlite is one Postgres session, shared by the service and every lent connection. Two
 * rules keep them from stepping on each other:
 * - A lent connection has the session to itself from its first message until the session is
 *   idle again (ReadyForQuery "idle" after a Query or Sync): a transaction, or an extended
 *   query's Parse..Sync, is never interleaved with the service's own queries or with another
 *   connection. It takes both of PGlite's locks, the one its transactions hold and the one
 *   each query holds, so the service waits between two statements of a lent transaction and
 *   the lent connection waits for the service's transactions to end.
 * - Messages run through `execProtocol`, so PGlite still parses the answers and calls its
 *   NOTIFY listeners (the service's fixing events) before the command sees its commit.
 * - `COPY ... FROM STDIN` is taken in here, not by PGlite: PGlite reads a COPY's rows from the
 *   message it is running, and a COPY whose rows come in later messages would end the
 *   database (and the service) at the end of its input. The rows are gathered and copied in
 *   slices of COPY_BATCH_BYTES through PGlite's own `/dev/blob` (as the embedded path of
 *   normalise/usage-copy.ts does), inside one transaction; any other statement that reads
 *   from STDIN is turned into an error before PGlite sees it.
 * A connection that goes away, or sits idle inside a transaction for IDLE_IN_TRANSACTION_MS,
 * is rolled back and lets go.
 *
 * Only this machine can connect, and only with the password written in the data directory's
 * lock file (readable by its owner alone, see lock.ts).
 */
import net from "node:net";
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { PGlite } from "@electric-sql/pglite";

export type LentDatabase = {
  /** postgres:// URL, password included, for openDatabase({ databaseUrl }). */
  url: string;
  /** Stops lending: lent connections are rolled back and closed. */
  close(): Promise<void>;
};

/** A lent connection that holds the session without a word for this long is closed. */
export const IDLE_IN_TRANSACTION_MS = 60_000;

const PROTOCOL_3 = 196608;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const MAX_STARTUP_BYTES = 10_000;
/** Unprocessed input past which a connection stops reading until it has caught up. */
const INPUT_HIGH_WATER = 256 << 10;

/** Rows of a lent COPY are copied in slices of about this size (as usage-copy.ts does). */
export const COPY_BATCH_BYTES = 4 << 20;

/** A COPY FROM STDIN being taken in: its rows go to PGlite in slices. */
type CopyIn = {
  /** The same COPY, reading from PGlite's `/dev/blob`. */
  sql: string;
  /** Whether a slice may end at a line end (no header, default quoting, not binary). */
  splittable: boolean;
  csv: boolean;
  /** This COPY opened the transaction (the client had none), so it commits or rolls back. */
  began: boolean;
  chunks: Buffer[];
  bytes: number;
  /** Quote characters seen so far (CSV): odd while inside a quoted field. */
  quotes: number;
  rows: number;
  /** The first error, as an ErrorResponse to send at the end. */
  error: Buffer | undefined;
  /** The last ReadyForQuery PGlite sent. */
  ready: Buffer | undefined;
};

export type LendOptions = {
  /** Default IDLE_IN_TRANSACTION_MS. */
  idleInTransactionMs?: number;
  /** Default COPY_BATCH_BYTES. */
  copyBatchBytes?: number;
};

export async function lendDatabase(client: PGlite, options: LendOptions = {}): Promise<LentDatabase> {
  const password = randomBytes(24).toString("hex");
  const connections = new Set<LentConnection>();
  const server = net.createServer((socket) => {
    const connection = new LentConnection(client, socket, password, {
      idleInTransactionMs: options.idleInTransactionMs ?? IDLE_IN_TRANSACTION_MS,
      copyBatchBytes: options.copyBatchBytes ?? COPY_BATCH_BYTES,
    });
    connections.add(connection);
    void connection.closed.then(() => connections.delete(connection));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as net.AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `postgresql://ciyuan:${password}@127.0.0.1:${port}/postgres`,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all([...connections].map((c) => c.end()));
        await stopped;
      })();
      return closing;
    },
  };
}

/** Takes the session for a lent connection: PGlite's transaction lock, then its query lock. */
function holdSession(client: PGlite): Promise<() => void> {
  return new Promise((held) => {
    void client
      ._runExclusiveTransaction(() => client.runExclusive(() => new Promise<void>((release) => held(release))))
      .catch(() => {});
  });
}

/** One client connection: startup and password, then each message in turn. */
class LentConnection {
  readonly closed: Promise<void>;
  private input: Buffer = Buffer.alloc(0);
  private phase: "startup" | "password" | "ready" | "ended" = "startup";
  private startup: Buffer | undefined;
  /** Set while this connection has the session. */
  private release: (() => void) | undefined;
  /** Messages are handled one after another, in the order they came. */
  private work: Promise<void> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;
  private copy: CopyIn | undefined;
  private resolveClosed!: () => void;

  constructor(
    private readonly client: PGlite,
    private readonly socket: net.Socket,
    private readonly password: string,
    private readonly limits: Required<LendOptions>,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.input = this.input.length ? Buffer.concat([this.input, chunk]) : chunk;
      // A client sends faster than PGlite takes in (a COPY): it waits, not our memory.
      if (this.input.length > INPUT_HIGH_WATER) socket.pause();
      this.enqueue(() => this.pump());
    });
    socket.on("error", () => {});
    socket.on("close", () => void this.end());
  }

  /** Rolls back what this connection left open, lets go of the session, closes the socket. */
  end(): Promise<void> {
    if (this.phase !== "ended") {
      this.phase = "ended";
      this.input = Buffer.alloc(0);
      this.enqueue(() => this.cleanUp());
    }
    return this.closed;
  }

  private enqueue(step: () => Promise<void>): void {
    this.work = this.work.then(step).catch(() => {
      this.phase = "ended";
      return this.cleanUp();
    });
  }

  private async cleanUp(): Promise<void> {
    clearTimeout(this.idleTimer);
    try {
      if (this.release) {
        // Whatever state the client left: an extended query before its Sync, an open or
        // failed transaction (a COPY's too: PGlite never waits for COPY data, see above).
        // The second ROLLBACK ends a failed transaction block whose first one was skipped
        // while the backend waited for a Sync.
        for (const m of [query("ROLLBACK"), sync(), query("ROLLBACK")]) {
          await this.client.execProtocol(m, { throwOnError: false });
        }
      }
    } catch {
      // the database is closing: nothing left to undo
    } finally {
      this.release?.();
      this.release = undefined;
      this.socket.destroy();
      this.resolveClosed();
    }
  }

  /** Handles every complete message in the input. */
  private async pump(): Promise<void> {
    while (this.phase !== "ended") {
      const message = this.phase === "startup" ? this.nextStartupMessage() : this.nextMessage();
      if (!message) {
        if (this.socket.isPaused()) this.socket.resume();
        return;
      }
      if (this.phase === "startup") await this.onStartup(message);
      else if (this.phase === "password") await this.onPassword(message);
      else await this.onMessage(message);
    }
  }

  private nextStartupMessage(): Buffer | undefined {
    if (this.input.length < 8) return undefined;
    const length = this.input.readInt32BE(0);
    if (length < 8 || length > MAX_STARTUP_BYTES) throw new Error("bad startup message");
    return this.take(length);
  }

  private nextMessage(): Buffer | undefined {
    if (this.input.length < 5) return undefined;
    const length = this.input.readInt32BE(1);
    if (length < 4) throw new Error("bad message length");
    return this.input.length >= 1 + length ? this.take(1 + length) : undefined;
  }

  private take(n: number): Buffer {
    const message = this.input.subarray(0, n);
    this.input = this.input.subarray(n);
    return message;
  }

  private async onStartup(message: Buffer): Promise<void> {
    const code = message.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      this.socket.write("N"); // no encryption on the loopback: go on in the clear
    } else if (code === PROTOCOL_3) {
      this.startup = Buffer.from(message);
      this.phase = "password";
      this.socket.write(backend("R", int32(3))); // AuthenticationCleartextPassword
    } else {
      // A CancelRequest (there is no backend process to signal) or an unknown protocol.
      throw new Error("unsupported startup request");
    }
  }

  private async onPassword(message: Buffer): Promise<void> {
    const given = message[0] === 0x70 /* p */ ? message.subarray(5, message.length - 1) : Buffer.alloc(0);
    const expected = Buffer.from(this.password);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      this.socket.write(errorResponse("28P01", "password authentication failed"));
      throw new Error("wrong password");
    }
    this.phase = "ready";
    // PGlite answers the startup itself (AuthenticationOk, parameters, ReadyForQuery).
    await this.run(this.startup!, true);
  }

  private async onMessage(message: Buffer): Promise<void> {
    const type = String.fromCharCode(message[0]!);
    if (type === "X") {
      void this.end(); // runs after this step: awaiting it here would wait for itself
      return;
    }
    if (this.copy) {
      await this.onCopyMessage(type, message);
      return;
    }
    if (type === "Q" || type === "P") {
      const text = sqlOf(message);
      if (/copy/i.test(text) && /stdin/i.test(text)) {
        const blobSql = type === "Q" ? copyFromBlob(text) : undefined;
        if (blobSql) {
          await this.startCopy(blobSql);
          return;
        }
        message = withSql(message, raise("feature_not_supported", "COPY FROM STDIN is lent only as a single COPY statement of a simple query"));
      }
    }
    await this.run(message, type === "Q" || type === "S");
  }

  private async startCopy(blobSql: string): Promise<void> {
    clearTimeout(this.idleTimer);
    this.release ??= await holdSession(this.client);
    const began = !this.client.isInTransaction();
    if (began) await this.exec(query("BEGIN"));
    const options = blobSql.slice(blobSql.indexOf("'/dev/blob'"));
    this.copy = {
      sql: blobSql,
      splittable: !/\b(header|quote|escape|binary)\b/i.test(options),
      csv: /\bcsv\b/i.test(options),
      began,
      chunks: [],
      bytes: 0,
      quotes: 0,
      rows: 0,
      error: undefined,
      ready: undefined,
    };
    this.socket.write(backend("G", Buffer.from([0, 0, 0]))); // CopyInResponse: text, columns unsaid
    this.armIdleTimer();
  }

  private async onCopyMessage(type: string, message: Buffer): Promise<void> {
    const copy = this.copy!;
    clearTimeout(this.idleTimer);
    if (type === "d") {
      const data = message.subarray(5);
      if (!copy.error) {
        copy.chunks.push(data);
        copy.bytes += data.length;
        if (copy.csv) for (const byte of data) if (byte === 0x22) copy.quotes++;
        if (copy.bytes >= this.limits.copyBatchBytes && copy.splittable && endsARow(data, copy.csv, copy.quotes)) {
          await this.copySlice();
        }
      }
    } else if (type === "c") {
      if (!copy.error && (copy.chunks.length > 0 || copy.ready === undefined)) await this.copySlice();
      await this.endCopy();
      return;
    } else if (type === "f") {
      copy.chunks = [];
      if (!copy.error) {
        // The client gave up: its transaction fails as a failed COPY's would.
        const answer = await this.exec(query(raise("query_canceled", `COPY from stdin failed: ${cString(message.subarray(5))}`)));
        copy.error = firstMessage(answer, 0x45 /* E */);
        copy.ready = firstMessage(answer, 0x5a /* Z */) ?? copy.ready;
      }
      await this.endCopy();
      return;
    } else if (type !== "S" && type !== "H") {
      // Postgres ignores Sync and Flush during COPY; anything else breaks the protocol.
      throw new Error(`unexpected message ${type} during COPY`);
    }
    this.armIdleTimer();
  }

  /** Copies the rows gathered so far through PGlite's `/dev/blob`. */
  private async copySlice(): Promise<void> {
    const copy = this.copy!;
    const blob = new Blob(copy.chunks as Uint8Array<ArrayBuffer>[]);
    copy.chunks = [];
    copy.bytes = 0;
    await this.client._handleBlob(blob);
    let answer: Buffer;
    try {
      answer = await this.exec(query(copy.sql));
    } finally {
      await this.client._cleanupBlob();
    }
    copy.error = firstMessage(answer, 0x45 /* E */);
    copy.ready = firstMessage(answer, 0x5a /* Z */) ?? copy.ready;
    const tag = firstMessage(answer, 0x43 /* C */);
    const counted = tag && /^COPY (\d+)/.exec(cString(tag.subarray(5)));
    if (counted) copy.rows += Number(counted[1]);
  }

  /** Ends the COPY as Postgres would: CommandComplete or the error, then ReadyForQuery. */
  private async endCopy(): Promise<void> {
    const copy = this.copy!;
    this.copy = undefined;
    let outcome = copy.error ?? backend("C", Buffer.from(`COPY ${copy.rows}\0`));
    let ready = copy.ready;
    if (copy.began) {
      const answer = await this.exec(query(copy.error ? "ROLLBACK" : "COMMIT"));
      outcome = firstMessage(answer, 0x45 /* E */) ?? outcome;
      ready = firstMessage(answer, 0x5a /* Z */) ?? ready;
    }
    const status = ready ? String.fromCharCode(ready[5]!) : this.client.isInTransaction() ? "T" : "I";
    this.socket.write(Buffer.concat([outcome, ready ?? backend("Z", Buffer.from(status))]));
    if (status === "I") {
      this.release?.();
      this.release = undefined;
    } else {
      this.armIdleTimer();
    }
  }

  private async exec(message: Uint8Array): Promise<Buffer> {
    const { data } = await this.client.execProtocol(message, { throwOnError: false });
    return Buffer.from(data);
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.end(), this.limits.idleInTransactionMs);
    this.idleTimer.unref();
  }

  /** Runs one message with the session held; lets go once the session is idle after it. */
  private async run(message: Buffer, mayEnd: boolean): Promise<void> {
    clearTimeout(this.idleTimer);
    this.release ??= await holdSession(this.client);
    if (this.phase === "ended") return;
    const answer = await this.exec(new Uint8Array(message));
    this.socket.write(answer);
    if (mayEnd && lastReadyStatus(answer) === "I") {
      this.release();
      this.release = undefined;
    } else {
      this.armIdleTimer();
    }
  }
}

/**
 * `COPY target FROM STDIN options` as one statement, reading from `/dev/blob` instead;
 * undefined for anything else (several statements, a COPY inside some other statement).
 */
export function copyFromBlob(text: string): string | undefined {
  const m = /^\s*COPY\s+([^;]+?)\s+FROM\s+STDIN\b([^;]*?)\s*;?\s*$/i.exec(text);
  if (!m || /stdin/i.test(m[1]!) || /stdin/i.test(m[2]!)) return undefined;
  return `COPY ${m[1]} FROM '/dev/blob'${m[2]}`;
}

/**
 * Whether COPY data that ends with these bytes ends a row: a line end outside any quoted
 * field (CSV: an even count of quotes so far), or in text format one not escaped by a
 * backslash (an even run of backslashes before it).
 */
function endsARow(data: Buffer, csv: boolean, quotesSoFar: number): boolean {
  if (data[data.length - 1] !== 0x0a) return false;
  if (csv) return quotesSoFar % 2 === 0;
  let backslashes = 0;
  for (let at = data.length - 2; at >= 0 && data[at] === 0x5c; at--) backslashes++;
  return backslashes % 2 === 0;
}

/** The SQL of a Query or Parse message. */
function sqlOf(message: Buffer): string {
  if (message[0] === 0x51 /* Q */) return cString(message.subarray(5));
  const nameEnd = message.indexOf(0, 5);
  return cString(message.subarray(nameEnd + 1));
}

/** The same Query or Parse message with other SQL. */
function withSql(message: Buffer, sql: string): Buffer {
  if (message[0] === 0x51 /* Q */) return backend("Q", Buffer.from(`${sql}\0`));
  const nameEnd = message.indexOf(0, 5);
  const sqlEnd = message.indexOf(0, nameEnd + 1);
  return backend("P", Buffer.concat([message.subarray(5, nameEnd + 1), Buffer.from(`${sql}\0`), message.subarray(sqlEnd + 1)]));
}

/** A statement that fails with this error when it runs. */
function raise(condition: string, text: string): string {
  return `DO $ciyuan$ BEGIN RAISE EXCEPTION USING ERRCODE = '${condition}', MESSAGE = '${text.replace(/'/g, "''")}'; END $ciyuan$`;
}

/** Text up to its NUL. */
function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? bytes.length : end).toString("utf8");
}

/** The first backend message of a type in a run of them. */
function firstMessage(answer: Buffer, type: number): Buffer | undefined {
  for (let at = 0; at + 5 <= answer.length; at += 1 + answer.readInt32BE(at + 1)) {
    if (answer[at] === type) return answer.subarray(at, at + 1 + answer.readInt32BE(at + 1));
  }
  return undefined;
}

/** The transaction status of the last ReadyForQuery in a run of backend messages. */
function lastReadyStatus(answer: Buffer): string | undefined {
  let status: string | undefined;
  for (let at = 0; at + 5 <= answer.length; at += 1 + answer.readInt32BE(at + 1)) {
    if (answer[at] === 0x5a /* Z */ && at + 6 <= answer.length) status = String.fromCharCode(answer[at + 5]!);
  }
  return status;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/** A typed message: type byte, length, body. */
function backend(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(type, "latin1"), int32(4 + body.length), body]);
}

function query(sql: string): Uint8Array {
  return new Uint8Array(backend("Q", Buffer.from(`${sql}\0`)));
}

function sync(): Uint8Array {
  return new Uint8Array(backend("S", Buffer.alloc(0)));
}

function errorResponse(code: string, message: string): Buffer {
  return backend("E", Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`));
}
