/**
 * `importPrices`: a file of price sheets in, each sheet accepted (stored, or unchanged)
 * or rejected whole into quarantine. One bad sheet never stops the good ones.
 */
import { originOf } from "./batches.ts";
import { decodeText, parsePriceSheets } from "../sources/index.ts";
import type { Db } from "../db/index.ts";
import { readInputFile, type ImportOutcome } from "./outcome.ts";
import { lockInputs, recordPayload, sha256Hex } from "./payload.ts";
import { quarantineSheet } from "./quarantine.ts";
import { rejectionMessage, validateSheet, type SheetVerdict } from "./sheet.ts";
import { durableBarrier, storeSheet } from "./store-sheet.ts";

export type ImportPricesInput = { location: string; text: string; source?: string; knownCountries?: Record<string, string> };

export async function importPrices(db: Db, input: ImportPricesInput): Promise<ImportOutcome> {
  // Text from a caller that decoded it itself is held to the same rule as a file (text.ts).
  decodeText(input.location, input.text);
  // Recorded whatever becomes of its sheets: quarantined ones point to it too.
  const payloadId = await db.transaction(async (tx) => {
    await lockInputs(tx, "prices");
    return recordPayload(tx, {
      kind: "prices",
      source: input.source ?? "file",
      location: input.location,
      sha256: sha256Hex(input.text),
      bytes: Buffer.byteLength(input.text, "utf8"),
      content: input.text,
    });
  });
  const outcome: ImportOutcome = { location: input.location, stored: 0, unchanged: 0, rejected: [] };
  const reject = async (v: Extract<SheetVerdict, { ok: false }>) => {
    await quarantineSheet(db, v.origin, [v.field, v.reason].filter(Boolean).join(": "), payloadId);
    outcome.rejected.push({ location: v.origin.location, message: rejectionMessage(v) });
  };

  const verdicts = parsePriceSheets(input.location, input.text).map(validateSheet);
  for (const v of verdicts) if (!v.ok) await reject(v);
  // Oldest first, so a sheet without a country can take it from an earlier one in the same file.
  const accepted = verdicts.filter((v) => v.ok).sort((a, b) => Date.parse(a.sheet.asOf) - Date.parse(b.sheet.asOf));
  for (const v of accepted) {
    const result = await storeSheet(db, v.sheet, v.origin, { payloadId, batchOrigin: originOf(input.source ?? "file"), knownCountries: input.knownCountries, deferFlush: true });
    if (result.status === "stored") outcome.stored++;
    else if (result.status === "unchanged") outcome.unchanged++;
    else await reject({ ok: false, origin: v.origin, field: result.field, reason: result.reason });
  }
  // The file's sheets are durable before its outcome is reported.
  if (outcome.stored > 0) await durableBarrier(db);
  return outcome;
}

export async function importPriceFile(
  db: Db,
  path: string,
  opts: { source?: string; knownCountries?: Record<string, string> } = {},
): Promise<ImportOutcome> {
  return importPrices(db, { location: path, text: await readInputFile(path), ...opts });
}
