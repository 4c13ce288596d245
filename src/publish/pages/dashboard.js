// The dashboard: one card per index with its latest final fixing as published, a chart of
// its value (or, toggled, its level) over a chosen range with the latest day's indicative
// fixings, the price-versus-mix attribution of that range, links to the CSV and JSON of
// what the chart shows and an embed snippet for the widget, and the latest fixing's
// constituents; below, the recent listed-price moves. Everything is read from the public
// API; the event stream triggers reloads.
import { timeChart } from "./chart.js";
import {
  coalesced,
  daysBefore,
  fixingsPath,
  followFixings,
  getJson,
  getJsonOrNull,
  monthsBefore,
  percentText,
  plotted,
  queryString,
  setField,
  setStatus,
  shortTime,
} from "./common.js";

/** The range buttons: calendar months back from the latest final fixing's date; `all` has no start. */
const RANGES = { "1M": 1, "3M": 3, "1Y": 12, all: null };
const DEFAULT_RANGE = "3M";
// A dot per final fixing while they stay apart (about a quarter of daily fixings).
const DOTS_UP_TO = 100;
const INDICATIVE_HOURS = 24;
const MOVES_SHOWN = 10;
const MOVES_DAYS = 92;

const root = document.getElementById("indices");
const cardTemplate = document.getElementById("index-card");
const movesPanel = document.getElementById("price-moves");

const field = (scope, name) => scope.querySelector(`[data-field="${name}"]`);

/** The fixings query of a range ending on the latest final fixing's date (none yet: everything). */
function rangeQuery(range, latest) {
  if (!latest) return {};
  const to = latest.fixing_time.slice(0, 10);
  return { from: RANGES[range] === null ? undefined : monthsBefore(to, RANGES[range]), to };
}

/** Text for an HTML attribute of the embed snippet. */
const attribute = (text) => text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function embedSnippet(index) {
  const src = `${location.origin}/widget/${encodeURIComponent(index.code)}`;
  return `<iframe src="${attribute(src)}" width="320" height="180" style="border:0" loading="lazy" title="${attribute(`${index.name} (${index.code})`)}"></iframe>`;
}

function cells(row, values) {
  for (const [text, className] of values) {
    const cell = document.createElement("td");
    cell.textContent = text;
    if (className) cell.className = className;
    row.append(cell);
  }
  return row;
}

function constituentRow(c) {
  const notes = [c.capped ? "capped" : "", c.held.length > 0 ? `held: ${c.held.join(", ")}` : ""].filter(Boolean).join("; ");
  return cells(document.createElement("tr"), [[c.provider], [c.model], [c.weight, "num"], [c.price, "num"], [c.input_price, "num"], [c.output_price, "num"], [notes]]);
}

function pressed(group, attributeName, value) {
  for (const button of group.querySelectorAll("button")) button.setAttribute("aria-pressed", String(button.dataset[attributeName] === value));
}

