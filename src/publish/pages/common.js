// Shared by the pages. They read the public JSON API like any other client would.

/**
 * The API's JSON with every number kept as the text the API wrote ("2.483570" stays
 * "2.483570", not 2.48357): published numbers are shown digit for digit and parsed only
 * to draw charts. Uses JSON.parse's source text access; a browser without it gets the
 * number's shortest form instead (same value, trailing zeros dropped).
 */
export function parseExact(text) {
  return JSON.parse(text, (key, value, context) => (typeof value === "number" ? (context?.source ?? String(value)) : value));
}

export async function getJson(path) {
  const res = await fetch(path, { headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return parseExact(await res.text());
}

/** The JSON of `path`, or null when it answers 404 (a route or an item not there). */
export async function getJsonOrNull(path) {
  const res = await fetch(path, { headers: { Accept: "application/json" } });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return parseExact(await res.text());
}

/** "?a=1&b=2" from the defined entries of `params` ("" when none). */
export function queryString(params) {
  const defined = Object.entries(params).filter(([, v]) => v !== undefined && v !== null);
  return defined.length === 0 ? "" : `?${new URLSearchParams(defined)}`;
}

export const fixingsPath = (code, query = "") => `/v1/indices/${encodeURIComponent(code)}/fixings${query}`;

/** A published number as a chart coordinate (display only; never for a published figure). */
export const plotted = (text) => (text === null ? null : Number(text));

/** A fixing time as a chart time: seconds since the epoch. */
export const chartTime = (iso) => Date.parse(iso) / 1000;

/** "2026-02-24T08:00:00Z" → "2026-02-24 08:00 UTC". */
export const shortTime = (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/** The date `days` before an ISO instant, as YYYY-MM-DD (a `from` for the fixings route). */
export const daysBefore = (iso, days) => new Date(Date.parse(iso) - days * 86_400_000).toISOString().slice(0, 10);

/**
 * The date `months` calendar months before a YYYY-MM-DD date, as YYYY-MM-DD; a day the
 * earlier month lacks becomes its last (2026-03-31 minus 1 month is 2026-02-28).
 */
export function monthsBefore(date, months) {
  const [y, m, d] = date.split("-").map(Number);
  const first = new Date(Date.UTC(y, m - 1 - months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(d, last));
  return first.toISOString().slice(0, 10);
}

/**
 * A published fraction ("-0.125000") as a percentage, exactly: the decimal point moved two
 * places, trailing zeros dropped, signed ("-12.5 %", "+3.7037 %", "0 %"). Empty for null.
 */
export function percentText(fraction) {
  if (fraction === null || fraction === undefined) return "";
  const text = String(fraction);
  if (/e/i.test(text)) return `${Number(text) > 0 ? "+" : ""}${Number((Number(text) * 100).toPrecision(6))} %`;
  const negative = text.startsWith("-");
  const [whole, frac = ""] = text.replace(/^[-+]/, "").split(".");
  const padded = frac.padEnd(2, "0");
  const units = `${whole}${padded.slice(0, 2)}`.replace(/^0+(?=\d)/, "");
  const rest = padded.slice(2).replace(/0+$/, "");
  const digits = rest === "" ? units : `${units}.${rest}`;
  if (/^0(\.0*)?$/.test(digits)) return "0 %";
  return `${negative ? "-" : "+"}${digits} %`;
}

// Published values carry exactly 6 decimals; a change between two is computed on integers
// of millionths, so it is as exact as the values themselves.
const SCALE = 6;
function millionths(text) {
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = (negative ? text.slice(1) : text).split(".");
  const units = BigInt(whole + fraction.padEnd(SCALE, "0").slice(0, SCALE));
  return negative ? -units : units;
}

const PERCENT = new Intl.NumberFormat("en", { style: "percent", minimumFractionDigits: 2, maximumFractionDigits: 2 });

/**
 * From one published value to the next: `text` the exact signed difference with 6
 * decimals ("+0.007397"), `direction` up/down/flat, `percent` the relative change to 2
 * decimals (display only), signed like the exact difference.
 */
export function change(from, to) {
  const diff = millionths(to) - millionths(from);
  const sign = diff < 0n ? "-" : "+";
  const digits = (diff < 0n ? -diff : diff).toString().padStart(SCALE + 1, "0");
  const ratio = Math.abs(Number(to) - Number(from)) / Number(from);
  return {
    text: `${sign}${digits.slice(0, -SCALE)}.${digits.slice(-SCALE)}`,
    direction: diff > 0n ? "up" : diff < 0n ? "down" : "flat",
    percent: Number.isFinite(ratio) ? `${sign}${PERCENT.format(ratio)}` : "",
  };
}

/** Sets the text of the element marked data-field="name" inside root. */
export function setField(root, name, text) {
  const el = root.querySelector(`[data-field="${name}"]`);
  if (el) el.textContent = text ?? "—";
  return el;
}

export function setStatus(badge, status) {
  badge.textContent = status;
  badge.className = `badge status-${status}`;
  badge.hidden = false;
}

/** Chart options shared by the pages: no attribution logo (it injects an inline style the CSP refuses; the footer credits TradingView instead). */
export const CHART_BASE = {
  autoSize: true,
  layout: { attributionLogo: false, fontFamily: "system-ui, sans-serif", background: { color: "transparent" } },
};

/** Runs `task` now, or once more after the run in progress, never twice at a time. */
export function coalesced(task) {
  let running = null;
  let again = false;
  return function run() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await task();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
}

/**
 * New fixings from the server's event stream (/v1/stream, events named `fixing`, data =
 * the fixing without constituents; `filter` e.g. { kind: "final" }): `onFixing(fixing)`
 * for each, `onConnect()` each time the stream (re)opens, as fixings committed before
 * that may not have been seen. A stream that is absent or refused is retried after a
 * pause; the page keeps what it shows meanwhile. `onPriceChange(change)`, if given, gets the
 * stream's `price_change` events (sent whatever the filter).
 */
export function followFixings(filter, { onFixing, onConnect, onPriceChange, retryMs = 30_000 }) {
  if (typeof EventSource === "undefined") return;
  const url = `/v1/stream${queryString(filter)}`;
  const connect = () => {
    const source = new EventSource(url);
    source.addEventListener("open", onConnect);
    source.addEventListener("fixing", (event) => {
      let fixing;
      try {
        fixing = parseExact(event.data);
      } catch {
        return onConnect();
      }
      onFixing(fixing);
    });
    if (onPriceChange) {
      source.addEventListener("price_change", (event) => {
        let change;
        try {
          change = parseExact(event.data);
        } catch {
          return onConnect();
        }
        onPriceChange(change);
      });
    }
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, retryMs);
    });
  };
  connect();
}
