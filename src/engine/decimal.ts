/**
 * Exact rounding in SQL [1.1]: every quantity stays an exact rational (a numerator and a
 * denominator in Postgres numeric, whose + - x are exact) until it is published, and is
 * rounded once, half-even, by round_ratio_half_even (migrations/0006): an integer quotient
 * and its remainder decide the last digit, so no division to a fixed scale decides a tie.
 */
import { sql, type SQL } from "drizzle-orm";

/** num / den (den > 0) rounded half-even to `places` decimals. */
export function roundRatio(num: SQL, den: SQL, places: number): SQL {
  return sql`round_ratio_half_even(${num}, ${den}, ${sql.raw(String(places))})`;
}

/** Half-even rounding of an exact decimal (the database function from migrations/0004). */
export function roundHalfEven(x: SQL, places: number): SQL {
  return sql`round_half_even(${x}, ${sql.raw(String(places))})`;
}

/** a / b at 40 decimal places: only for chaining from a fixing stored under 1.0, whose
 * weights and prices were stored as such quotients. */
export function div40(a: SQL, b: SQL): SQL {
  return sql`((${a})::numeric(1000, 40) / (${b}))`;
}
