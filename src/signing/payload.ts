/**
 * The exact texts that are signed (formats-and-interfaces, "Signature"): lines joined by
 * "\n", numbers with exactly 6 decimals, a null as an empty line. A verifier rebuilds the
 * same text from the published JSON and checks it with the public key from /v1/keys.
 */

export type SignedFixing = {
  index: string;
  fixingTime: string; // as published: ISO 8601 UTC with Z
  kind: string;
  revision: number;
  status: string;
  value: string | null;
  level: string | null;
  p25: string | null;
  p50: string | null;
  p75: string | null;
  methodologyVersion: string;
  inputsSha256: string;
};

export type SignedSettlement = {
  index: string;
  month: string; // YYYY-MM
  value: string | null;
  provisional: boolean;
  fixings: { fixingTime: string; revision: number }[];
};

const DECIMAL = /^(-?\d+)(?:\.(\d+))?$/;

/** A decimal text with exactly 6 decimals. Published numbers are already rounded to 6 dp,
 * so more non-zero decimals is a bug, never silently rounded here. */
export function sixDecimals(text: string | null): string {
  if (text === null) return "";
  const m = DECIMAL.exec(text);
  if (!m) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  const decimals = (m[2] ?? "").replace(/0+$/, "");
  if (decimals.length > 6) throw new Error(`more than 6 decimals: ${text}`);
  return `${m[1]}.${decimals.padEnd(6, "0")}`;
}

export function fixingPayload(f: SignedFixing): string {
  return [
    "ciyuan-fixing/1",
    f.index,
    f.fixingTime,
    f.kind,
    String(f.revision),
    f.status,
    sixDecimals(f.value),
    sixDecimals(f.level),
    sixDecimals(f.p25),
    sixDecimals(f.p50),
    sixDecimals(f.p75),
    f.methodologyVersion,
    f.inputsSha256,
  ].join("\n");
}

export function settlementPayload(s: SignedSettlement): string {
  return [
    "ciyuan-settlement/1",
    s.index,
    s.month,
    sixDecimals(s.value),
    s.provisional ? "true" : "false",
    ...s.fixings.map((f) => `${f.fixingTime} ${f.revision}`),
  ].join("\n");
}
