// The chart panel's drawing, shared by every engine: TradingView's lightweight-charts (pinned
// in package.json, served by this server) draws what the engine's model computed. The engine
// owns the data (candles, indicators, alerts); this module only draws it, reads the crosshair
// and hands clicks back. Python calls it through bridge.js with text only: MicroPython's
// bridge can lose a JS object handed across, never a string.

const US_PER_S = 1e6;
const RSI_PANE = 1; // RSI has a scale of its own, under the candles
const RSI_LINE = "rsi";
const RSI_PANE_SHARE = 0.25;
const VOLUME_MARGIN_TOP = 0.8; // volume bars fill the bottom fifth of the candles' pane
const USER_PREFIX = "py."; // client/analytics.py's USER_PREFIX
const HISTORY_BARS = 1000; // bars of history the chart opens with
const NO_HISTORY = "none"; // the chart panel's data-history on a server without one
const UNAVAILABLE = 503; // what /api/candles answers there
const LINE_COLORS = {
  sma: "#f5b83d",
  ema: "#c084fc",
  vwap: "#38bdf8",
  "bb.upper": "#94a3b8",
  "bb.middle": "#64748b",
  "bb.lower": "#94a3b8",
  rsi: "#f5b83d",
};
const ZOOM_STEP = 2; // each zoom button halves or doubles the bars shown
const USER_COLORS = ["#f472b6", "#a3e635", "#fb923c", "#22d3ee", "#e879f9", "#facc15"];

let library = null;
let chart = null;
let candles = null;
let volume = null;
const lines = new Map();
let alertLines = [];
let queued = [];
let readout = null;
let colors = null;

const seconds = (us) => Math.floor(us / US_PER_S);

/**
 * Draw the chart in `[data-panel=chart]`'s plot once the library has loaded (an import of
 * its pinned file, named by the panel's data-library). `onPriceClick(text)` gets the price
 * under a click on the candles, as text; drawings that arrive before the chart is up wait.
 */
export function chartOpen(onPriceClick) {
  const panel = document.querySelector('[data-panel="chart"]');
  const plot = panel.querySelector("[data-chart-plot]");
  readout = panel.querySelector('[data-field="ohlc"]');
  const style = getComputedStyle(document.documentElement);
  colors = {
    text: style.getPropertyValue("--text-muted").trim(),
    grid: style.getPropertyValue("--border").trim(),
    up: style.getPropertyValue("--up").trim(),
    down: style.getPropertyValue("--down").trim(),
    upBar: style.getPropertyValue("--up-bar").trim(),
    downBar: style.getPropertyValue("--down-bar").trim(),
    alert: style.getPropertyValue("--warn").trim(),
  };
  const buttons = { "zoom-in": () => zoom(1 / ZOOM_STEP), "zoom-out": () => zoom(ZOOM_STEP), latest };
  for (const [name, action] of Object.entries(buttons)) {
    panel.querySelector(`[data-control="${name}"]`)?.addEventListener("click", () => {
      if (chart !== null) action();
    });
  }
  import(panel.dataset.library)
    .then((loaded) => {
      library = loaded;
      build(plot, onPriceClick);
      plot.dataset.state = "ready";
      for (const text of queued) chartDraw(text);
      queued = [];
    })
    .catch((error) => {
      plot.dataset.state = "failed";
      plot.textContent = `The chart library did not load: ${error.message}`;
    });
}

function build(plot, onPriceClick) {
  plot.textContent = "";
  chart = library.createChart(plot, {
    autoSize: true,
    layout: {
      background: { color: "transparent" },
      textColor: colors.text,
      fontFamily: getComputedStyle(plot).fontFamily,
      attributionLogo: false, // the panel links to the library's page itself (its licence)
    },
    grid: { vertLines: { color: colors.grid }, horzLines: { color: colors.grid } },
    timeScale: { timeVisible: true, secondsVisible: true, borderColor: colors.grid },
    rightPriceScale: { borderColor: colors.grid },
    crosshair: { mode: library.CrosshairMode.Normal },
  });
  candles = chart.addSeries(library.CandlestickSeries, {
    upColor: colors.up,
    downColor: colors.down,
    wickUpColor: colors.up,
    wickDownColor: colors.down,
    borderVisible: false,
  });
  volume = chart.addSeries(library.HistogramSeries, {
    priceScaleId: "volume",
    priceFormat: { type: "volume" },
    lastValueVisible: false,
    priceLineVisible: false,
  });
  chart.priceScale("volume").applyOptions({ scaleMargins: { top: VOLUME_MARGIN_TOP, bottom: 0 } });
  chart.subscribeCrosshairMove((param) => showBar(param.seriesData?.get(candles)));
  chart.subscribeClick((param) => {
    if (param.point === undefined || param.paneIndex > 0) return;
    const price = candles.coordinateToPrice(param.point.y);
    if (price !== null) onPriceClick(String(price));
  });
}

/** Show `factor` times as many bars, around the middle of those shown now. */
function zoom(factor) {
  const scale = chart.timeScale();
  const range = scale.getVisibleLogicalRange();
  if (range === null) return;
  const middle = (range.from + range.to) / 2;
  const half = ((range.to - range.from) / 2) * factor;
  scale.setVisibleLogicalRange({ from: middle - half, to: middle + half });
}

function latest() {
  chart.timeScale().scrollToRealTime();
}

/** The OHLC readout: the bar under the crosshair, else the newest. */
function showBar(bar) {
  const shown = bar ?? lastBar;
  if (readout === null || shown == null) return;
  const digits = (value) => value.toPrecision(7);
  readout.textContent =
    `O ${digits(shown.open)} H ${digits(shown.high)} L ${digits(shown.low)} C ${digits(shown.close)}` +
    (shown.volume === undefined ? "" : ` V ${shown.volume.toFixed(2)}`);
}

