/**
 * The data directory's lock (src/db/lock.ts; operations spec, "One writer on the embedded
 * database"), in one process: what the CLI tests (test/cli/one-writer.test.ts) cannot
 * arrange cheaply.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseInUse, LOCK_FILE, lockDataDir } from "../../src/db/lock.ts";

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ciyuan-lock-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("one process at a time holds a data directory", () => {
  it("a second taker, even in the same process, is refused with the holder's pid; after release it may take it", () => {
    const dir = tempDir();
    const first = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DatabaseInUse);
    expect(() => lockDataDir(dir)).toThrow(
      `the database in ${dir} is in use by ciyuan (pid ${process.pid}); stop it, or set DATABASE_URL to a Postgres server`,
    );
    first.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    lockDataDir(dir).release();
  });

  it("advertises where it lends its database, and withdraws it", () => {
    const dir = tempDir();
    const lock = lockDataDir(dir);
    const read = () => JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), "utf8")) as { pid: number; handover?: string };
    lock.advertise("postgresql://ciyuan:secret@127.0.0.1:1/postgres");
    expect(read()).toMatchObject({ pid: process.pid, handover: "postgresql://ciyuan:secret@127.0.0.1:1/postgres" });
    try {
      lockDataDir(dir);
      expect.unreachable();
    } catch (err) {
      expect((err as DatabaseInUse).holder.handover).toBe("postgresql://ciyuan:secret@127.0.0.1:1/postgres");
    }
    lock.advertise(undefined);
    expect(read().handover).toBeUndefined();
    lock.release();
  });

  it("an unreadable lock file, not being written, is taken over with a warning", () => {
    const dir = tempDir();
    const file = path.join(dir, LOCK_FILE);
    fs.writeFileSync(file, "not json");
    const warnings: string[] = [];
    const lock = lockDataDir(dir, { warn: (line) => warnings.push(line) });
    expect(warnings).toEqual([`ciyuan: warning: taking over an unreadable lock on ${dir}\n`]);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).pid).toBe(process.pid);
    lock.release();
  });

  it("release leaves alone a lock that is no longer this process's", () => {
    const dir = tempDir();
    const file = path.join(dir, LOCK_FILE);
    const lock = lockDataDir(dir);
    const other = JSON.stringify({ pid: process.pid, started_at: "2026-01-01T00:00:00Z", id: "someone-else" });
    fs.writeFileSync(file, other);
    lock.release();
    expect(fs.readFileSync(file, "utf8")).toBe(other);
  });
});
