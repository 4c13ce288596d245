/**
 * SQL fragments for exact decimal arithmetic. Postgres numeric is exact for + - x; a
 * division is carried to 40 decimal places (its default would keep only ~20 significant
 * digits), far below the 6 published decimals.
 */
import { sql, type SQL } from "drizzle-orm";

export const DIVISION_SCALE = 40;

/** a / b at 40 decimal places. */
export function div(a: SQL, b: SQL): SQL {
  return sql`((${a})::numeric(1000, 40) / (${b}))`;
}

/** Half-even rounding (the database function from migrations/0001_rules.sql). */
export function roundHalfEven(x: SQL, places: number): SQL {
  return sql`round_half_even(${x}, ${sql.raw(String(places))})`;
}
