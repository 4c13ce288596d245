/** A small basket shared by the engine tests: 5 CN constituents at 3 providers. */
import type { Db } from "../../src/db/index.ts";
import { addFx, addSheet, addUsage, day } from "../support/seed.ts";

export const T = "2026-10-01T08:00:00Z";
export const DAY = 86_400_000;
export const at = (base: string, days: number) => new Date(Date.parse(base) + days * DAY).toISOString().replace(".000Z", "Z");

export async function seedBasket(db: Db, t = T): Promise<void> {
  await addFx(db, "USD", "7.1", "2026-09-01T00:00:00Z");
  await addSheet(db, { provider: "deepseek", as_of: "2026-09-01T00:00:00Z", models: [
    { model: "chat", input: "2", cached_input: "0.2", output: "3" },
    { model: "reasoner", input: "4", output: "16" },
  ] });
  await addSheet(db, { provider: "moonshot", as_of: "2026-09-01T00:00:00Z", models: [{ model: "k2", input: "4", cached_input: "1", output: "16" }] });
  await addSheet(db, { provider: "zhipu", as_of: "2026-09-01T00:00:00Z", currency: "USD", unit: "per_token", models: [
    { model: "glm", input: "0.0000006", output: "0.0000022" },
    { model: "glm-air", input: "0.0000002", output: "0.0000011" },
  ] });
  await usage(db, t);
}

/** One day of usage per model ending at t. */
export async function usage(db: Db, t: string): Promise<void> {
  const volumes: [string, string, string, string, string?][] = [
    ["deepseek", "chat", "9000000000", "1000000000", "5000000000"],
    ["deepseek", "reasoner", "2000000000", "500000000"],
    ["moonshot", "k2", "1000000000", "300000000"],
    ["zhipu", "glm", "800000000", "200000000"],
    ["zhipu", "glm-air", "500000000", "100000000"],
  ];
  for (const [p, m, i, o, c] of volumes) await addUsage(db, day(p, m, t, i, o, c));
}
