// /compare: two engines (Pyodide, MicroPython or JS; `?a=&b=`) side by side on the same feed,
// with a live table and their latency distributions on one chart.
//
// Each pane is the ordinary dashboard in an iframe. The two panes are served from two different
// loopback hosts (127.0.0.1 and localhost): different sites, so Chromium renders them in
// separate processes, and a busy Python engine cannot take frames from the other pane.
const POLL_MS = 500;
const ROWS = [
  ["Rate (msg/s)", (m) => m.rate, 0],
  ["Received", (m) => m.received, 0],
  ["Gaps", (m) => m.gaps, 0],
  ["Latency mean (ms)", (m) => m.latency_ms.mean, 2],
  ["Latency p50 (ms)", (m) => m.latency_ms.p50, 2],
  ["Latency p95 (ms)", (m) => m.latency_ms.p95, 2],
  ["Wire p50 (ms)", (m) => m.wire_ms.p50, 2],
  ["Wire p95 (ms)", (m) => m.wire_ms.p95, 2],
  ["Handler p50 (µs)", (m) => m.handler_us.p50, 1],
  ["Handler p95 (µs)", (m) => m.handler_us.p95, 1],
  ["Render p50 (ms/frame)", (m) => m.render_ms.p50, 2],
  ["Render p95 (ms/frame)", (m) => m.render_ms.p95, 2],
  ["FPS mean", (m) => m.fps.mean, 1],
  ["FPS min", (m) => m.fps.min, 1],
  ["Ready (ms)", (m) => m.ready_ms, 0],
];
const PLACEHOLDER = "\u2014";

const { port, protocol, hostname } = location;
const other = hostname === "localhost" ? "127.0.0.1" : "localhost";
const windowSize = new URLSearchParams(location.search).get("window") || "200";
// The server rendered the chosen engines into the panes. One pane is on this page's host, the
// other on the other loopback host: Pyodide's, if shown, on this page's host (in the pane on
// the other host it failed to start here: PyScript threw "The event is already being
// dispatched"; not investigated further).
const ownHost = document.getElementById("pane-b").dataset.engine === "py" ? "b" : "a";
const panes = ["a", "b"].map((key) => {
  const frame = document.getElementById(`pane-${key}`);
  return {
    key,
    frame,
    engine: frame.dataset.engine,
    host: key === ownHost ? hostname : other,
    metrics: null,
    crashed: null,
  };
});
for (const pane of panes) {
  pane.origin = `${protocol}//${pane.host}:${port}`;
  pane.frame.src = `${pane.origin}/?engine=${pane.engine}&window=${encodeURIComponent(windowSize)}&embed=1`;
}

// Picking another engine reloads the comparison with it.
const picker = document.querySelector('[data-panel="compare-engines"]');
picker.addEventListener("change", () => picker.requestSubmit());

const body = document.querySelector('[data-list="comparison"]');
const cells = ROWS.map(([label]) => {
  const row = body.insertRow();
  row.insertCell().textContent = label;
  const values = [row.insertCell(), row.insertCell(), row.insertCell()];
  for (const cell of values) {
    cell.className = "num";
    cell.textContent = PLACEHOLDER;
  }
  return values;
});

const format = (value, decimals) => (value == null ? PLACEHOLDER : value.toFixed(decimals));

function render() {
  const [a, b] = panes.map((pane) => pane.metrics);
  ROWS.forEach(([, pick, decimals], index) => {
    const [aCell, bCell, ratioCell] = cells[index];
    const x = a ? pick(a) : null;
    const y = b ? pick(b) : null;
    aCell.textContent = format(x, decimals);
    bCell.textContent = format(y, decimals);
    ratioCell.textContent = x != null && y ? `${(x / y).toFixed(2)}×` : PLACEHOLDER;
  });
  for (const pane of panes) {
    document.querySelector(`[data-field="state-${pane.key}"]`).textContent = pane.crashed
      ? "crashed"
      : pane.metrics
        ? pane.metrics.state
        : "loading";
  }
}

// -- The latency distributions: each pane's histogram (fixed bins, the same in every engine) as
// a cumulative distribution, both on one chart. The x axis runs to the first bin edge by which
// both engines painted SHOWN_SHARE of their messages (the p95 the table compares), so a few
// late outliers (the first frames after start-up, say) do not squeeze the rest into a corner.

