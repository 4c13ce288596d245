// The hedge desk page: a bill file (dropped or chosen) goes to POST /v1/hedge as it is, and
// the answer is shown as published (numbers digit for digit) with a chart of the bill's
// unit cost against the index's settlement prices, drawn as inline SVG (nothing loaded
// from elsewhere).
import { getJson, parseExact, plotted, setField } from "./common.js";

const SVG = "http://www.w3.org/2000/svg";
const body = document.body;
const $ = (name) => document.querySelector(`[data-field="${name}"]`);
const select = $("index");
const fileInput = $("file");
const dropzone = $("dropzone");
const errorBox = $("error");
const result = $("result");
const chartBox = $("chart");

let currentFile = null;
let shown = null;

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
  result.hidden = true;
  body.dataset.state = "error";
}

async function submit() {
  if (!currentFile) return;
  const index = select.value;
  body.dataset.state = "loading";
  errorBox.hidden = true;
  let res;
  try {
    res = await fetch(`/v1/hedge?index=${encodeURIComponent(index)}`, {
      method: "POST",
      headers: { "Content-Type": "text/csv", Accept: "application/json" },
      body: currentFile,
    });
  } catch (err) {
    return showError(`Could not reach the service: ${err.message}`);
  }
  const text = await res.text();
  let answer;
  try {
    answer = parseExact(text);
  } catch {
    return showError(`HTTP ${res.status}: the answer is not JSON`);
  }
  if (!res.ok) return showError(answer?.error?.message ?? `HTTP ${res.status}`);
  render(answer);
}

function render(answer) {
  shown = answer;
  setField(result, "result-index", answer.index);
  const badge = $("effective");
  badge.textContent = answer.effective ? "effective" : "not effective";
  badge.className = `badge ${answer.effective ? "status-ok" : "status-insufficient"}`;
  badge.title = "R² of at least 0.8: the regression test of hedge accounting";
  setField(result, "hedge-ratio", answer.hedge_ratio);
  setField(result, "contracts-per-month", answer.contracts_per_month ?? "— (no tokens given)");
  setField(result, "correlation", answer.correlation);
  setField(result, "r-squared", answer.r_squared);
  setField(result, "variance-reduction", answer.variance_reduction);
  setField(result, "volatility-reduction", answer.volatility_reduction);
  setField(result, "months", String(answer.months));
  const perUnit = answer.cost_unit === "CNY per 1M tokens";
  setField(
    result,
    "explain",
    perUnit
      ? `Hedge ratio: contracts (1M tokens at the settlement price) per 1M tokens of your bill. Your unit cost S is in ${answer.cost_unit}.`
      : `Without tokens S is your monthly cost (${answer.cost_unit}) and the hedge ratio is itself in contracts of 1M tokens.`,
  );
  $("warnings").replaceChildren(
    ...answer.warnings.map((w) => {
      const li = document.createElement("li");
      li.textContent = w;
      return li;
    }),
  );
  $("warnings").hidden = answer.warnings.length === 0;
  setField(result, "cost-legend", perUnit ? "your unit cost (CNY per 1M tokens)" : "your monthly cost (CNY)");
  setField(result, "settlement-legend", `${answer.index} settlement (CNY per 1M tokens)`);
  setField(result, "month-count", String(answer.series.length));
  $("series").replaceChildren(...answer.series.map(seriesRow));
  result.hidden = false;
  drawChart();
  body.dataset.state = "ready";
}

function seriesRow(s) {
  const row = document.createElement("tr");
  for (const [text, numeric] of [[s.month], [s.unit_cost, true], [s.settlement ?? "—", true], [s.settlement_status.replace("_", " ")], [s.used ? "yes" : "no"]]) {
    const cell = document.createElement("td");
    cell.textContent = text;
    if (numeric) cell.className = "num";
    row.append(cell);
  }
  return row;
}

// --- The chart: two lines on their own scales, months evenly spaced ---------------------

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Round-numbered ticks covering [min, max], about `count` of them. */
function niceTicks(min, max, count = 4) {
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const f = raw / pow;
  const step = (f >= 7.5 ? 10 : f >= 3.5 ? 5 : f >= 1.5 ? 2 : 1) * pow;
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const ticks = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push({ value: v, label: v.toFixed(decimals) });
  return { lo, hi, ticks };
}

