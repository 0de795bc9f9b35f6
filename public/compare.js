// /compare: the Python and JS engines side by side on the same feed, with a live table.
//
// Each pane is the ordinary dashboard in an iframe. The two panes are served from two different
// loopback hosts (127.0.0.1 and localhost): different sites, so Chromium renders them in
// separate processes, and a busy Python engine cannot take frames from the JS engine.
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
const panes = {
  py: { frame: document.getElementById("pane-py"), host: hostname, metrics: null },
  js: { frame: document.getElementById("pane-js"), host: other, metrics: null },
};
for (const [engine, pane] of Object.entries(panes)) {
  pane.origin = `${protocol}//${pane.host}:${port}`;
  pane.frame.src = `${pane.origin}/?engine=${engine}&window=${encodeURIComponent(windowSize)}&embed=1`;
}

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
  const py = panes.py.metrics;
  const js = panes.js.metrics;
  ROWS.forEach(([, pick, decimals], index) => {
    const [pyCell, jsCell, ratioCell] = cells[index];
    const a = py ? pick(py) : null;
    const b = js ? pick(js) : null;
    pyCell.textContent = format(a, decimals);
    jsCell.textContent = format(b, decimals);
    ratioCell.textContent = a != null && b ? `${(a / b).toFixed(2)}×` : PLACEHOLDER;
  });
  for (const [engine, pane] of Object.entries(panes)) {
    document.querySelector(`[data-field="state-${engine}"]`).textContent = pane.metrics ? pane.metrics.state : "loading";
  }
}

addEventListener("message", (event) => {
  const pane = Object.values(panes).find((candidate) => candidate.origin === event.origin);
  if (!pane || !event.data || event.data.type !== "tickscope:metrics") return;
  pane.metrics = event.data.metrics;
  render();
});

setInterval(() => {
  for (const pane of Object.values(panes)) pane.frame.contentWindow?.postMessage("tickscope:metrics", pane.origin);
}, POLL_MS);

// For tests and scripts: the latest metrics of both panes.
window.tickscopeCompare = () => ({ py: panes.py.metrics, js: panes.js.metrics });
