/**
 * Price sheets into the store: each sheet through the sheet gates, then accepted (stored,
 * or unchanged) or rejected whole into quarantine. One bad sheet never stops the good ones,
 * except for a contribution (`whole`), which is accepted or refused whole: every sheet
 * passes the gates before anything is stored, and any refusal is a `bad_input` error
 * naming the body's first bad sheet (the caller's transaction keeps nothing of it).
 */
import type { Db } from "../db/index.ts";
import { CiyuanError } from "../errors.ts";
import type { PriceSheetsInput } from "../sources/parse.ts";
import { originOf } from "./batches.ts";
import type { ImportOutcome } from "./outcome.ts";
import { lockInputs, recordPayload, sha256Hex } from "./payload.ts";
import { quarantineSheet } from "./quarantine.ts";
import { rejectionMessage, validateSheet, type SheetVerdict } from "./sheet.ts";
import { durableBarrier, storeSheet } from "./store-sheet.ts";
import type { AcceptedSheet, InputOrigin } from "./store-input.ts";

export type StorePricesOptions = {
  /** Accepted or refused whole (a contribution); otherwise sheet by sheet (a file, a collector). */
  whole?: boolean | undefined;
  /** Countries of providers no stored sheet names yet (provider -> ISO 3166 alpha-2). */
  knownCountries?: Record<string, string> | undefined;
};

/** `accepted`: the sheets that passed the gates, in the input's order. */
export type PricesOutcome = ImportOutcome & { accepted: AcceptedSheet[] };

export async function storePriceSheets(db: Db, input: PriceSheetsInput, origin: InputOrigin, opts: StorePricesOptions = {}): Promise<PricesOutcome> {
  const { location, text } = input;
  const verdicts = input.units.map(validateSheet);
  if (opts.whole) {
    const bad = firstBadSheet(verdicts);
    if (bad) throw new CiyuanError("bad_input", rejectionMessage(bad));
  }
  // Recorded whatever becomes of its sheets: quarantined ones point to it too.
  const payloadId = await db.transaction(async (tx) => {
    await lockInputs(tx, "prices");
    return recordPayload(tx, {
      kind: "prices",
      source: origin.source,
      location,
      sha256: sha256Hex(text),
      bytes: Buffer.byteLength(text, "utf8"),
      content: text,
      httpStatus: origin.httpStatus,
    });
  });
  const outcome: ImportOutcome = { location, stored: 0, unchanged: 0, rejected: [] };
  const reject = async (v: Extract<SheetVerdict, { ok: false }>) => {
    await quarantineSheet(db, v.origin, [v.field, v.reason].filter(Boolean).join(": "), payloadId);
    outcome.rejected.push({ location: v.origin.location, message: rejectionMessage(v) });
  };

  for (const v of verdicts) if (!v.ok) await reject(v);
  // Oldest first, so a sheet without a country can take it from an earlier one in the same file.
  const accepted = verdicts.filter((v) => v.ok).sort((a, b) => Date.parse(a.sheet.asOf) - Date.parse(b.sheet.asOf));
  for (const v of accepted) {
    const result = await storeSheet(db, v.sheet, v.origin, { payloadId, batchOrigin: originOf(origin.source), knownCountries: opts.knownCountries, deferFlush: true });
    if (result.status === "stored") outcome.stored++;
    else if (result.status === "unchanged") outcome.unchanged++;
    else await reject({ ok: false, origin: v.origin, field: result.field, reason: result.reason });
  }
  // The file's sheets are durable before its outcome is reported.
  if (outcome.stored > 0) await durableBarrier(db);
  // A sheet the store refused (no country known) refuses a whole input too.
  const refused = outcome.rejected[0];
  if (opts.whole && refused) throw new CiyuanError("bad_input", refused.message);

  const passed = verdicts.flatMap((v) =>
    v.ok ? [{ provider: v.sheet.provider, location: v.origin.location, label: v.origin.label, models: v.sheet.models.length }] : [],
  );
  return { ...outcome, accepted: passed };
}

/**
 * The first refused sheet in the input's order. A CSV sheet is a (provider, as_of) group
 * whose verdict names its first bad row as `location:line`; groups interleave, so the
 * input's first bad row is the lowest of those lines. JSON sheets come in order.
 */
function firstBadSheet(verdicts: SheetVerdict[]): Extract<SheetVerdict, { ok: false }> | undefined {
  const line = (v: SheetVerdict) => Number(/:(\d+)$/.exec(v.origin.location)?.[1] ?? 0);
  const bad = verdicts.filter((v): v is Extract<SheetVerdict, { ok: false }> => !v.ok);
  return bad.sort((a, b) => line(a) - line(b))[0];
}