function indexCard(index) {
  const card = cardTemplate.content.firstElementChild.cloneNode(true);
  card.dataset.index = index.code;
  setField(card, "name", index.name);
  setField(card, "code", index.code);
  setField(card, "description", index.description);
  setField(card, "currency", index.currency);
  field(card, "widget").href = `/widget/${encodeURIComponent(index.code)}`;
  const snippet = embedSnippet(index);
  setField(card, "embed-code", snippet);
  const message = field(card, "message");
  const chart = timeChart(field(card, "chart"), { label: `${index.code}: fixings over the chosen range` });
  const state = { range: DEFAULT_RANGE, measure: "value", shown: null };

  const ranges = field(card, "ranges");
  const measures = field(card, "measures");
  pressed(ranges, "range", state.range);
  pressed(measures, "measure", state.measure);

  function draw() {
    const shown = state.shown;
    if (!shown) return;
    const measure = state.measure;
    const unit = measure === "value" ? `${index.currency} per 1M tokens` : "level";
    const point = (f) => ({ t: Date.parse(f.fixing_time), y: plotted(f[measure]), status: f.status, time: f.fixing_time, data: f });
    const finals = shown.fixings.map(point);
    const lastFinal = [...finals].reverse().find((p) => p.y !== null);
    chart.draw({
      title: measure === "value" ? `value, ${unit}` : "level",
      empty: shown.latest ? "No final fixing in this range" : "No fixing yet",
      attributes: { measure, range: state.range, points: String(finals.length), indicative: String(shown.indicatives.length) },
      series: [
        { key: "final", label: "final", points: finals, dots: finals.length <= DOTS_UP_TO },
        { key: "indicative", label: "indicative", points: shown.indicatives.map(point), dots: true, joinFrom: lastFinal },
      ],
      describe: ({ data: f }) => ({
        heading: shortTime(f.fixing_time),
        rows: [
          ["kind", f.kind, "tip-kind"],
          ["value", f.value === null ? "—" : `${f.value} ${index.currency}`, "tip-value"],
          ["level", f.level ?? "—", "tip-level"],
          ["status", f.status, "tip-status"],
        ],
      }),
    });
    setField(card, "legend-final", `${measure} of the final fixings`);
    field(card, "legend-indicative").hidden = shown.indicatives.length === 0;
    field(card, "legend-insufficient").hidden = !shown.fixings.some((f) => f.status === "insufficient");
  }

  function showLinks(query) {
    field(card, "csv").href = fixingsPath(index.code, queryString({ ...query, format: "csv" }));
    field(card, "json").href = fixingsPath(index.code, queryString({ ...query, format: "json" }));
  }

  function showAttribution(answer) {
    const line = field(card, "attribution");
    line.hidden = answer === null;
    if (answer === null) return;
    setField(card, "attribution-span", `Price versus mix, ${answer.from_fixing.slice(0, 10)} to ${answer.to_fixing.slice(0, 10)}`);
    setField(card, "attribution-value", percentText(answer.value_change_pct));
    setField(card, "attribution-price", percentText(answer.price_effect_pct));
    setField(card, "attribution-mix", percentText(answer.mix_effect_pct));
    line.title = `value ${answer.value_from} → ${answer.value_to}, level ${answer.level_from} → ${answer.level_to}: prices is the level's move (listed prices and FX, basket held), mix the rest (usage mix, entries and exits)`;
  }

  function showFixing(fixing, fixings) {
    setStatus(field(card, "status"), fixing.status);
    // Sample-based numbers say so, on the figures and on the chart (any sample fixing in it).
    field(card, "demo").hidden = fixing.data_origin !== "sample";
    field(card, "demo-chart").hidden = !fixings.some((f) => f.data_origin === "sample");
    setField(card, "value", fixing.value);
    setField(card, "level", fixing.level);
    setField(card, "fixing-time", shortTime(fixing.fixing_time));
    setField(card, "revision", String(fixing.revision));
    for (const p of ["p25", "p50", "p75"]) setField(card, p, fixing.percentiles[p]);
    setField(card, "constituent-count", String(fixing.constituents.length));
    // Heaviest first; weights are compared as numbers for ordering only, and shown as published.
    const byWeight = [...fixing.constituents].sort((a, b) => Number(b.weight) - Number(a.weight));
    field(card, "constituents").replaceChildren(...byWeight.map(constituentRow));
  }

  function showIndicative(indicatives) {
    const last = indicatives.at(-1);
    field(card, "indicative-line").hidden = !last;
    if (!last) return;
    setField(card, "indicative-time", shortTime(last.fixing_time));
    setField(card, "indicative-value", last.value === null ? "—" : `${last.value} ${index.currency}`);
    setField(card, "indicative-status", last.status);
  }

  async function load() {
    const range = state.range;
    const { data: indices } = await getJson("/v1/indices");
    const latest = indices.find((i) => i.code === index.code)?.latest ?? null;
    const query = rangeQuery(range, latest);
    showLinks(query);
    // The indicatives since the latest final (the day's, in normal running), at most a day of them.
    const since = latest ? latest.fixing_time : `${new Date().toISOString().slice(0, 10)}`;
    const [{ data: fixings }, { data: indicativeList }, fixing] = await Promise.all([
      getJson(fixingsPath(index.code, queryString(query))),
      getJson(fixingsPath(index.code, queryString({ kind: "indicative", from: since }))),
      latest ? getJson(`${fixingsPath(index.code)}/${encodeURIComponent(latest.fixing_time)}`) : null,
    ]);
    const newest = indicativeList.at(-1);
    const indicatives = newest
      ? indicativeList.filter((f) => f.kind === "indicative" && Date.parse(newest.fixing_time) - Date.parse(f.fixing_time) < INDICATIVE_HOURS * 3_600_000)
      : [];
    // Only asked when the range holds an ok fixing: otherwise the route's answer is a 404.
    const attribution = fixings.some((f) => f.status === "ok")
      ? await getJsonOrNull(`/v1/indices/${encodeURIComponent(index.code)}/attribution${queryString({ from: query.from, to: query.to })}`)
      : null;

    if (fixing) showFixing(fixing, fixings);
    message.hidden = Boolean(fixing);
    if (!fixing) message.textContent = "No final fixing yet.";
    showIndicative(indicatives);
    showAttribution(attribution);
    state.shown = { latest, fixings, indicatives };
    draw();
    card.dataset.range = range;
  }

  const reload = coalesced(async () => {
    card.dataset.state = "loading";
    try {
      await load();
      card.dataset.state = "ready";
    } catch (err) {
      card.dataset.state = "error";
      message.textContent = `Could not load ${index.code}: ${err.message}`;
      message.hidden = false;
      console.error(err);
    }
  });

  ranges.addEventListener("click", (event) => {
    const range = event.target.closest("button")?.dataset.range;
    if (!range || range === state.range) return;
    state.range = range;
    pressed(ranges, "range", range);
    reload();
  });
  measures.addEventListener("click", (event) => {
    const measure = event.target.closest("button")?.dataset.measure;
    if (!measure || measure === state.measure) return;
    state.measure = measure;
    pressed(measures, "measure", measure);
    draw();
  });

  const toggle = field(card, "embed-toggle");
  const embed = field(card, "embed");
  toggle.addEventListener("click", () => {
    embed.hidden = !embed.hidden;
    toggle.setAttribute("aria-expanded", String(!embed.hidden));
  });
  field(card, "copy").addEventListener("click", async () => {
    const note = field(card, "copy-note");
    try {
      await navigator.clipboard.writeText(snippet);
      note.textContent = "Copied.";
    } catch {
      // No clipboard access (an insecure origin, a refused permission): select it instead.
      const selection = window.getSelection();
      const range = document.createRange();
      range.selectNodeContents(field(card, "embed-code"));
      selection.removeAllRanges();
      selection.addRange(range);
      note.textContent = "Selected: copy it with Ctrl+C or ⌘C.";
    }
  });

  return { code: index.code, root: card, reload };
}

