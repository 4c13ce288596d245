/**
 * Held prices decided at import (normalise/hold-states.ts) against the rulebook walked from
 * scratch at T: random price histories of one model (small moves, jumps over 80 %, repeats
 * that confirm a held price), imported in random order (backdated sheets rewrite the walk)
 * with approvals in between, give the same held components and accepted prices at every T.
 */
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { isoUtc, rows, type Db } from "../../src/db/index.ts";
import { approvePrice, heldPrices } from "../../src/engine/index.ts";
import { describeEachEngine, engineNames } from "../support/engines.ts";
import { addSheet } from "../support/seed.ts";

const DAY = 86_400_000;
const day = (n: number) => new Date(Date.parse("2026-01-01T00:00:00Z") + n * DAY).toISOString().replace(".000Z", "Z");
const FAR = "2099-01-01T00:00:00Z"; // after every approval made now

type Listing = { asOf: string; input: string };

/** Exact decimal compare for the test's own walk: prices have at most 2 decimals here. */
const cents = (p: string) => BigInt(Math.round(Number(p) * 100));

/** The rulebook at T, walked from scratch over the sheets with as_of <= T. */
function referenceHeld(listings: Listing[], approvals: { sheetAsOf: string; approvedAt: string }[], t: string) {
  const inForce = listings.filter((l) => l.asOf <= t).sort((a, b) => (a.asOf < b.asOf ? -1 : 1));
  if (inForce.length === 0) return null;
  let accepted = inForce[0]!.input;
  let held = false;
  let lastListed = accepted;
  for (const l of inForce.slice(1)) {
    const move = cents(l.input) - cents(accepted);
    const abs = move < 0n ? -move : move;
    const approved = approvals.some((a) => a.sheetAsOf === l.asOf && a.approvedAt <= t);
    const accept: boolean = 10n * abs <= 8n * cents(accepted) || (held && cents(l.input) === cents(lastListed)) || approved;
    if (accept) accepted = l.input;
    held = !accept;
    lastListed = l.input;
  }
  return held ? { held: inForce.at(-1)!.input, accepted } : null;
}

const history = fc
  .array(fc.constantFrom("1", "1.5", "2", "5", "9", "10", "0.5", "2.5"), { minLength: 2, maxLength: 7 })
  .chain((prices) =>
    fc.record({
      prices: fc.constant(prices),
      order: fc.shuffledSubarray(
        prices.map((_, i) => i),
        { minLength: prices.length, maxLength: prices.length },
      ),
      approve: fc.array(fc.integer({ min: 0, max: prices.length - 1 }), { maxLength: 2 }),
      approveAfter: fc.integer({ min: 0, max: prices.length - 1 }),
    }),
  );

describeEachEngine("Held prices by lookup equal the rulebook's walk at T", (ctx) => {
  it("for random histories imported in random order, with approvals", { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(history, async ({ prices, order, approve, approveAfter }) => {
        const db: Db = (await ctx.fresh()).db;
        const listings: Listing[] = prices.map((input, i) => ({ asOf: day(i * 2), input }));
        for (const [n, i] of order.entries()) {
          await addSheet(db, { provider: "p", as_of: listings[i]!.asOf, models: [{ model: "m", input: listings[i]!.input, output: "1" }] });
          if (n === approveAfter) {
            for (const a of new Set(approve)) {
              const stored = await rows(db, sql`SELECT 1 FROM price_sheets WHERE as_of = ${listings[a]!.asOf}::timestamptz`);
              if (stored.length > 0) await approvePrice(db, { provider: "p", model: "m", asOf: listings[a]!.asOf }).catch(() => {});
            }
          }
        }
        const approvals = (
          await rows<{ sheet_as_of: string; approved_at: string }>(db, sql`SELECT sheet_as_of, approved_at FROM price_approvals`)
        ).map((a) => ({ sheetAsOf: isoUtc(a.sheet_as_of), approvedAt: new Date(Date.parse(isoUtc(a.approved_at))).toISOString() }));
        for (const t of [...listings.map((l) => l.asOf), ...listings.map((l) => new Date(Date.parse(l.asOf) + DAY).toISOString().replace(".000Z", "Z")), FAR]) {
          const found = (await heldPrices(db, t)).filter((h) => h.component === "input");
          const want = referenceHeld(listings, approvals, t);
          const got = found.length === 0 ? null : { held: found[0]!.heldPrice, accepted: found[0]!.acceptedPrice };
          const norm = (x: typeof got) => (x === null ? null : { held: Number(x.held), accepted: Number(x.accepted) });
          expect(norm(got), `T ${t}, prices ${prices}, order ${order}, approvals ${JSON.stringify(approvals)}`).toEqual(norm(want));
        }
      }),
      { numRuns: engineNames.length > 1 && ctx.engine === "postgres" ? 6 : 10 },
    );
  });
});
