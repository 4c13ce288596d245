/** `importFx`: an FX file is accepted or rejected whole, in one transaction. */
import type { Db } from "../db/index.ts";
import { decodeText, detectFormat, fxCsvUnits, fxJsonUnits, parseEcb } from "../sources/index.ts";
import { readInputFile, type ImportOutcome } from "./outcome.ts";
import { ecbCrossRates, conflictingFx, validateFx, type FxRate } from "./fx.ts";
import { lockInputs, recordPayload, sha256Hex } from "./payload.ts";
import { storeFx } from "./store-fx.ts";

export type ImportFxInput = { location: string; text: string; format?: "csv" | "json" | "ecb-xml"; source?: string };

export async function importFx(db: Db, input: ImportFxInput): Promise<ImportOutcome> {
  // Text from a caller that decoded it itself is held to the same rule as a file (text.ts).
  decodeText(input.location, input.text);
  const { location, text } = input;
  const format = input.format ?? detectFormat(location, text);
  const rates: FxRate[] =
    format === "ecb-xml"
      ? ecbCrossRates(location, parseEcb(location, text))
      : validateFx(location, format === "json" ? fxJsonUnits(location, text) : fxCsvUnits(location, text), format);
  const conflict = conflictingFx(location, rates);
  if (conflict) throw conflict;

  const source = input.source ?? "file";
  return db.transaction(async (tx) => {
    await lockInputs(tx, "fx");
    const payloadId = await recordPayload(tx, {
      kind: "fx",
      source,
      location,
      sha256: sha256Hex(text),
      bytes: Buffer.byteLength(text, "utf8"),
      content: text,
    });
    const { keys, stored } = await storeFx(tx, rates, { source, payloadId });
    return { location, stored, unchanged: keys - stored, rejected: [] };
  });
}

export async function importFxFile(db: Db, path: string, opts: { source?: string } = {}): Promise<ImportOutcome> {
  return importFx(db, { location: path, text: await readInputFile(path), ...opts });
}
