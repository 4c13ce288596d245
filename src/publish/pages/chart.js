// A time chart drawn as inline SVG (nothing loaded from elsewhere, nothing to credit): one
// value axis, each series a line broken where a value is missing, a dot per point where
// there are few enough to tell apart, and a tooltip for the point nearest the pointer
// (mouse, pen or touch) or stepped through with the arrow keys. Drawn from its box's width
// and redrawn when that changes.

const SVG = "http://www.w3.org/2000/svg";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
// Pixels per character of an 11 px axis label, to leave room for the longest one.
const CHAR_PX = 6.6;

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** About `count` round-numbered ticks spanning [min, max]: { lo, hi, ticks: [{ value, label }] }. */
export function valueTicks(min, max, count) {
  if (min === max) {
    const pad = Math.abs(min) * 0.05 || 1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const factor = [1, 2, 2.5, 5, 10].find((f) => f * power >= rough);
  const step = power * factor;
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  // As many decimals as the step has: 0.25 two, 0.5 one, 20 none.
  const decimals = Math.max(0, -Math.round(Math.log10(factor === 10 ? power * 10 : power)) + (factor === 2.5 ? 1 : 0));
  const ticks = [];
  for (let i = 0; lo + i * step <= hi + step / 1e6; i++) {
    const value = lo + i * step;
    ticks.push({ value, label: value.toFixed(decimals) });
  }
  return { lo, hi, ticks };
}

const pad2 = (n) => String(n).padStart(2, "0");

/** Time ticks in [t0, t1] (epoch ms, UTC) at round hours, days or months, at most `max` of them. */
export function timeTicks(t0, t1, max) {
  // Hours only for a span under two days (indicatives alone); daily fixings get day ticks.
  const hourSteps = t1 - t0 < 2 * DAY ? [1, 3, 6, 12] : [];
  for (const h of hourSteps) {
    const step = h * HOUR;
    if ((t1 - t0) / step > max) continue;
    const ticks = [];
    for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      const d = new Date(t);
      const midnight = d.getUTCHours() === 0;
      ticks.push({ t, label: midnight ? `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}` : `${pad2(d.getUTCHours())}:00` });
    }
    return ticks;
  }
  for (const days of [1, 2, 7, 14]) {
    const step = days * DAY;
    if ((t1 - t0) / step > max) continue;
    // Weeks start on Mondays (the epoch was a Thursday).
    const offset = days === 7 || days === 14 ? 4 * DAY : 0;
    const ticks = [];
    for (let t = Math.ceil((t0 - offset) / step) * step + offset; t <= t1; t += step) {
      const d = new Date(t);
      ticks.push({ t, label: `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}` });
    }
    return ticks;
  }
  const start = new Date(t0);
  for (const months of [1, 2, 3, 6, 12, 24, 60]) {
    const ticks = [];
    let y = start.getUTCFullYear();
    let m = start.getUTCMonth() + 1;
    for (;;) {
      if (m >= 12) {
        y += Math.floor(m / 12);
        m %= 12;
      }
      const t = Date.UTC(y, m, 1);
      if (t > t1) break;
      if (m % months === 0 && (months < 12 || y % (months / 12) === 0)) ticks.push({ t, label: m === 0 ? String(y) : MONTHS[m] });
      m += 1;
    }
    if (ticks.length <= max) {
      // Label the first tick with its year too, so the axis says which year it starts in.
      if (ticks[0] && ticks[0].label.length === 3) ticks[0].label = `${ticks[0].label} ${new Date(ticks[0].t).getUTCFullYear()}`;
      return ticks;
    }
  }
  return [];
}

/**
 * A chart in `box` (which should be position: relative). `draw(model)` with model =
 * { title, empty, series: [{ key, label, points: [{ t, y, status, data }], dots, joinFrom }],
 *   describe(point, series) → { heading, rows: [[label, text, field]] } }:
 * `t` epoch ms, `y` a number or null (a gap); `dots` draws a dot per point; `joinFrom`
 * a point the series' line starts from (the last final before the indicatives).
 */
