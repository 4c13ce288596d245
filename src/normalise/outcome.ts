/** What every importer reports, and how it reads the files it is given. */
import fs from "node:fs";
import { InputError } from "../errors.ts";
import { decodeText } from "../sources/text.ts";

export type ImportOutcome = {
  location: string; // file path or label
  stored: number; // new rows/sheets written
  unchanged: number; // units already present (idempotent re-import)
  rejected: { location: string; message: string }[]; // one line each
};

/** A file the user named, whole, as text; one clear line when it cannot be read or is not text. */
export async function readInputFile(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(path);
  } catch (err) {
    throw unreadable(path, err);
  }
  return decodeText(path, bytes);
}

/** A file to stream; opened first, so a missing file fails before anything starts. */
export async function openInputStream(path: string): Promise<fs.ReadStream> {
  try {
    const handle = await fs.promises.open(path, "r");
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw Object.assign(new Error("not a file"), { code: "EISDIR" });
    }
    return handle.createReadStream();
  } catch (err) {
    throw unreadable(path, err);
  }
}

/** A file that could not be read at all (missing, a directory...). */
export class UnreadableFile extends InputError {}

function unreadable(path: string, err: unknown): UnreadableFile {
  const code = (err as NodeJS.ErrnoException).code;
  const reason =
    code === "ENOENT" ? "no such file" : code === "EISDIR" ? "not a file" : code === "EACCES" ? "permission denied" : String((err as Error).message);
  return new UnreadableFile(path, undefined, undefined, `cannot read: ${reason}`);
}
