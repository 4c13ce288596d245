/**
 * One process at a time on an embedded database (operations spec, "One writer on the
 * embedded database"). PGlite is Postgres running inside the process that opened it, with
 * no server to arbitrate: two processes on one data directory each keep their own picture
 * of it, and what one of them writes is lost or corrupts the other. So whoever opens a data
 * directory first takes `<dir>/ciyuan.lock`; a second process finds it and either works
 * through the first (when it lends its database, see handover.ts) or is refused.
 *
 * The file is made whole before anyone can see it (written aside, then hard-linked into
 * place, which fails if a lock is already there), so a reader never finds it half-written.
 * It holds the hand-over URL with its password, so it is readable by its owner only.
 */
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { CiyuanError } from "../errors.ts";

export const LOCK_FILE = "ciyuan.lock";

/** What the lock file says about the process holding the data directory. */
export type LockHolder = {
  pid: number;
  started_at: string;
  /** Tells this holder's lock from a later one of the same pid. */
  id: string;
  /** Where the holder lends its database to other commands (a postgres:// URL), if it does. */
  handover?: string;
};

/** The data directory is held by another live process. */
export class DatabaseInUse extends CiyuanError {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    super("conflict", `the database in ${dir} is in use by ciyuan (pid ${holder.pid}); stop it, or set DATABASE_URL to a Postgres server`);
    this.name = "DatabaseInUse";
  }
}

export type DataDirLock = {
  readonly file: string;
  /** Records (or, with undefined, withdraws) where this process lends its database. */
  advertise(handover: string | undefined): void;
  /** Removes the lock, if it is still this process's. Idempotent. */
  release(): void;
};

export type LockOptions = {
  /** Where the warning about a stale lock goes (one line). Default: stderr. */
  warn?: (line: string) => void;
};

/**
 * Takes the lock of `dir` for this process, taking over a stale one (its process gone) with
 * a warning; throws DatabaseInUse when a live process holds it.
 */
export function lockDataDir(dir: string, options: LockOptions = {}): DataDirLock {
  const warn = options.warn ?? ((line: string) => process.stderr.write(line));
  const file = path.join(dir, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, started_at: new Date().toISOString(), id: randomBytes(8).toString("hex") };
  // Each round either takes the lock, meets a live holder, or clears one stale lock; a few
  // rounds only when other processes race for the same directory.
  for (let round = 0; round < 8; round++) {
    if (createExclusive(file, JSON.stringify(mine))) return heldLock(file, mine);
    const seen = readLock(file);
    if (seen === undefined) continue; // released meanwhile: try again
    if (seen.holder && isAlive(seen.holder.pid)) throw new DatabaseInUse(dir, seen.holder);
    if (removeIfUnchanged(file, seen.raw)) {
      warn(
        seen.holder
          ? `ciyuan: warning: taking over the stale lock of pid ${seen.holder.pid} on ${dir}\n`
          : `ciyuan: warning: taking over an unreadable lock on ${dir}\n`,
      );
    }
  }
  const last = readLock(file);
  throw new DatabaseInUse(dir, last?.holder ?? { pid: 0, started_at: "", id: "" });
}

function heldLock(file: string, mine: LockHolder): DataDirLock {
  let held = true;
  // A command that ends through process.exit() or an uncaught error still lets go.
  const onExit = () => release();
  process.on("exit", onExit);
  function release(): void {
    if (!held) return;
    held = false;
    process.off("exit", onExit);
    if (readLock(file)?.holder?.id === mine.id) fs.rmSync(file, { force: true });
  }
  return {
    file,
    advertise(handover) {
      if (!held || readLock(file)?.holder?.id !== mine.id) return;
      const next: LockHolder = { ...mine, ...(handover ? { handover } : {}) };
      // Replaced whole: a reader sees the old content or the new, never part of either.
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
      fs.writeFileSync(tmp, JSON.stringify(next), { mode: 0o600 });
      fs.renameSync(tmp, file);
    },
    release,
  };
}

/** Creates `file` with `content` unless it exists; false when it does. */
function createExclusive(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    // A file system without hard links: exclusive create, then write (a reader that comes
    // in between sees an empty file and, its pid unknown, waits a round).
    return createWithoutLink(file, content);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function createWithoutLink(file: string, content: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, "wx", 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    fs.writeSync(fd, content);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** The lock file's text and, when it parses, its holder; undefined when there is none. */
function readLock(file: string): { raw: string; holder: LockHolder | undefined } | undefined {
  let raw: string;
  try {
    raw = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const parsed = JSON.parse(raw) as Partial<LockHolder>;
    if (Number.isInteger(parsed.pid) && (parsed.pid as number) > 0 && typeof parsed.id === "string") {
      return { raw, holder: parsed as LockHolder };
    }
  } catch {
    // not JSON: an interrupted write of the fallback path, or damage
  }
  return { raw, holder: undefined };
}

/** True while a process of that id exists (one of another user's counts too). */
export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes a stale lock, but only the one that was read: it is first moved aside (only one
 * of several racing processes can move it), and put back if what was moved is another
 * process's fresh lock. True when this process removed it.
 */
function removeIfUnchanged(file: string, raw: string): boolean {
  if (raw === "") {
    // Possibly being written by the fallback path right now: give it a moment.
    const age = Date.now() - (statOrUndefined(file)?.mtimeMs ?? 0);
    if (age < 2_000) {
      sleepMs(50);
      return false;
    }
  }
  const aside = `${file}.stale.${process.pid}.${randomBytes(4).toString("hex")}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
  try {
    if (fs.readFileSync(aside, "utf8") === raw) return true;
    try {
      fs.linkSync(aside, file);
    } catch {
      // a third process took the lock meanwhile: it holds it now
    }
    return false;
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