function drawChart() {
  if (!shown) return;
  const series = shown.series;
  const width = Math.max(280, Math.floor(chartBox.clientWidth || 600));
  const narrow = width < 480;
  const height = narrow ? 220 : 280;
  const m = { left: narrow ? 44 : 56, right: narrow ? 44 : 56, top: 12, bottom: 28 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const costs = series.map((s) => plotted(s.unit_cost));
  const settlements = series.map((s) => plotted(s.settlement));
  const known = settlements.filter((v) => v !== null);
  const left = niceTicks(Math.min(...costs), Math.max(...costs));
  const right = known.length > 0 ? niceTicks(Math.min(...known), Math.max(...known)) : niceTicks(0, 1);
  const x = (i) => m.left + (plotW * (i + 0.5)) / series.length;
  const yOf = (scale) => (v) => m.top + plotH - ((v - scale.lo) / (scale.hi - scale.lo)) * plotH;
  const yLeft = yOf(left);
  const yRight = yOf(right);

  const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "your cost and the settlement price by month" });
  for (const t of left.ticks) {
    svg.append(el("line", { x1: m.left, x2: width - m.right, y1: yLeft(t.value), y2: yLeft(t.value), class: "grid" }));
    svg.append(el("text", { x: m.left - 6, y: yLeft(t.value) + 4, "text-anchor": "end", class: "axis cost-axis" }, t.label));
  }
  for (const t of right.ticks) {
    svg.append(el("text", { x: width - m.right + 6, y: yRight(t.value) + 4, "text-anchor": "start", class: "axis settlement-axis" }, t.label));
  }
  // Month labels, thinned to what fits (about 56 px each).
  const every = Math.max(1, Math.ceil(series.length / Math.max(1, Math.floor(plotW / 56))));
  series.forEach((s, i) => {
    if (i % every === 0) svg.append(el("text", { x: x(i), y: height - 8, "text-anchor": "middle", class: "axis" }, s.month));
  });

  svg.append(line(costs, x, yLeft, "cost"));
  svg.append(line(settlements, x, yRight, "settlement"));
  series.forEach((s, i) => {
    const tip = `${s.month}: S ${s.unit_cost}, F ${s.settlement ?? "none"} (${s.settlement_status.replace("_", " ")})${s.used ? "" : ", not used"}`;
    const dot = el("circle", { cx: x(i), cy: yLeft(costs[i]), r: 3.5, class: `dot cost${s.used ? "" : " unused"}` });
    dot.append(el("title", {}, tip));
    svg.append(dot);
    if (settlements[i] !== null) {
      const f = el("circle", { cx: x(i), cy: yRight(settlements[i]), r: 3.5, class: `dot settlement${s.used ? "" : " unused"}` });
      f.append(el("title", {}, tip));
      svg.append(f);
    }
  });
  chartBox.replaceChildren(svg);
}

/** A polyline through the points, broken where a value is missing. */
function line(values, x, y, kind) {
  let d = "";
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  });
  return el("path", { d, class: `line ${kind}`, fill: "none" });
}

// --- Input: the file chooser, the drop zone, the index --------------------------------

function take(file) {
  if (!file) return;
  currentFile = file;
  setField(document, "file-name", `${file.name} (${file.size} bytes)`);
  submit();
}

fileInput.addEventListener("change", () => take(fileInput.files?.[0]));
for (const type of ["dragenter", "dragover"]) {
  dropzone.addEventListener(type, (event) => {
    event.preventDefault();
    dropzone.classList.add("over");
  });
}
dropzone.addEventListener("dragleave", () => dropzone.classList.remove("over"));
dropzone.addEventListener("drop", (event) => {
  event.preventDefault();
  dropzone.classList.remove("over");
  take(event.dataTransfer?.files?.[0]);
});
dropzone.addEventListener("keydown", (event) => {
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    fileInput.click();
  }
});
// A file dropped beside the zone would otherwise replace the page.
for (const type of ["dragover", "drop"]) document.addEventListener(type, (event) => event.preventDefault());
select.addEventListener("change", submit);

let drawnWidth = 0;
new ResizeObserver(() => {
  const width = Math.floor(chartBox.clientWidth);
  if (width !== drawnWidth) {
    drawnWidth = width;
    drawChart();
  }
}).observe(chartBox);

async function loadIndices() {
  const wanted = new URLSearchParams(location.search).get("index") ?? "CTPI";
  try {
    const { data } = await getJson("/v1/indices");
    select.replaceChildren(
      ...data.map((index) => {
        const option = document.createElement("option");
        option.value = index.code;
        option.textContent = `${index.code} — ${index.name}`;
        return option;
      }),
    );
  } catch (err) {
    showError(`Could not load the indices: ${err.message}`);
  }
  if ([...select.options].some((o) => o.value === wanted)) select.value = wanted;
  body.dataset.indices = "loaded";
}

loadIndices();
