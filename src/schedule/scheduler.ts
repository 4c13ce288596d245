/**
 * The fixing schedule, driven by an injected clock: each `tick()` computes what is due at
 * now() — every missed final fixing of each index, oldest first (catch-up on start, and the
 * day's final once its time has passed), and the indicative fixing of the current 15-minute
 * slot. Fixings go through computeFixingIfAbsent, whose existence check runs under the
 * per-(index, kind, T) advisory lock, so any number of schedulers on one database produce
 * exactly one first revision per index and T. A fixing that throws is logged and the
 * scheduler carries on with the other indices; the failed final is retried on the next
 * tick before any later one (the level chain runs oldest first).
 */
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { isoUtc, rows, type Db } from "../db/index.ts";
import {
  computeFixingIfAbsent,
  definitionAt,
  indexCodes,
  recomputeLateData,
  type FixingRequest,
  type StoredFixing,
} from "../engine/index.ts";
import type { Signer } from "../signing/index.ts";
import { CATCH_UP_DAYS, dueFinalFixings, indicativeSlot } from "./times.ts";

export type ComputeIfAbsent = (db: Db, req: FixingRequest) => Promise<StoredFixing | null>;

export type SchedulerOptions = {
  db: Db;
  log: Logger;
  /** Signs every scheduled fixing (loadSigner(config) in production). */
  signer?: Signer | undefined;
  /** The clock; real time unless a test injects one. */
  now?: () => Date;
  /** Index codes to fix; every defined index when absent. */
  indices?: string[];
  /** Compute indicative fixings every 15 minutes (default true). */
  indicatives?: boolean;
  catchUpDays?: number;
  /** How a fixing is computed; computeFixingIfAbsent unless a test wraps it. */
  compute?: ComputeIfAbsent;
  /** Recompute the last late_data_days finals before each final (default true). */
  lateData?: boolean;
};

/** computed: fixings the tick computed; lateData: revisions late data added to earlier finals. */
export type TickReport = { computed: StoredFixing[]; lateData: StoredFixing[]; skipped: number; failed: number };

export class Scheduler {
  private readonly now: () => Date;
  private readonly compute: ComputeIfAbsent;
  /** Per index, the latest final fixing time known done (stored by anyone); read from the
   * database on first use. */
  private readonly lastFinal = new Map<string, string | null>();
  private readonly lastIndicative = new Map<string, string>();
  private running: Promise<TickReport> | null = null;

  constructor(private readonly opts: SchedulerOptions) {
    this.now = opts.now ?? (() => new Date());
    this.compute = opts.compute ?? computeFixingIfAbsent;
  }

  /** Runs what is due now; a tick asked for while one runs joins that one (no overlap). */
  tick(): Promise<TickReport> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Resolves when the tick in progress, if any, has finished. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async run(): Promise<TickReport> {
    const report: TickReport = { computed: [], lateData: [], skipped: 0, failed: 0 };
    const now = this.now().toISOString();
    let codes: string[];
    try {
      codes = this.opts.indices ?? (await indexCodes(this.opts.db));
    } catch (err) {
      this.opts.log.error({ err, at: now }, "schedule: cannot list indices");
      report.failed++;
      return report;
    }
    for (const code of codes) await this.finals(code, now, report);
    if (this.opts.indicatives ?? true) {
      for (const code of codes) await this.indicative(code, now, report);
    }
    return report;
  }

  private async finals(code: string, now: string, report: TickReport): Promise<void> {
    try {
      const def = await definitionAt(this.opts.db, code, now);
      if (!this.lastFinal.has(code)) this.lastFinal.set(code, await latestFinal(this.opts.db, code));
      const due = dueFinalFixings(def, this.lastFinal.get(code) ?? null, now, this.opts.catchUpDays ?? CATCH_UP_DAYS);
      for (const at of due) {
        await this.one(code, at, "final", report);
        this.lastFinal.set(code, at);
      }
    } catch (err) {
      // The failed T stays due: the next tick retries it before any later one.
      report.failed++;
      this.opts.log.error({ err, index: code, kind: "final", at: now }, "schedule: final fixing failed");
    }
  }

  private async indicative(code: string, now: string, report: TickReport): Promise<void> {
    const at = indicativeSlot(now);
    if (this.lastIndicative.get(code) === at) return;
    try {
      await this.one(code, at, "indicative", report);
      this.lastIndicative.set(code, at);
    } catch (err) {
      report.failed++;
      this.opts.log.error({ err, index: code, kind: "indicative", at }, "schedule: indicative fixing failed");
    }
  }

  private async one(code: string, at: string, kind: "final" | "indicative", report: TickReport): Promise<void> {
    const reason = kind === "final" ? "scheduled" : "indicative";
    if (kind === "final" && this.opts.lateData !== false) {
      // [1.1] Late data: the last days' finals take in what arrived since, before T's final.
      const late = await recomputeLateData(this.opts.db, { index: code, at, signer: this.opts.signer, now: this.now() });
      for (const l of late) {
        report.lateData.push(l);
        this.opts.log.info({ index: l.index, at: l.fixingTime, kind, revision: l.revision, value: l.value }, "schedule: late data restated a final");
      }
    }
    const f = await this.compute(this.opts.db, { index: code, at, kind, reason, signer: this.opts.signer, now: this.now() });
    if (f === null) {
      report.skipped++;
      return;
    }
    report.computed.push(f);
    this.opts.log.info({ index: f.index, at: f.fixingTime, kind, status: f.status, value: f.value, revision: f.revision }, "schedule: fixing computed");
  }
}

async function latestFinal(db: Db, code: string): Promise<string | null> {
  const [r] = await rows<{ t: string | null }>(db, sql`SELECT max(fixing_time) AS t FROM fixings WHERE index_code = ${code} AND kind = 'final'`);
  return r?.t ? isoUtc(r.t) : null;
}
