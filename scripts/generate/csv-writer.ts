/** Writes lines to a file in ~1 MB chunks, honouring back-pressure, hashing as it goes. */
import { createHash } from "node:crypto";
import fs from "node:fs";
import { once } from "node:events";

export type WrittenFile = { path: string; rows: number; bytes: number; sha256: string };

const CHUNK = 1 << 20;

export class CsvWriter {
  private readonly out: fs.WriteStream;
  private readonly hash = createHash("sha256");
  private buf = "";
  private lines = 0;
  private bytes = 0;

  constructor(readonly path: string) {
    this.out = fs.createWriteStream(path);
  }

  /** Appends one line (a newline is added). Returns a promise only when a chunk was
   * handed to the file: await it then (back-pressure); most calls return undefined. */
  line(text: string): Promise<void> | undefined {
    this.buf += text + "\n";
    this.lines++;
    return this.buf.length >= CHUNK ? this.flush() : undefined;
  }

  private async flush(): Promise<void> {
    if (!this.buf) return;
    const chunk = Buffer.from(this.buf, "utf8");
    this.buf = "";
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!this.out.write(chunk)) await once(this.out, "drain");
  }

  async close(): Promise<WrittenFile> {
    await this.flush();
    this.out.end();
    await once(this.out, "finish");
    return { path: this.path, rows: this.lines, bytes: this.bytes, sha256: this.hash.digest("hex") };
  }
}

/** ISO 8601 UTC with `Z` and no milliseconds: 2026-11-30T08:00:00Z. */
export function isoZ(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}
