// The dashboard: one card per index with its value and level history, the latest final
// fixing's figures and constituents. Cards reload when the event stream announces a fixing.
import { CHART_BASE, chartTime, coalesced, fixingsPath, followFixings, getJson, plotted, setField, setStatus, shortTime } from "./common.js";

const { createChart, LineSeries } = window.LightweightCharts;
const main = document.getElementById("indices");
const cardTemplate = document.getElementById("index-card");

function lineChart(container) {
  const chart = createChart(container, {
    ...CHART_BASE,
    leftPriceScale: { visible: true },
    rightPriceScale: { visible: true },
    timeScale: { borderVisible: false },
  });
  const value = chart.addSeries(LineSeries, {
    color: "#1d4ed8",
    lineWidth: 2,
    priceScaleId: "right",
    priceFormat: { type: "price", precision: 6, minMove: 0.000001 },
  });
  const level = chart.addSeries(LineSeries, {
    color: "#b45309",
    lineWidth: 2,
    priceScaleId: "left",
    priceFormat: { type: "price", precision: 2, minMove: 0.01 },
  });
  return {
    show(fixings) {
      // An index with no ok fixing yet has a null value and level: a gap, not a zero.
      const point = (f, field) => (f[field] === null ? { time: chartTime(f.fixing_time) } : { time: chartTime(f.fixing_time), value: plotted(f[field]) });
      value.setData(fixings.map((f) => point(f, "value")));
      level.setData(fixings.map((f) => point(f, "level")));
      chart.timeScale().fitContent();
    },
  };
}

function constituentRow(c) {
  const row = document.createElement("tr");
  const notes = [c.capped ? "capped" : "", c.held.length > 0 ? `held: ${c.held.join(", ")}` : ""].filter(Boolean).join("; ");
  for (const [text, numeric] of [[c.provider], [c.model], [c.weight, true], [c.price, true], [c.input_price, true], [c.output_price, true], [notes]]) {
    const cell = document.createElement("td");
    cell.textContent = text;
    if (numeric) cell.className = "num";
    row.append(cell);
  }
  return row;
}

function indexCard(index) {
  const root = cardTemplate.content.firstElementChild.cloneNode(true);
  root.dataset.index = index.code;
  setField(root, "name", index.name);
  setField(root, "code", index.code);
  setField(root, "description", index.description);
  setField(root, "currency", index.currency);
  root.querySelector('[data-field="widget"]').href = `/widget/${encodeURIComponent(index.code)}`;
  const chart = lineChart(root.querySelector('[data-field="chart"]'));
  const message = root.querySelector('[data-field="message"]');

  async function load() {
    const { data: fixings } = await getJson(fixingsPath(index.code));
    chart.show(fixings);
    const latest = fixings.at(-1);
    if (!latest) {
      message.textContent = "No final fixing yet.";
      message.hidden = false;
      return;
    }
    const fixing = await getJson(`${fixingsPath(index.code)}/${encodeURIComponent(latest.fixing_time)}`);
    message.hidden = true;
    setStatus(root.querySelector('[data-field="status"]'), fixing.status);
    // Sample-based numbers say so, on the figures and on the chart (any sample fixing in it).
    root.querySelector('[data-field="demo"]').hidden = fixing.data_origin !== "sample";
    root.querySelector('[data-field="demo-chart"]').hidden = !fixings.some((f) => f.data_origin === "sample");
    setField(root, "value", fixing.value);
    setField(root, "level", fixing.level);
    setField(root, "fixing-time", shortTime(fixing.fixing_time));
    setField(root, "revision", fixing.revision);
    for (const p of ["p25", "p50", "p75"]) setField(root, p, fixing.percentiles[p]);
    setField(root, "constituent-count", String(fixing.constituents.length));
    // Heaviest first; weights are compared as numbers for ordering only, and shown as published.
    const byWeight = [...fixing.constituents].sort((a, b) => Number(b.weight) - Number(a.weight));
    root.querySelector('[data-field="constituents"]').replaceChildren(...byWeight.map(constituentRow));
  }

  const reload = coalesced(async () => {
    root.dataset.state = "loading";
    try {
      await load();
      root.dataset.state = "ready";
    } catch (err) {
      root.dataset.state = "error";
      message.textContent = `Could not load ${index.code}: ${err.message}`;
      message.hidden = false;
      console.error(err);
    }
  });
  return { code: index.code, root, reload };
}

async function start() {
  const { data: indices } = await getJson("/v1/indices");
  const cards = new Map(indices.map((index) => [index.code, indexCard(index)]));
  main.replaceChildren(...[...cards.values()].map((card) => card.root));
  main.dataset.state = "ready";
  const reloadAll = () => cards.forEach((card) => card.reload());
  reloadAll();
  followFixings({ kind: "final" }, { onFixing: (fixing) => cards.get(fixing.index)?.reload(), onConnect: reloadAll });
}

start().catch((err) => {
  main.dataset.state = "error";
  setField(main, "message", `Could not load the indices: ${err.message}`);
  console.error(err);
});