const SHOWN_SHARE = 0.95;
const SMALLEST_AXIS_MS = 20; // a little past one 60 Hz frame
const MOST_TICKS = 6; // labels on the x axis, at most; steps of 1, 2 or 5 times a power of ten
const TICK_STEPS = [1, 2, 5, 10];
const TICK_DROP = 16; // the labels' baseline below the plot
const SVG = "http://www.w3.org/2000/svg";
const chart = document.querySelector('[data-chart="distribution"]');
const [plotLeft, plotTop, plotRight, plotBottom] = chart.dataset.plot.split(" ").map(Number);
const xAxis = chart.querySelector('[data-axis="x"]');
for (const pane of panes) pane.line = chart.querySelector(`[data-pane="${pane.key}"]`);

// [edge, share of messages below it] at each bin edge; null without any measured latency.
function cumulative(histogram) {
  const total = histogram.counts.reduce((sum, count) => sum + count, 0);
  if (!total) return null;
  const shares = [[histogram.edges_ms[0], 0]];
  let below = 0;
  histogram.counts.forEach((count, i) => {
    below += count;
    shares.push([histogram.edges_ms[i + 1], below / total]);
  });
  return shares;
}

// [the axis's end, its label step]: past every distribution's SHOWN_SHARE, in round steps.
function xAxisOf(distributions) {
  let end = SMALLEST_AXIS_MS;
  for (const shares of distributions) {
    const reached = shares.find(([, share]) => share >= SHOWN_SHARE);
    end = Math.max(end, reached ? reached[0] : shares[shares.length - 1][0]);
  }
  const rough = end / (MOST_TICKS - 1);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = magnitude * TICK_STEPS.find((multiple) => multiple * magnitude >= rough);
  return [Math.ceil(end / step) * step, step];
}

function drawTicks(endMs, step) {
  const labels = [];
  for (let ms = 0; ms <= endMs; ms += step) {
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("class", "chart-tick");
    label.setAttribute("x", String(plotLeft + ((plotRight - plotLeft) * ms) / endMs));
    label.setAttribute("y", String(plotBottom + TICK_DROP));
    label.setAttribute("text-anchor", "middle");
    label.textContent = String(ms);
    labels.push(label);
  }
  xAxis.replaceChildren(...labels);
}

// Polyline points of `shares` up to `endMs` (interpolated at the axis's end).
function cdfPoints(shares, endMs) {
  const x = (ms) => plotLeft + ((plotRight - plotLeft) * ms) / endMs;
  const y = (share) => plotBottom - (plotBottom - plotTop) * share;
  const points = [];
  for (let i = 0; i < shares.length; i++) {
    const [ms, share] = shares[i];
    if (ms > endMs) {
      const [lastMs, lastShare] = shares[i - 1];
      const atEnd = lastShare + ((share - lastShare) * (endMs - lastMs)) / (ms - lastMs);
      points.push(`${x(endMs).toFixed(1)},${y(atEnd).toFixed(1)}`);
      break;
    }
    points.push(`${x(ms).toFixed(1)},${y(share).toFixed(1)}`);
  }
  return points.join(" ");
}

let shownEndMs = null; // the x axis's end as its labels show it

function drawDistributions() {
  const drawn = panes.map((pane) => (pane.metrics?.latency_hist ? cumulative(pane.metrics.latency_hist) : null));
  const shown = drawn.filter((shares) => shares !== null);
  if (!shown.length) return;
  const [endMs, step] = xAxisOf(shown);
  panes.forEach((pane, i) => {
    pane.line.setAttribute("points", drawn[i] ? cdfPoints(drawn[i], endMs) : "");
  });
  if (endMs !== shownEndMs) {
    shownEndMs = endMs;
    drawTicks(endMs, step);
  }
}

addEventListener("message", (event) => {
  const pane = panes.find((candidate) => candidate.origin === event.origin);
  if (!pane || !event.data || event.data.type !== "tickscope:metrics") return;
  pane.metrics = event.data.metrics;
  pane.crashed = event.data.crashed ?? null;
  render();
  drawDistributions();
});

setInterval(() => {
  for (const pane of panes) pane.frame.contentWindow?.postMessage("tickscope:metrics", pane.origin);
}, POLL_MS);

// For tests and scripts: the latest metrics of both panes, by engine.
window.tickscopeCompare = () => Object.fromEntries(panes.map((pane) => [pane.engine, pane.metrics]));