// --- Recent price moves (GET /v1/changes) ----------------------------------------------

const COMPONENTS = { input: "input", cached_input: "cached input", output: "output" };

/** A listed or delisted model's prices in one cell: "in 2 · cached 0.2 · out 3". */
function listedPrices(prices) {
  if (prices === null || typeof prices !== "object") return prices ?? "—";
  return [["in", prices.input], ["cached", prices.cached_input], ["out", prices.output]]
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([name, v]) => `${name} ${v}`)
    .join(" · ");
}

function span(className, text) {
  const node = document.createElement("span");
  node.className = className;
  node.textContent = text;
  return node;
}

/** One move as two lines: what moved and by how much; then who, from what to what, when. */
function moveItem(move) {
  const item = document.createElement("li");
  item.dataset.event = move.event;
  const what = move.event === "change" ? COMPONENTS[move.component] ?? move.component : move.event;
  const pct = percentText(move.change_pct);
  const direction = pct.startsWith("-") ? "down" : pct.startsWith("+") ? "up" : "flat";
  const head = document.createElement("p");
  head.append(span("model", move.model), " ", span("component", what));
  if (pct) head.append(" ", span(`change-pct change ${direction}`, pct));
  const prices =
    move.event === "change"
      ? `${move.old ?? "—"} → ${move.new ?? "—"} ${move.currency}`
      : `${listedPrices(move.event === "listed" ? move.new : move.old)} ${move.currency}`;
  const detail = document.createElement("p");
  detail.className = "detail";
  detail.append(span("provider", move.provider), " · ", span("prices", prices), " · as of ", span("as-of", move.as_of.slice(0, 10)));
  if (move.held) detail.append(" · ", span("held", move.released_at ? `held by the gate, released ${move.released_at.slice(0, 10)}` : "held by the gate"));
  item.append(head, detail);
  return item;
}

/** The latest moves since MOVES_DAYS before `anchor`, newest first; "no price moves" when none (or no feed). */
const reloadMoves = coalesced(async () => {
  movesPanel.dataset.state = "loading";
  const note = field(movesPanel, "moves-message");
  try {
    const { data: indices } = await getJson("/v1/indices");
    const times = indices.map((i) => i.latest?.fixing_time).filter(Boolean).sort();
    const anchor = times.at(-1) ?? new Date().toISOString();
    const answer = await getJsonOrNull(`/v1/changes${queryString({ from: daysBefore(anchor, MOVES_DAYS) })}`);
    const moves = (answer?.data ?? []).slice(-MOVES_SHOWN).reverse();
    field(movesPanel, "moves").replaceChildren(...moves.map(moveItem));
    note.textContent = moves.length === 0 ? "No price moves in the last three months." : `The latest ${moves.length} since ${daysBefore(anchor, MOVES_DAYS)}.`;
    movesPanel.dataset.state = "ready";
  } catch (err) {
    movesPanel.dataset.state = "error";
    note.textContent = `Could not load the price moves: ${err.message}`;
    console.error(err);
  }
});

async function start() {
  const { data: indices } = await getJson("/v1/indices");
  const cards = new Map(indices.map((index) => [index.code, indexCard(index)]));
  root.replaceChildren(...[...cards.values()].map((card) => card.root));
  root.dataset.state = "ready";
  const reloadAll = () => {
    cards.forEach((card) => card.reload());
    reloadMoves();
  };
  reloadAll();
  // Every kind: a final renews a card, an indicative its "latest day" series.
  followFixings({}, { onFixing: (fixing) => cards.get(fixing.index)?.reload(), onConnect: reloadAll, onPriceChange: reloadMoves });
}

start().catch((err) => {
  root.dataset.state = "error";
  setField(root, "message", `Could not load the indices: ${err.message}`);
  console.error(err);
});
