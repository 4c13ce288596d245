/**
 * Exact decimal text. Prices, rates and token counts never become JS floats: a number
 * arrives as text (a JSON number kept lossless, a CSV cell) and leaves as plain decimal
 * text, which Postgres reads as numeric.
 */

/** JSON number grammar, also covering plain CSV decimals. */
const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
/** A plain decimal as a CSV cell must be written: no sign, no exponent. */
export const PLAIN_DECIMAL = /^\d+(?:\.\d+)?$/;
export const PLAIN_INTEGER = /^\d+$/;
// Wider exponents than this are typos, and would expand into megabytes of zeros.
const MAX_EXPONENT = 400;

/**
 * The same value as plain decimal text without exponent, leading zeros or trailing
 * fractional zeros ("1e-7" -> "0.0000001", "2.50" -> "2.5", "-0" -> "0"); null when the
 * text is not a number.
 */
export function plainDecimal(text: string): string | null {
  const m = NUMBER.exec(text);
  if (!m) return null;
  const [, sign, int = "", frac = "", exp = "0"] = m;
  if (!/^[+-]?\d{1,4}$/.test(exp) || Math.abs(parseInt(exp, 10)) > MAX_EXPONENT) return null;
  let digits = int + frac;
  let point = int.length + parseInt(exp, 10);
  if (point < 0) {
    digits = "0".repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += "0".repeat(point - digits.length);
  const whole = digits.slice(0, point).replace(/^0+/, "") || "0";
  const fraction = digits.slice(point).replace(/0+$/, "");
  const value = fraction ? `${whole}.${fraction}` : whole;
  return value === "0" ? "0" : sign + value;
}

/** For the output of plainDecimal. */
export function isPositive(plain: string): boolean {
  return !plain.startsWith("-") && plain !== "0";
}

/** For the output of plainDecimal. */
export function isInteger(plain: string): boolean {
  return /^-?\d+$/.test(plain);
}

function scaled(plain: string): { units: bigint; scale: number } {
  const [whole, fraction = ""] = plain.split(".");
  return { units: BigInt(whole + fraction), scale: fraction.length };
}

/**
 * a / b rounded half-even to `scale` decimals, exact: integer arithmetic on the decimal
 * digits (BigInt), never a float. Both arguments are plain decimals, b > 0.
 */
export function divideDecimals(a: string, b: string, scale: number): string {
  const x = scaled(a);
  const y = scaled(b);
  // a / b = (x.units / 10^x.scale) / (y.units / 10^y.scale)
  const numerator = x.units * 10n ** BigInt(y.scale + scale);
  const denominator = y.units * 10n ** BigInt(x.scale);
  let q = numerator / denominator;
  const twiceRemainder = 2n * (numerator % denominator);
  if (twiceRemainder > denominator || (twiceRemainder === denominator && q % 2n === 1n)) q += 1n;
  const digits = q.toString().padStart(scale + 1, "0");
  return plainDecimal(`${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`.replace(/\.$/, ""))!;
}

/** Two non-negative plain decimals on a common scale, as integers. */
function aligned(a: string, b: string): [bigint, bigint] {
  const x = scaled(a);
  const y = scaled(b);
  const scale = Math.max(x.scale, y.scale);
  return [x.units * 10n ** BigInt(scale - x.scale), y.units * 10n ** BigInt(scale - y.scale)];
}

/** The held-price gate's test, exact: |next - accepted| <= 0.8 x accepted. */
export function withinMove(next: string, accepted: string): boolean {
  const [n, a] = aligned(next, accepted);
  const move = n > a ? n - a : a - n;
  return 10n * move <= 8n * a;
}

/** Equal as numbers ("2.50" and "2.5"). */
export function sameDecimal(a: string, b: string): boolean {
  const [x, y] = aligned(a, b);
  return x === y;
}

/** a <= b for two non-negative plain decimals, exact. */
export function notAbove(a: string, b: string): boolean {
  const [x, y] = aligned(a, b);
  return x <= y;
}