let lastBar = null;

/**
 * One drawing of the engine's model (client/analytics.py's take_drawing, as JSON text):
 * a reset replaces every series' data, else each bar and point is an update.
 */
export function chartDraw(text) {
  const drawing = JSON.parse(text);
  if (chart === null) {
    if (drawing.reset) queued = [];
    queued.push(text);
    return;
  }
  const bars = drawing.bars.map(candle);
  const volumes = drawing.bars.map(volumeBar);
  if (drawing.reset) {
    for (const [name, series] of lines) if (!(name in drawing.lines)) removeLine(name, series);
    candles.setData(bars);
    volume.setData(volumes);
    for (const [name, points] of Object.entries(drawing.lines)) line(name).setData(points.map(point));
    chart.timeScale().scrollToRealTime();
  } else {
    for (const bar of bars) candles.update(bar);
    for (const bar of volumes) volume.update(bar);
    for (const [name, points] of Object.entries(drawing.lines)) {
      const series = line(name);
      for (const each of points) series.update(point(each));
    }
  }
  if (bars.length > 0) {
    const newest = bars[bars.length - 1];
    lastBar = { ...newest, volume: volumes[volumes.length - 1].value };
    showBar(null);
  }
}

const candle = ([t, open, high, low, close]) => ({ time: seconds(t), open, high, low, close });

function volumeBar([t, open, , , close, size]) {
  return { time: seconds(t), value: size, color: close >= open ? colors.upBar : colors.downBar };
}

const point = ([t, value]) => ({ time: seconds(t), value });

function line(name) {
  let series = lines.get(name);
  if (series !== undefined) return series;
  const user = name.startsWith(USER_PREFIX);
  const color = user ? USER_COLORS[userLines() % USER_COLORS.length] : LINE_COLORS[name];
  series = chart.addSeries(
    library.LineSeries,
    {
      color,
      lineWidth: user ? 2 : 1,
      title: user ? name.slice(USER_PREFIX.length) : name,
      priceLineVisible: false,
      crosshairMarkerVisible: false,
    },
    name === RSI_LINE ? RSI_PANE : 0,
  );
  if (name === RSI_LINE) chart.panes()[RSI_PANE]?.setStretchFactor(RSI_PANE_SHARE);
  lines.set(name, series);
  return series;
}

const userLines = () => [...lines.keys()].filter((name) => name.startsWith(USER_PREFIX)).length;

function removeLine(name, series) {
  chart.removeSeries(series);
  lines.delete(name);
  if (name === RSI_LINE && chart.panes().length > RSI_PANE) chart.removePane(RSI_PANE);
}

/** The alerts of the charted symbol as price lines: "[price, ...]" as JSON text. */
export function chartAlerts(text) {
  if (chart === null) return;
  for (const drawn of alertLines) candles.removePriceLine(drawn);
  alertLines = JSON.parse(text).map((price) =>
    candles.createPriceLine({ price, color: colors.alert, lineWidth: 1, lineStyle: 2, title: "alert" }),
  );
}

/**
 * Fetch the history a chart opens with (the last HISTORY_BARS bars of `interval`) and hand
 * its text to `callback(status, text)`; a failure is status 0 and its reason.
 */
export function chartHistory(symbol, interval, lengthUs, callback) {
  if (document.querySelector('[data-panel="chart"]').dataset.history === NO_HISTORY) {
    // The server said so in the page: no request that can only fail (and log an error).
    callback(UNAVAILABLE, JSON.stringify({ error: "this server keeps no history" }));
    return;
  }
  const since = Math.max(0, Date.now() * 1000 - HISTORY_BARS * Number(lengthUs));
  const query = new URLSearchParams({ symbol, interval, from: String(since), limit: String(HISTORY_BARS) });
  fetch(`/api/candles?${query}`)
    .then(async (response) => callback(response.status, await response.text()))
    .catch((error) => callback(0, error.message));
}

/** Keep the page's URL in step with the chart: `?symbol=&interval=&indicators=`. */
export function keepQuery(symbol, interval, indicators) {
  const url = new URL(location.href);
  url.searchParams.set("symbol", symbol);
  url.searchParams.set("interval", interval);
  if (indicators === "") url.searchParams.delete("indicators");
  else url.searchParams.set("indicators", indicators);
  history.replaceState(history.state, "", url);
}

/** localStorage as text, "" when it holds nothing or refuses (a private window may). */
export function stored(key) {
  try {
    return localStorage.getItem(key) ?? "";
  } catch {
    return "";
  }
}

/** Keep `text` under `key`; false when the browser refused (storage full or disabled). */
export function store(key, text) {
  try {
    localStorage.setItem(key, text);
    return true;
  } catch {
    return false;
  }
}

/** A browser notification, when the person has allowed them. */
export function notify(title, body) {
  if ("Notification" in globalThis && Notification.permission === "granted") {
    new Notification(title, { body, tag: "tickscope-alert" });
  }
}

/** Ask to notify; calls `callback(permission)` with "granted", "denied" or "unsupported". */
export function askToNotify(callback) {
  if (!("Notification" in globalThis)) {
    callback("unsupported");
    return;
  }
  Notification.requestPermission().then((permission) => callback(permission));
}

/** "granted", "denied", "default" or "unsupported". */
export function notifyPermission() {
  return "Notification" in globalThis ? Notification.permission : "unsupported";
}
