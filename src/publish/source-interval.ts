/**
 * How often a collector source is meant to run, from its cron `every` in its `tz`: the
 * longest gap between two consecutive scheduled runs over about the next 8 days. The
 * longest, so a source that runs on weekdays only is allowed its weekend, and a DST day's
 * longer gap never makes an on-time source look late.
 */
import cron, { type ScheduledTask } from "node-cron";

const HORIZON_MS = 8 * 86_400_000;
/** Enough runs to span the horizon of a 30-minute schedule; a denser one is regular anyway. */
const MAX_RUNS = 500;

// A schedule's interval does not change, and measuring it walks the cron calendar: once each.
const measured = new Map<string, number | null>();

/** Seconds between runs of the schedule (at least 1); null when it cannot be worked out. */
export function scheduleIntervalSeconds(every: string, tz: string | undefined): number | null {
  const zone = tz ?? "UTC";
  const key = `${zone}\u0000${every}`;
  if (!measured.has(key)) measured.set(key, measure(every, zone));
  return measured.get(key)!;
}

function measure(every: string, timezone: string): number | null {
  let task: ScheduledTask | undefined;
  try {
    // Never started: it only answers when its runs fall. Destroyed at once, which also
    // takes it out of node-cron's task registry.
    task = cron.createTask(every, () => undefined, { timezone });
    const [a, b] = task.getNextRuns(2);
    if (a === undefined || b === undefined) return null;
    const count = Math.min(MAX_RUNS, Math.ceil(HORIZON_MS / Math.max(1, b.getTime() - a.getTime())) + 1);
    const runs = count > 2 ? task.getNextRuns(count) : [a, b];
    let longest = 0;
    for (let i = 1; i < runs.length; i++) longest = Math.max(longest, runs[i]!.getTime() - runs[i - 1]!.getTime());
    return Math.max(1, Math.round(longest / 1000));
  } catch {
    // A schedule whose next runs are years away (e.g. 29 February only): no interval to judge by.
    return null;
  } finally {
    void task?.destroy();
  }
}
