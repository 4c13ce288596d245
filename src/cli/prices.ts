import type { Command } from "commander";
import { approvePrice, heldPrices } from "../engine/index.ts";
import { toJson } from "../publish/index.ts";
import { parseInstant } from "./args.ts";
import { withDatabase } from "./context.ts";

export function register(program: Command): void {
  const prices = program.command("prices").description("held prices (moves of more than 80 %) and their release");
  prices
    .command("held")
    .description("list prices held at their last accepted value (now, or at --at)")
    .option("--at <iso>", "as of this moment", parseInstant)
    .action(async (opts: { at?: string }) => {
      await withDatabase(async ({ db }) => {
        const held = await heldPrices(db, opts.at ?? new Date().toISOString());
        for (const h of held) {
          process.stdout.write(
            `${h.provider}\t${h.model}\t${h.component}\tsheet ${h.sheetAsOf}\theld ${h.heldPrice} ${h.heldCurrency}/1M\tin force ${h.acceptedPrice} ${h.acceptedCurrency}/1M\n`,
          );
        }
        process.stderr.write(`${held.length} held price${held.length === 1 ? "" : "s"}\n`);
      });
    });
  prices
    .command("approve")
    .description("release a held price into the index for fixings from now on")
    .requiredOption("--provider <p>", "provider")
    .requiredOption("--model <m>", "model")
    .requiredOption("--as-of <iso>", "as_of of the sheet whose price is held", parseInstant)
    .action(async (opts: { provider: string; model: string; asOf: string }) => {
      await withDatabase(async ({ db }) => {
        const a = await approvePrice(db, { provider: opts.provider, model: opts.model, asOf: opts.asOf });
        process.stdout.write(`${toJson({ approval_id: a.id, provider: opts.provider, model: opts.model, sheet_as_of: opts.asOf, approved_at: a.approvedAt })}\n`);
      });
    });
}
