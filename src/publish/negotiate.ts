/**
 * JSON or CSV: `?format=` wins; otherwise the Accept header chooses (JSON by default). An
 * answer chosen by Accept says so with `Vary: Accept`, so a shared cache keeps the two apart.
 */
import type { Context } from "hono";
import { accepts } from "hono/accepts";

export function wantsCsv(c: Context, format: "json" | "csv" | undefined): boolean {
  if (format) return format === "csv";
  c.header("Vary", "Accept", { append: true });
  const chosen = accepts(c, { header: "Accept", supports: ["application/json", "text/csv"], default: "application/json" });
  return chosen === "text/csv";
}
