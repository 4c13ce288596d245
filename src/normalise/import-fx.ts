/** `importFx`: an FX file in (`ciyuan import fx`, the sample), parsed and stored as a collected body is. */
import type { Db } from "../db/index.ts";
import { fxInput } from "../sources/parse.ts";
import { readInputFile, type ImportOutcome } from "./outcome.ts";
import { storeFxInput } from "./store-fx.ts";

export type ImportFxInput = { location: string; text: string; format?: "csv" | "json" | "ecb-xml"; source?: string };

export async function importFx(db: Db, input: ImportFxInput): Promise<ImportOutcome> {
  // Text from a caller that decoded it itself is held to the same rule as a file (text.ts).
  return storeFxInput(db, fxInput(input.location, input.text, input.format), { source: input.source ?? "file" });
}

export async function importFxFile(db: Db, path: string, opts: { source?: string } = {}): Promise<ImportOutcome> {
  return importFx(db, { location: path, text: await readInputFile(path), ...opts });
}
