/** A monthly settlement as published (JSON), from read/settlement.ts's typed view. */
import type { Signer } from "../signing/index.ts";
import { exact } from "./json.ts";
import { settlementSignature, type SettlementView } from "./read/settlement.ts";

/** The published settlement object. */
export function settlementJson(view: SettlementView, signer?: Signer): object {
  return {
    index: view.index,
    month: view.month,
    value: exact(view.value),
    provisional: view.provisional,
    final: view.coverage.final,
    cutoff: view.coverage.cutoff,
    fixings_expected: view.coverage.fixingsExpected,
    fixings_used: view.coverage.fixingsUsed,
    fixings_missing: view.coverage.fixingsMissing,
    complete: view.coverage.complete,
    restated_after_cutoff: view.coverage.restatedAfterCutoff.map((r) => ({
      fixing_time: r.fixingTime,
      settled_revision: r.settledRevision,
      revision: r.revision,
    })),
    revision: view.revision,
    computed_at: view.computedAt,
    reason: view.reason,
    fixings: view.fixings.map((f) => ({
      fixing_time: f.fixingTime,
      revision: f.revision,
      value: exact(f.value),
      status: f.status,
    })),
    signature: settlementSignature(view, signer),
  };
}
