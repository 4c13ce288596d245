// The embeddable card: the latest final value as published, its change since the
// previous final fixing, a sparkline; reloaded when the event stream announces a fixing.
import { CHART_BASE, change, chartTime, coalesced, daysBefore, fixingsPath, followFixings, getJson, plotted, setField, setStatus, shortTime } from "./common.js";

const { createChart, AreaSeries } = window.LightweightCharts;
const SPARKLINE_DAYS = 60;
const body = document.body;
const code = body.dataset.code;

const chart = createChart(body.querySelector('[data-field="chart"]'), {
  ...CHART_BASE,
  grid: { vertLines: { visible: false }, horzLines: { visible: false } },
  leftPriceScale: { visible: false },
  rightPriceScale: { visible: false },
  timeScale: { visible: false, borderVisible: false },
  crosshair: { vertLine: { visible: false }, horzLine: { visible: false } },
  handleScroll: false,
  handleScale: false,
});
const line = chart.addSeries(AreaSeries, {
  lineColor: "#1d4ed8",
  topColor: "rgba(29, 78, 216, 0.25)",
  bottomColor: "rgba(29, 78, 216, 0)",
  lineWidth: 2,
  priceLineVisible: false,
  lastValueVisible: false,
  crosshairMarkerVisible: false,
});

async function load() {
  const { data: indices } = await getJson("/v1/indices");
  const latest = indices.find((index) => index.code === code)?.latest;
  if (!latest) {
    setField(body, "message", "No final fixing yet.");
    return;
  }
  const { data: fixings } = await getJson(fixingsPath(code, `?from=${daysBefore(latest.fixing_time, SPARKLINE_DAYS)}`));
  const current = fixings.at(-1) ?? latest;
  const previous = fixings.at(-2);
  setField(body, "value", current.value);
  setField(body, "fixing-time", shortTime(current.fixing_time));
  setField(body, "message", "");
  // Sample-based numbers say so: the value, and the sparkline when any of its points is.
  body.querySelector('[data-field="demo"]').hidden = !(current.data_origin === "sample" || fixings.some((f) => f.data_origin === "sample"));
  const badge = body.querySelector('[data-field="status"]');
  if (current.status === "ok") badge.hidden = true;
  else setStatus(badge, current.status);
  const changeLine = body.querySelector('[data-field="change-line"]');
  changeLine.hidden = !(previous?.value && current.value);
  if (!changeLine.hidden) {
    const moved = change(previous.value, current.value);
    changeLine.className = `change ${moved.direction}`;
    setField(body, "change", moved.text);
    setField(body, "change-percent", moved.percent);
    setField(body, "previous-date", previous.fixing_time.slice(0, 10));
  }
  line.setData(fixings.filter((f) => f.value !== null).map((f) => ({ time: chartTime(f.fixing_time), value: plotted(f.value) })));
  chart.timeScale().fitContent();
}

const reload = coalesced(async () => {
  body.dataset.state = "loading";
  try {
    await load();
    body.dataset.state = "ready";
  } catch (err) {
    body.dataset.state = "error";
    setField(body, "message", `Could not load ${code}.`);
    console.error(err);
  }
});

reload();
followFixings({ index: code, kind: "final" }, { onFixing: reload, onConnect: reload });
