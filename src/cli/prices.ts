import { approvePrice, heldPrices } from "../engine/index.ts";
import { toJson } from "../publish/json.ts";
import { withDatabase } from "./context.ts";

/** `ciyuan prices held`: prices held at their last accepted value, one line each. */
export async function listHeld(opts: { at?: string }): Promise<void> {
  await withDatabase(async ({ db }) => {
    const held = await heldPrices(db, opts.at ?? new Date().toISOString());
    for (const h of held) {
      process.stdout.write(
        `${h.provider}\t${h.model}\t${h.component}\tsheet ${h.sheetAsOf}\theld ${h.heldPrice} ${h.heldCurrency}/1M\tin force ${h.acceptedPrice} ${h.acceptedCurrency}/1M\n`,
      );
    }
    process.stderr.write(`${held.length} held price${held.length === 1 ? "" : "s"}\n`);
  });
}

/** `ciyuan prices approve`: releases a held price for fixings from now on. */
export async function approve(opts: { provider: string; model: string; asOf: string }): Promise<void> {
  await withDatabase(async ({ db }) => {
    const a = await approvePrice(db, { provider: opts.provider, model: opts.model, asOf: opts.asOf });
    process.stdout.write(`${toJson({ approval_id: a.id, provider: opts.provider, model: opts.model, sheet_as_of: opts.asOf, approved_at: a.approvedAt })}\n`);
  });
}