export function timeChart(box, { label }) {
  const tip = document.createElement("div");
  tip.className = "chart-tip";
  tip.dataset.field = "tooltip";
  tip.hidden = true;
  let model = null;
  let targets = [];
  let svg = null;
  let focus = null;
  let drawnWidth = 0;

  function hide() {
    tip.hidden = true;
    focus = null;
    svg?.querySelector(".focus-group")?.replaceChildren();
  }

  function show(index) {
    const target = targets[index];
    if (!target || !svg) return;
    focus = index;
    const { heading, rows } = model.describe(target.point, target.series);
    const title = document.createElement("strong");
    title.dataset.field = "tip-time";
    title.textContent = heading;
    const list = document.createElement("dl");
    for (const [name, text, field] of rows) {
      const dt = document.createElement("dt");
      dt.textContent = name;
      const dd = document.createElement("dd");
      dd.textContent = text;
      if (field) dd.dataset.field = field;
      list.append(dt, dd);
    }
    tip.replaceChildren(title, list);
    tip.hidden = false;
    const group = svg.querySelector(".focus-group");
    const plot = svg.dataset;
    group.replaceChildren(
      el("line", { x1: target.x, x2: target.x, y1: Number(plot.top), y2: Number(plot.bottom), class: "guide" }),
      el("circle", { cx: target.x, cy: target.y, r: 5, class: `focus ${target.series.key}` }),
    );
    // Beside the point, on whichever side has room; CSSOM styles (the CSP refuses style attributes).
    const width = box.clientWidth;
    const tipWidth = tip.offsetWidth;
    const tipHeight = tip.offsetHeight;
    let left = target.x + 14;
    if (left + tipWidth > width) left = target.x - 14 - tipWidth;
    tip.style.left = `${Math.max(0, Math.min(left, width - tipWidth))}px`;
    tip.style.top = `${Math.max(0, Math.min(target.y - tipHeight / 2, svg.getBoundingClientRect().height - tipHeight))}px`;
  }

  function nearest(clientX, clientY) {
    if (!svg || targets.length === 0) return -1;
    const rect = svg.getBoundingClientRect();
    const x = clientX - rect.left;
    const y = clientY - rect.top;
    let best = -1;
    let bestScore = Infinity;
    targets.forEach((t, i) => {
      // Nearest in time first; between points at the same x, the nearest vertically.
      const score = Math.abs(t.x - x) * 1000 + Math.abs(t.y - y);
      if (score < bestScore) {
        bestScore = score;
        best = i;
      }
    });
    return best;
  }

  function onPointer(event) {
    const i = nearest(event.clientX, event.clientY);
    if (i >= 0 && i !== focus) show(i);
  }

  function onKey(event) {
    if (targets.length === 0) return;
    const order = targets.map((t, i) => i).sort((a, b) => targets[a].x - targets[b].x);
    const at = focus === null ? -1 : order.indexOf(focus);
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      event.preventDefault();
      const next = event.key === "ArrowRight" ? Math.min(order.length - 1, at + 1) : at <= 0 ? 0 : at - 1;
      show(order[next]);
    } else if (event.key === "Escape") {
      hide();
    }
  }

  function draw() {
    if (!model) return;
    drawnWidth = Math.floor(box.clientWidth);
    const width = Math.max(200, drawnWidth);
    const narrow = width < 480;
    const height = narrow ? 220 : 280;
    const next = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, tabindex: 0, class: "time-chart" });
    for (const [k, v] of Object.entries(model.attributes ?? {})) next.dataset[k] = v;
    const points = model.series.flatMap((s) => s.points);
    const known = points.filter((p) => p.y !== null);
    targets = [];
    if (known.length === 0) {
      next.append(el("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "empty" }, model.empty ?? "No data"));
      replace(next);
      return;
    }
    const ys = known.map((p) => p.y);
    const scale = valueTicks(Math.min(...ys), Math.max(...ys), narrow ? 4 : 5);
    const longest = Math.max(...scale.ticks.map((t) => t.label.length));
    const m = { left: Math.ceil(10 + longest * CHAR_PX), right: narrow ? 10 : 16, top: 24, bottom: 26 };
    const plotW = width - m.left - m.right;
    const plotH = height - m.top - m.bottom;
    let t0 = Math.min(...points.map((p) => p.t));
    let t1 = Math.max(...points.map((p) => p.t));
    if (t1 - t0 < HOUR) {
      t0 -= 12 * HOUR;
      t1 += 12 * HOUR;
    }
    const x = (t) => m.left + ((t - t0) / (t1 - t0)) * plotW;
    const y = (v) => m.top + plotH - ((v - scale.lo) / (scale.hi - scale.lo)) * plotH;
    Object.assign(next.dataset, { top: m.top, bottom: m.top + plotH });

    // Hit area first: the whole plot answers the pointer, whatever is drawn over it.
    next.append(el("rect", { x: 0, y: 0, width, height, class: "hit" }));
    next.append(el("text", { x: 0, y: 12, class: "axis-title" }, model.title));
    for (const tick of scale.ticks) {
      next.append(el("line", { x1: m.left, x2: width - m.right, y1: y(tick.value), y2: y(tick.value), class: "grid" }));
      next.append(el("text", { x: m.left - 6, y: y(tick.value) + 4, "text-anchor": "end", class: "axis y-axis" }, tick.label));
    }
    const times = timeTicks(t0, t1, Math.max(2, Math.floor(plotW / 64)));
    for (const tick of times) {
      const tx = x(tick.t);
      next.append(el("line", { x1: tx, x2: tx, y1: m.top + plotH, y2: m.top + plotH + 4, class: "tick" }));
      // The labels at the edges are kept inside the picture.
      const anchor = tx < m.left + 24 ? "start" : tx > width - m.right - 24 ? "end" : "middle";
      next.append(el("text", { x: tx, y: height - 8, "text-anchor": anchor, class: "axis x-axis" }, tick.label));
    }

    for (const series of model.series) {
      const group = el("g", { class: `series series-${series.key}` });
      let d = "";
      let pen = false;
      const start = series.joinFrom && series.joinFrom.y !== null ? series.joinFrom : null;
      if (start && series.points.some((p) => p.y !== null)) {
        d += `M${x(start.t).toFixed(1)},${y(start.y).toFixed(1)}`;
        pen = true;
      }
      for (const p of series.points) {
        if (p.y === null) {
          pen = false;
          continue;
        }
        d += `${pen ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.y).toFixed(1)}`;
        pen = true;
      }
      group.append(el("path", { d, class: `line ${series.key}`, fill: "none" }));
      for (const p of series.points) {
        if (p.y === null) continue;
        const target = { x: x(p.t), y: y(p.y), point: p, series };
        targets.push(target);
        const odd = p.status && p.status !== "ok";
        if (series.dots || odd) {
          const dot = el("circle", { cx: target.x.toFixed(1), cy: target.y.toFixed(1), r: odd ? 3.5 : series.key === "indicative" ? 3 : 2.5, class: `dot ${series.key}${odd ? ` ${p.status}` : ""}` });
          dot.dataset.time = p.time;
          group.append(dot);
        }
      }
      next.append(group);
    }
    next.append(el("g", { class: "focus-group" }));
    replace(next);
  }

  function replace(next) {
    svg?.remove();
    svg = next;
    box.prepend(svg);
    hide();
    svg.addEventListener("pointermove", onPointer);
    svg.addEventListener("pointerdown", onPointer);
    svg.addEventListener("pointerleave", (event) => {
      if (event.pointerType === "mouse") hide();
    });
    svg.addEventListener("keydown", onKey);
    svg.addEventListener("blur", hide);
  }

  box.append(tip);
  // A tap outside the chart closes a tooltip a touch opened.
  document.addEventListener("pointerdown", (event) => {
    if (svg && !svg.contains(event.target)) hide();
  });
  new ResizeObserver(() => {
    if (Math.floor(box.clientWidth) !== drawnWidth) draw();
  }).observe(box);

  return {
    draw(next) {
      model = next;
      draw();
    },
  };
}
