// Tickscope's JavaScript engine: the baseline the Python engines are measured against.
//
// It implements the same DOM contract, store semantics, frame batching and measurement
// definitions as the Python client (client/*.py), written as one would for production:
// plain objects, no framework, no per-message allocation beyond the parsed message, one
// requestAnimationFrame per frame, and only changed values written. It hydrates the
// server-rendered page; it creates no bound node of its own.

import { Alerts, Analytics, INTERVALS, indicatorNames } from "./analytics.js";
import {
  askToNotify,
  chartAlerts,
  chartDraw,
  chartHistory,
  chartOpen,
  store as keep,
  keepQuery,
  notify,
  notifyPermission,
  stored,
} from "./chart.js";

const DEFAULT_WINDOW = 200;
const WINDOW_SIZES = [200, 500, 1000];
const TRADES_LIMIT = 100;
const BOOK_DEPTH = 5;
const SIGNIFICANT_DIGITS = 6;
const SPARKLINE_WIDTH = 240;
const SPARKLINE_HEIGHT = 56;
const FLAT_RANGE = 1e-9;
const REBASE_AFTER = 100000;
const PLACEHOLDER = "\u2014";
const MINUS = "\u2212";
const LATENCY_SAMPLES = 5000;
const FPS_SAMPLES = 60;
const RENDER_SAMPLES = 3600;
const PANEL_SAMPLES = 600; // µs of performance-panel work per frame: ten seconds of frames at 60 Hz
const TOAST_MS = 6000;
const ALERTS_KEY = "tickscope.alerts";
const CHART_OFF = "off";
const CHART_OFF_NOTE = "Off: this page was opened with ?chart=off";
const ALERT_TITLE = "Price alert";
const NOTIFY_TEXTS = {
  granted: "Notifications are on for alerts.",
  denied: "This browser blocks notifications from the page; alerts show here only.",
  unsupported: "This browser has no notifications; alerts show here only.",
  default: "",
};
const THROTTLE_MS = 100;
const USER_HOLD_MS = 1000;
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 4000;
const OFFLINE_AFTER_FAILURES = 5;
const STALE_AFTER_MS = 3000; // three missed system ticks
const BACKLOG_REPORT_MS = 1000; // how often the page checks (and, on auto, reports) its backlog
const BEHIND_MS = 250; // a backlog above this, in consecutive reports, is falling behind
const BEHIND_REPORTS = 2;
// The last resort, as client/measure.py: a backlog conflation did not clear; start afresh.
const HOPELESS_MS = 2000;
const HOPELESS_REPORTS = 3;
const BEHIND_TITLE = "This page is falling behind the stream.";
const CONFLATED_TITLE = "This page cannot take every tick.";
const FRESH_START_QUERY = "?conflate=1";
// As client/main.py: on auto, a page already late tells the server this often, not once a second.
const EARLY_REPORT_MS = 250;
const AUTO = "auto";
// As client/frames.py: an off-screen part of the page is drawn in turns, this many a frame, oldest
// first; one this close to the viewport counts as on-screen.
const OFF_SCREEN_VIEWS_PER_FRAME = 4;
const ON_SCREEN_MARGIN = "200px";
const STATE_LABELS = {
  ssr: "Server snapshot",
  loading: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
  stale: "Stale",
};
const LOADING_TEXTS = {
  loading: "Connecting to the market…",
  reconnecting: "Connection lost; reconnecting…",
  offline: "The server cannot be reached; still retrying.",
  stale: "Connected, but the server has sent nothing for a few seconds.",
};

// ---------------------------------------------------------------- texts (as client/texts.py)

function priceDecimals(price) {
  const magnitude = price > 0 ? Math.floor(Math.log10(price)) + 1 : 1;
  return Math.max(2, SIGNIFICANT_DIGITS - magnitude);
}

function grouped(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function formatNumber(value, decimals) {
  const text = Math.abs(value).toFixed(decimals);
  const dot = text.indexOf(".");
  const whole = dot < 0 ? text : text.slice(0, dot);
  const sign = value < 0 && Number(text) !== 0 ? MINUS : "";
  return sign + grouped(whole) + (dot < 0 ? "" : text.slice(dot));
}

const formatPrice = (price) => (price == null ? PLACEHOLDER : formatNumber(price, priceDecimals(price)));
const formatVolume = (volume) => (volume == null ? PLACEHOLDER : grouped(String(Math.trunc(volume))));
const formatSize = (size) => size.toFixed(4);
const changePct = (first, last) => (first ? ((last - first) / first) * 100 : 0);

function formatChange(pct) {
  if (pct == null) return PLACEHOLDER;
  const text = `${Math.abs(pct).toFixed(2)}%`;
  if (text === "0.00%") return text;
  return (pct > 0 ? "+" : MINUS) + text;
}

function changeDirection(pct) {
  if (pct == null || Math.abs(pct).toFixed(2) === "0.00") return "flat";
  return pct > 0 ? "up" : "down";
}

function formatClock(tsUs) {
  const seconds = Math.floor(tsUs / 1e6);
  const millis = Math.floor((tsUs % 1e6) / 1000);
  const inDay = seconds % 86400;
  const two = (n) => String(n).padStart(2, "0");
  return `${two(Math.floor(inDay / 3600))}:${two(Math.floor((inDay % 3600) / 60))}:${two(inDay % 60)}.${String(millis).padStart(3, "0")}`;
}

const depthScale = (size, largest) =>
  largest <= 0 ? "scaleX(0)" : `scaleX(${Math.min(1, size / largest).toFixed(3)})`;
const formatStat = (value, decimals) => (value == null ? PLACEHOLDER : formatNumber(value, decimals));

// The batching readout, as client/texts.py batch_text.
function batchText(setting, intervalMs) {
  if (setting === 0) return "off";
  if (setting === AUTO) {
    if (intervalMs == null) return "auto";
    return `auto \u00b7 ${intervalMs === 0 ? "off" : `${intervalMs} ms`}`;
  }
  return `${setting} ms`;
}

const batchValue = (text) => (text === AUTO ? AUTO : Number(text));

const conflatedText = (skipped) => `Showing the latest prices; ${formatVolume(skipped)} ticks skipped to keep up.`;

function behindAdvice(backlogMs, batchMode) {
  const late = `Even the newest messages arrive ${formatStat(backlogMs, 0)} ms late. `;
  if (batchMode === 0) return `${late}Batching lets this page take many messages per call: try auto batching.`;
  return `${late}It is batched already: a longer tick period (slider) lightens the stream.`;
}

function escapeHtml(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const NO_ALERTS_HTML = '<li class="alert-empty">No alerts yet.</li>';
const alertText = (alert) => `${alert.symbol} ${alert.direction} ${formatPrice(alert.price)}`;

function alertsHtml(alerts) {
  if (alerts.length === 0) return NO_ALERTS_HTML;
  return alerts
    .map((alert, index) => {
      const text = escapeHtml(alertText(alert));
      const fired = alert.fired;
      const times = fired ? `fired ${fired}${fired === 1 ? " time" : " times"}` : "armed";
      return (
        `<li class="alert-item"><span class="alert-text">${text}</span> <span class="alert-fired">${times}</span> ` +
        `<button type="button" data-remove="${index}" aria-label="Remove alert ${text}">Remove</button></li>`
      );
    })
    .join("");
}

function tradeRowHtml(trade) {
  const side = escapeHtml(String(trade.side));
  return (
    `<tr data-side="${side}"><td>${formatClock(trade.ts)}</td><td>${escapeHtml(String(trade.symbol))}</td>` +
    `<td class="side">${side}</td><td class="num">${formatPrice(trade.price)}</td>` +
    `<td class="num">${formatSize(trade.size)}</td></tr>`
  );
}

function tradesHtml(trades, from = 0) {
  let html = "";
  for (let i = trades.length - 1; i >= from; i--) html += tradeRowHtml(trades[i]);
  return html;
}

const EMPTY_LEVEL = [PLACEHOLDER, PLACEHOLDER, "scaleX(0)"];

function ladderLevels(book) {
  const bids = book ? book.bids : [];
  const asks = book ? book.asks : [];
  let largest = 0;
  for (const [, size] of bids) largest = Math.max(largest, size);
  for (const [, size] of asks) largest = Math.max(largest, size);
  const rows = (levels) => {
    const filled = levels
      .slice(0, BOOK_DEPTH)
      .map(([price, size]) => [formatPrice(price), formatSize(size), depthScale(size, largest)]);
    while (filled.length < BOOK_DEPTH) filled.push(EMPTY_LEVEL);
    return filled;
  };
  return rows(asks).reverse().concat(rows(bids));
}

function bookSpread(book) {
  if (!book?.bids.length || !book.asks.length) return PLACEHOLDER;
  const bid = book.bids[0][0];
  const ask = book.asks[0][0];
  return formatNumber(ask - bid, priceDecimals(ask));
}

// The same incremental sparkline as client/sparkline.py: points in data coordinates, a
// transform matrix mapping them into the box by the reference formula.
class Sparkline {
  constructor() {
    this.points = [];
    this.first = 0;
    this.baseIndex = 0;
    this.baseValue = 0;
  }

  point(index, value) {
    return `${index - this.baseIndex},${Number((value - this.baseValue).toPrecision(6))}`;
  }

  update(history, total) {
    if (history.length === 0) {
      this.points = [];
      return ["", ""];
    }
    const first = total - history.length;
    const knownEnd = this.first + this.points.length;
    if (
      !this.points.length ||
      first < this.first ||
      first > knownEnd ||
      total < knownEnd ||
      total - this.baseIndex > REBASE_AFTER
    ) {
      this.baseIndex = first;
      this.baseValue = history[0];
      this.points = history.map((value, offset) => this.point(first + offset, value));
    } else {
      this.points.splice(0, first - this.first);
      const fresh = total - knownEnd;
      for (let offset = history.length - fresh; offset < history.length; offset++) {
        this.points.push(this.point(first + offset, history[offset]));
      }
    }
    this.first = first;
    let low = Infinity;
    let high = -Infinity;
    for (const value of history) {
      if (value < low) low = value;
      if (value > high) high = value;
    }
    let span = high - low;
    if (Math.abs(span) < FLAT_RANGE) span = 1;
    const step = history.length > 1 ? SPARKLINE_WIDTH / (history.length - 1) : 0;
    const scaleY = SPARKLINE_HEIGHT / span;
    const shiftX = (this.baseIndex - first) * step;
    const shiftY = SPARKLINE_HEIGHT - (this.baseValue - low) * scaleY;
    return [this.points.join(" "), `matrix(${step} 0 0 ${-scaleY} ${shiftX} ${shiftY})`];
  }
}

// ---------------------------------------------------------------- charts (as client/charts.py)

const SECONDS_SHOWN = FPS_SAMPLES; // one point per second: the last minute
const SLOT_WIDTH = 10; // between two seconds' points; whole-number coordinates, as client/charts.py
const CHART_HEIGHT = 100;
const SMALLEST_TOP = 1;
// Bins of receipt-to-paint latency, ms, the same as every engine's: bin i holds
// edges[i] <= latency < edges[i + 1]; the first also holds anything below, the last anything above.
const LATENCY_EDGES_MS = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
  32, 33, 34, 40, 50, 60, 80, 100, 150, 200, 300, 500, 1000, 2000, 5000,
];

// How many values of the sorted `ordered` are below `limit`.
function countBelow(ordered, limit) {
  let low = 0;
  let high = ordered.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (ordered[middle] < limit) low = middle + 1;
    else high = middle;
  }
  return low;
}

// The count of sorted `ordered` in each bin between LATENCY_EDGES_MS.
function histogram(ordered) {
  const counts = [];
  let start = 0;
  for (let i = 1; i < LATENCY_EDGES_MS.length - 1; i++) {
    const end = countBelow(ordered, LATENCY_EDGES_MS[i]);
    counts.push(end - start);
    start = end;
  }
  counts.push(ordered.length - start);
  return counts;
}

// SVG polyline points of the newest SECONDS_SHOWN values, the newest at the right edge, y
// rounded to whole units; a null value (a second without one) leaves its slot out.
function linePoints(values, top) {
  const shown = values.slice(-SECONDS_SHOWN);
  const offset = SECONDS_SHOWN - shown.length;
  const scale = CHART_HEIGHT / top;
  const points = [];
  shown.forEach((value, index) => {
    if (value === null) return;
    points.push(`${(offset + index) * SLOT_WIDTH},${Math.trunc(CHART_HEIGHT + 0.5 - Math.min(value, top) * scale)}`);
  });
  return points.join(" ");
}

// The most values of one second that the panel sorts for a figure (client/charts.py).
const SECOND_SAMPLES_SORTED = 200;

// At most `most` of `values`, evenly spread over them (every k-th), in their order.
function thinned(values, most = SECOND_SAMPLES_SORTED) {
  if (values.length <= most) return values;
  const step = Math.ceil(values.length / most);
  return values.filter((_, index) => index % step === 0);
}

// p50 and p95 of `values` (thinned to SECOND_SAMPLES_SORTED) by the reference's rule, and
// their mean if `withMean` (as client/charts.py, which spares MicroPython the sums it does not show).
function figuresOf(values, withMean) {
  if (!values.length) return { mean: null, p50: null, p95: null };
  const sorted = Float64Array.from(thinned(values)).sort();
  let mean = null;
  if (withMean) {
    mean = 0;
    for (const value of sorted) mean += value;
    mean /= sorted.length;
  }
  const at = (q) => sorted[Math.floor((sorted.length - 1) * q)];
  return { mean, p50: at(0.5), p95: at(0.95) };
}

// Series of one value per second, the last SECONDS_SHOWN of each, on one scale.
class SecondsChart {
  constructor(count) {
    this.series = Array.from({ length: count }, () => []);
  }

  add(values) {
    this.series.forEach((series, i) => {
      series.push(values[i]);
      if (series.length > SECONDS_SHOWN) series.shift();
    });
  }

  clear() {
    for (const series of this.series) series.length = 0;
  }

  // [points of each series, the first series' newest value, the scale's top].
  drawn() {
    let top = null;
    for (const series of this.series)
      for (const value of series) if (value !== null) top = Math.max(top ?? SMALLEST_TOP, value);
    if (top === null) return [this.series.map(() => ""), null, null];
    const first = this.series[0];
    return [this.series.map((series) => linePoints(series, top)), first.length ? first[first.length - 1] : null, top];
  }
}

// ---------------------------------------------------------------- measurement (as client/measure.py)

class Samples {
  constructor(capacity) {
    this.capacity = capacity;
    this.values = [];
    this.next = 0;
    this.total = 0; // values added since the last clear, kept ones or not
  }

  add(value) {
    this.total++;
    if (this.values.length < this.capacity) this.values.push(value);
    else {
      this.values[this.next] = value;
      this.next = (this.next + 1) % this.capacity;
    }
  }

  clear() {
    this.values = [];
    this.next = 0;
    this.total = 0;
  }

  // The last `count` values added (fewer if fewer are kept), oldest first.
  newest(count) {
    const kept = this.values;
    count = Math.min(count, kept.length);
    if (count <= 0) return [];
    const start = this.next - count;
    if (start >= 0) return kept.slice(start, this.next);
    return kept.slice(start).concat(kept.slice(0, this.next));
  }

  ordered() {
    return this.values.slice(this.next).concat(this.values.slice(0, this.next));
  }
}

function summarize(values) {
  return summarizeSorted(Float64Array.from(values).sort());
}

function summarizeSorted(sorted) {
  if (!sorted.length) return { mean: null, p50: null, p95: null, p99: null, n: 0 };
  const at = (q) => sorted[Math.floor((sorted.length - 1) * q)];
  let sum = 0;
  for (const value of sorted) sum += value;
  return { mean: sum / sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), n: sorted.length };
}

class PerSecond {
  constructor(now) {
    this.restart(now);
  }

  restart(now) {
    this.last = null;
    this.count = 0;
    this.since = now;
  }

  tick(now) {
    const elapsed = now - this.since;
    if (elapsed < 1000) return false;
    this.last = (this.count * 1000) / elapsed;
    this.count = 0;
    this.since = now;
    return true;
  }
}

class Measurements {
  constructor(now) {
    this.timeOrigin = performance.timeOrigin;
    this.latency = new Samples(LATENCY_SAMPLES);
    this.wire = new Samples(LATENCY_SAMPLES);
    this.handler = new Samples(LATENCY_SAMPLES);
    this.render = new Samples(RENDER_SAMPLES);
    this.panel = new Samples(PANEL_SAMPLES);
    this.fps = new Samples(FPS_SAMPLES);
    this.frames = new PerSecond(now);
    this.rate = new PerSecond(now);
    this.unpainted = [];
    this.readyMs = null;
    this.backlogMs = null;
    this.recentBacklogMs = null; // the same, since takeRecentBacklog
    this.lateReports = 0;
    this.hopelessReports = 0;
    this.batch = "0";
    this.delivery = "full";
  }

  received(receivedMs, tsUs, handlerUs) {
    this.unpainted.push(receivedMs);
    this.rate.count++;
    this.handler.add(handlerUs);
    if (tsUs != null) this.addWire(this.timeOrigin + receivedMs - tsUs / 1000);
  }

  // One batch frame of `count` messages, `stamps` the server ts of those that carry one.
  receivedBatch(receivedMs, count, stamps, handlerUs) {
    for (let i = 0; i < count; i++) this.unpainted.push(receivedMs);
    this.rate.count += count;
    this.handler.add(handlerUs);
    if (!stamps.length) return;
    const arrived = this.timeOrigin + receivedMs;
    for (let i = 0; i < stamps.length - 1; i++) this.wire.add(arrived - stamps[i] / 1000);
    this.addWire(arrived - stamps[stamps.length - 1] / 1000);
  }

  addWire(wireMs) {
    this.wire.add(wireMs);
    if (this.backlogMs === null || wireMs < this.backlogMs) this.backlogMs = wireMs;
    if (this.recentBacklogMs === null || wireMs < this.recentBacklogMs) this.recentBacklogMs = wireMs;
  }

  // The backlog since the last call alone (null: nothing arrived).
  takeRecentBacklog() {
    const backlog = this.recentBacklogMs;
    this.recentBacklogMs = null;
    return backlog;
  }

  // The smallest wire latency since the last call (null: nothing arrived); counts late reports.
  takeBacklog() {
    const backlog = this.backlogMs;
    this.backlogMs = null;
    if (backlog !== null) {
      this.lateReports = backlog > BEHIND_MS ? this.lateReports + 1 : 0;
      this.hopelessReports = backlog > HOPELESS_MS ? this.hopelessReports + 1 : 0;
    }
    return backlog;
  }

  get behind() {
    return this.lateReports >= BEHIND_REPORTS;
  }

  get hopeless() {
    return this.hopelessReports >= HOPELESS_REPORTS;
  }

  // The stream starts afresh: the old backlog says nothing of the new one.
  restarted() {
    this.hopelessReports = 0;
    this.lateReports = 0;
    this.backlogMs = null;
  }

  painted(paintMs) {
    for (const receivedMs of this.unpainted) this.latency.add(paintMs - receivedMs);
    this.unpainted.length = 0;
  }

  frame(now) {
    this.frames.count++;
    if (this.frames.tick(now)) this.fps.add(this.frames.last);
    this.rate.tick(now);
  }

  reset(now) {
    for (const samples of [this.latency, this.wire, this.handler, this.render, this.panel, this.fps]) samples.clear();
    this.frames.restart(now);
    this.rate.restart(now);
    this.unpainted.length = 0;
  }

  // FPS of the last second, and mean and min over the last minute.
  fpsSummary() {
    const fps = this.fps.ordered();
    if (!fps.length) return { last: null, mean: null, min: null };
    let sum = 0;
    for (const value of fps) sum += value;
    return { last: fps[fps.length - 1], mean: sum / fps.length, min: Math.min(...fps) };
  }

  report(state, received, gaps, conflated) {
    const wire = summarize(this.wire.values);
    const handler = summarize(this.handler.values);
    const render = summarize(this.render.values);
    const panel = summarize(this.panel.values);
    const latency = Float64Array.from(this.latency.values).sort();
    return {
      engine: "js",
      state,
      received,
      gaps,
      conflated,
      delivery: this.delivery,
      rate: this.rate.last,
      latency_ms: summarizeSorted(latency),
      wire_ms: { p50: wire.p50, p95: wire.p95 },
      handler_us: { p50: handler.p50, p95: handler.p95 },
      render_ms: { p50: render.p50, p95: render.p95 },
      fps: this.fpsSummary(),
      ready_ms: this.readyMs,
      batch: this.batch,
      behind: this.behind,
      panel_us: { mean: panel.mean, p95: panel.p95 },
      latency_hist: { edges_ms: LATENCY_EDGES_MS.slice(), counts: histogram(latency) },
    };
  }
}

// ---------------------------------------------------------------- the store (as client/store.py)

// Whether a stream message has the fields and types the views will format.
const NUMERIC_FIELDS = {
  price: ["price", "volume", "ts"],
  trade: ["price", "size", "ts"],
  book: ["ts"],
  system: ["cpu_pct", "mem_mb", "msg_rate", "ts"],
  gap: ["first", "last"],
  conflated: ["first", "last", "skipped"],
};
const isNumber = (value) => typeof value === "number" && Number.isFinite(value);
const isLevels = (levels) =>
  Array.isArray(levels) &&
  levels.every((level) => Array.isArray(level) && level.length === 2 && isNumber(level[0]) && isNumber(level[1]));

function wellFormed(message) {
  if (message.seq != null && !Number.isInteger(message.seq)) return false;
  for (const name of NUMERIC_FIELDS[message.type] || []) if (!isNumber(message[name])) return false;
  if (["price", "trade", "book"].includes(message.type) && typeof message.symbol !== "string") return false;
  if (message.type === "book") return isLevels(message.bids) && isLevels(message.asks);
  return true;
}

class Store {
  constructor(window) {
    this.window = window;
    this.state = "loading";
    this.paused = false;
    this.frequencyMs = null;
    this.symbols = [];
    this.histories = new Map();
    this.lastPrices = new Map();
    this.priceCounts = new Map();
    this.books = new Map();
    this.trades = [];
    this.tradesTotal = 0;
    this.system = null;
    this.epoch = 0;
    this.lastSeq = 0;
    this.market = ""; // the run of the market lastSeq belongs to
    this.received = 0;
    this.gaps = 0;
    this.conflated = 0; // skipped on purpose by the server: the newest value is shown
    this.conflatedThrough = 0; // seqs up to this one may be missing: they were conflated
    this.conflatedLately = 0; // skipped since the server last moved this page to conflated
    this.delivery = null; // the server's latest word on conflated or full delivery
    this.freshStartReason = null; // why the page asked for a fresh snapshot
    this.duplicates = 0;
    this.unknown = 0;
    // What the next frame must redraw.
    this.dirtyPrices = new Set();
    this.dirtyBooks = new Set();
    this.dirtyTrades = false;
    this.dirtySystem = false;
    this.onConfig = null;
    this.onError = null;
    this.onBatch = null;
    this.batch = null; // the server's latest batch reply: mode and interval
  }

  apply(message) {
    this.received++;
    const kind = message.type;
    if (kind === "snapshot") {
      this.applySnapshot(message);
      return true;
    }
    if (!wellFormed(message)) {
      this.unknown++;
      return false;
    }
    const seq = message.seq;
    if (seq != null) {
      if (seq <= this.lastSeq) {
        this.duplicates++;
        return false;
      }
      // What a conflated interval stood for was counted by its notice, not lost.
      if (this.lastSeq && seq > this.lastSeq + 1)
        this.gaps += Math.max(0, seq - Math.max(this.lastSeq, this.conflatedThrough) - 1);
      this.lastSeq = seq;
    }
    switch (kind) {
      case "price": {
        const history = this.histories.get(message.symbol);
        if (history === undefined) return true;
        history.push(message.price);
        if (history.length > this.window) history.splice(0, history.length - this.window);
        this.lastPrices.set(message.symbol, message);
        this.priceCounts.set(message.symbol, this.priceCounts.get(message.symbol) + 1);
        this.dirtyPrices.add(message.symbol);
        return true;
      }
      case "book":
        if (!this.histories.has(message.symbol)) return true;
        this.books.set(message.symbol, message);
        this.dirtyBooks.add(message.symbol);
        return true;
      case "trade":
        this.trades.push(message);
        if (this.trades.length > TRADES_LIMIT) this.trades.splice(0, this.trades.length - TRADES_LIMIT);
        this.tradesTotal++;
        this.dirtyTrades = true;
        return true;
      case "system":
        this.system = message;
        this.dirtySystem = true;
        return true;
      case "config":
        this.frequencyMs = message.frequency_ms;
        this.market = message.market || "";
        if (this.onConfig) this.onConfig(message.frequency_ms);
        return true;
      case "error":
        if (this.onError) this.onError(message);
        return true;
      case "gap":
        this.applyGap(message);
        return true;
      case "conflated":
        this.conflated += Math.max(0, message.skipped);
        this.conflatedLately += Math.max(0, message.skipped);
        this.conflatedThrough = Math.max(this.conflatedThrough, message.last);
        return true;
      case "delivery":
        // A new stretch (a rung changed: the same one).
        if (this.delivery === null || this.delivery.mode !== message.mode) this.conflatedLately = 0;
        this.delivery = message;
        return true;
      case "batch":
        this.batch = message;
        if (this.onBatch) this.onBatch(message);
        return true;
      default:
        this.unknown++;
        return false;
    }
  }

  // Counted like any other gap; the snapshot that follows makes the state whole again.
  applyGap(message) {
    const missed = Math.max(0, message.last - message.first + 1);
    this.gaps += missed;
    if (this.onError) {
      this.onError({
        code: "gap",
        message: `${missed} messages were lost (${message.reason}); the page was resynced from a fresh snapshot`,
      });
    }
  }

  // The page dropped its stream on purpose; the next snapshot's skipped seqs are a gap with this reason.
  expectFreshSnapshot(reason) {
    this.freshStartReason = reason;
  }

  applySnapshot(snapshot) {
    const reason = this.freshStartReason;
    this.freshStartReason = null;
    if (reason !== null && this.lastSeq && snapshot.seq > this.lastSeq) {
      this.applyGap({ first: this.lastSeq + 1, last: snapshot.seq, reason });
    }
    this.delivery = null; // a new connection starts with full delivery
    this.symbols = snapshot.config.symbols.slice();
    this.market = snapshot.config.market || "";
    this.histories = new Map();
    for (const symbol of this.symbols) {
      const history = (snapshot.prices[symbol] || []).slice(-this.window);
      this.histories.set(symbol, history);
      this.priceCounts.set(symbol, (this.priceCounts.get(symbol) || 0) + history.length);
      this.dirtyPrices.add(symbol);
      this.dirtyBooks.add(symbol);
    }
    this.lastPrices = new Map(Object.entries(snapshot.last).filter(([symbol]) => this.histories.has(symbol)));
    this.books = new Map(Object.entries(snapshot.books).filter(([symbol]) => this.histories.has(symbol)));
    this.trades = snapshot.trades.slice(-TRADES_LIMIT);
    this.tradesTotal += this.trades.length;
    this.dirtyTrades = true;
    this.system = snapshot.system;
    this.dirtySystem = true;
    this.frequencyMs = snapshot.config.frequency_ms;
    if (this.onConfig) this.onConfig(this.frequencyMs);
    this.lastSeq = snapshot.seq;
    this.epoch++;
  }

  setWindow(window) {
    this.window = window;
    for (const [symbol, history] of this.histories) {
      if (history.length > window) history.splice(0, history.length - window);
      this.dirtyPrices.add(symbol);
    }
  }

  resetCounts() {
    this.received = 0;
    this.gaps = 0;
    this.conflated = 0;
    this.duplicates = 0;
    this.unknown = 0;
  }
}

// ---------------------------------------------------------------- the page (as client/chrome.py, client/writes.py)

function bound(root, attribute, name) {
  const selector = `[${attribute}="${name}"]`;
  const element = root.querySelector(selector);
  if (element === null) throw new Error(`the page has no ${selector} node to hydrate`);
  return element;
}

const field = (root, name) => bound(root, "data-field", name);

// A node's text, changed in place (a new Text node would cost style and layout work).
class Text {
  constructor(element) {
    this.element = element;
    this.shown = element.textContent;
  }

  show(value) {
    if (value === this.shown) return;
    this.shown = value;
    const child = this.element.firstChild;
    if (child !== null && child.nodeType === Node.TEXT_NODE && child.nextSibling === null) child.data = value;
    else this.element.textContent = value;
  }
}

class Attribute {
  constructor(element, name) {
    this.element = element;
    this.name = name;
    this.shown = element.getAttribute(name) ?? "";
  }

  show(value) {
    if (value === this.shown) return;
    this.shown = value;
    this.element.setAttribute(this.name, value);
  }
}

class Transform {
  constructor(element) {
    this.style = element.style;
    this.shown = this.style.transform;
  }

  show(value) {
    if (value === this.shown) return;
    this.shown = value;
    this.style.transform = value;
  }
}

// ---------------------------------------------------------------- the panels (as client/panels.py)

class Card {
  constructor(element, store) {
    this.element = element;
    this.symbol = element.dataset.symbol;
    this.store = store;
    this.price = new Text(field(element, "price"));
    this.change = new Text(field(element, "change"));
    this.volume = new Text(field(element, "volume"));
    const line = field(element, "sparkline");
    this.points = new Attribute(line, "points");
    this.transform = new Attribute(line, "transform");
    this.direction = new Attribute(element, "data-direction");
    this.sparkline = new Sparkline();
  }

  render() {
    const store = this.store;
    const history = store.histories.get(this.symbol) || [];
    const pct = history.length > 1 ? changePct(history[0], history[history.length - 1]) : null;
    const last = store.lastPrices.get(this.symbol);
    this.price.show(formatPrice(history.length ? history[history.length - 1] : null));
    this.change.show(formatChange(pct));
    this.direction.show(changeDirection(pct));
    this.volume.show(formatVolume(last ? last.volume : null));
    const [points, transform] = this.sparkline.update(history, store.priceCounts.get(this.symbol));
    this.points.show(points);
    this.transform.show(transform);
  }
}

class Ladder {
  constructor(element, store) {
    this.element = element;
    this.symbol = element.dataset.book;
    this.store = store;
    this.cells = [...element.querySelectorAll("tr[data-level]")].map((row) => [
      new Text(field(row, "price")),
      new Text(field(row, "size")),
      new Transform(field(row, "depth")),
    ]);
    this.spread = new Text(field(element, "spread"));
  }

  render() {
    const book = this.store.books.get(this.symbol);
    this.spread.show(bookSpread(book));
    const levels = ladderLevels(book);
    for (let i = 0; i < this.cells.length; i++) {
      const [price, size, depth] = this.cells[i];
      price.show(levels[i][0]);
      size.show(levels[i][1]);
      depth.show(levels[i][2]);
    }
  }
}

class SystemPanel {
  constructor(element, store) {
    this.element = element;
    this.store = store;
    this.texts = ["cpu_pct", "mem_mb", "msg_rate"].map((name) => new Text(field(element, name)));
  }

  render() {
    const { cpu_pct: cpu, mem_mb: memory, msg_rate: rate } = this.store.system;
    this.texts[0].show(formatNumber(cpu, 1));
    this.texts[1].show(formatVolume(memory));
    this.texts[2].show(formatVolume(rate));
  }
}

// New trades go in at the top as one HTML insertion; a snapshot redraws the tape whole.
class Tape {
  constructor(body, store) {
    this.element = body;
    this.body = body;
    this.store = store;
    this.total = store.tradesTotal;
    this.epoch = store.epoch;
  }

  render() {
    const store = this.store;
    if (store.epoch !== this.epoch) {
      this.epoch = store.epoch;
      this.body.innerHTML = tradesHtml(store.trades);
    } else {
      const fresh = Math.min(store.tradesTotal - this.total, TRADES_LIMIT, store.trades.length);
      if (fresh > 0) {
        this.body.insertAdjacentHTML("afterbegin", tradesHtml(store.trades, store.trades.length - fresh));
        while (this.body.rows.length > TRADES_LIMIT) this.body.deleteRow(-1);
      }
    }
    this.total = store.tradesTotal;
  }
}

const PERFORMANCE_FIELDS = [
  "rate",
  "received",
  "gaps",
  "conflated",
  "latency-mean",
  "latency-p50",
  "latency-p95",
  "wire-p50",
  "wire-p95",
  "handler-p50",
  "handler-p95",
  "fps-last",
  "fps-mean",
  "fps-min",
  "ready",
];

function performanceTexts(report) {
  const { latency_ms: latency, wire_ms: wire, handler_us: handler, fps } = report;
  return [
    formatStat(report.rate, 0),
    formatVolume(report.received),
    formatVolume(report.gaps),
    formatVolume(report.conflated),
    formatStat(latency.mean, 2),
    formatStat(latency.p50, 2),
    formatStat(latency.p95, 2),
    formatStat(wire.p50, 2),
    formatStat(wire.p95, 2),
    formatStat(handler.p50, 0),
    formatStat(handler.p95, 0),
    formatStat(fps.last, 1),
    formatStat(fps.mean, 1),
    formatStat(fps.min, 1),
    formatStat(report.ready_ms, 0),
  ];
}

// The performance panel's live charts (as client/charts.py): once a second, when the
// frame rate closes a second, each chart gains that second's point and its lines are redrawn.
class BoundChart {
  constructor(element, series, decimals) {
    this.lines = series.map((name) => new Attribute(bound(element, "data-series", name), "points"));
    this.now = new Text(bound(element, "data-readout", "now"));
    this.top = new Text(bound(element, "data-readout", "max"));
    this.seconds = new SecondsChart(series.length);
    this.decimals = decimals;
  }

  add(values) {
    this.seconds.add(values);
    const [lines, newest, top] = this.seconds.drawn();
    this.lines.forEach((line, i) => {
      line.show(lines[i]);
    });
    this.now.show(formatStat(newest, this.decimals));
    this.top.show(formatStat(top, this.decimals));
  }

  clear() {
    this.seconds.clear();
    for (const line of this.lines) line.show("");
    this.now.show(PLACEHOLDER);
    this.top.show(PLACEHOLDER);
  }
}

// The values a measurement window gained since the last look.
class Fresh {
  constructor(samples) {
    this.samples = samples;
    this.seen = 0;
  }

  take() {
    const fresh = this.samples.newest(this.samples.total - this.seen);
    this.seen = this.samples.total;
    return fresh;
  }
}

// The performance panel (as client/panel.py): redrawn once a second, when the frame rate
// closes a second, from that second's measurements alone (its latency, wire and handler
// figures are the last second's; FPS mean and min span the last minute), and each chart gains
// that second's point.
class PerformancePanel {
  constructor(root, measurements) {
    const panel = bound(root, "data-panel", "performance");
    this.texts = PERFORMANCE_FIELDS.map((name) => new Text(field(panel, name)));
    this.seq = new Text(field(root, "seq"));
    this.latencyChart = new BoundChart(bound(root, "data-chart", "latency"), ["p95", "mean"], 1);
    this.fpsChart = new BoundChart(bound(root, "data-chart", "fps"), ["fps"], 0);
    this.measurements = measurements;
    this.secondsSeen = 0;
    this.latency = new Fresh(measurements.latency);
    this.wire = new Fresh(measurements.wire);
    this.handler = new Fresh(measurements.handler);
  }

  // Whether a second has closed since the last refresh (the panel's only work in other frames).
  due() {
    return this.measurements.fps.total !== this.secondsSeen;
  }

  refresh(seq, received, gaps, conflated) {
    const measurements = this.measurements;
    this.secondsSeen = measurements.fps.total;
    const latency = figuresOf(this.latency.take(), true);
    const fps = measurements.fpsSummary();
    const report = {
      rate: measurements.rate.last,
      received,
      gaps,
      conflated,
      latency_ms: latency,
      wire_ms: figuresOf(this.wire.take(), false),
      handler_us: figuresOf(this.handler.take(), false),
      fps,
      ready_ms: measurements.readyMs,
    };
    this.seq.show(String(seq));
    const texts = performanceTexts(report);
    for (let i = 0; i < texts.length; i++) this.texts[i].show(texts[i]);
    this.latencyChart.add([latency.p95, latency.mean]);
    this.fpsChart.add([fps.last]);
  }

  clear() {
    this.secondsSeen = 0;
    for (const fresh of [this.latency, this.wire, this.handler]) fresh.seen = 0;
    this.latencyChart.clear();
    this.fpsChart.clear();
  }
}

function retryDelayMs(failures) {
  const step = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, failures - 1));
  return step / 2 + (Math.random() * step) / 2;
}

class Engine {
  constructor() {
    const params = new URLSearchParams(location.search);
    const asked = Number(params.get("window"));
    this.store = new Store(WINDOW_SIZES.includes(asked) ? asked : DEFAULT_WINDOW);
    this.store.apply(JSON.parse(document.getElementById("tickscope-snapshot").textContent));
    this.symbols = this.store.symbols.join("\n");
    this.store.received = 0;
    this.measurements = new Measurements(performance.now());
    this.cards = new Map(
      [...document.querySelectorAll(".card[data-symbol]")].map((el) => [el.dataset.symbol, new Card(el, this.store)]),
    );
    this.ladders = new Map(
      [...document.querySelectorAll("[data-book]")].map((el) => [el.dataset.book, new Ladder(el, this.store)]),
    );
    this.tape = new Tape(bound(document, "data-list", "trades"), this.store);
    const system = bound(document, "data-panel", "system");
    this.systemView = new SystemPanel(system, this.store);
    this.windowHint = new Text(field(document, "window"));
    this.waiting = new Set(); // stale views, in the order they went stale
    this.offScreen = this.watchRegions(
      [...this.cards.values(), ...this.ladders.values(), this.tape, this.systemView].map((view) => view.element),
    );
    this.panel = new PerformancePanel(document, this.measurements);
    this.lastMessageMs = performance.now();
    this.warned = false;
    this.toasts = bound(document, "data-list", "toasts");
    this.shownToasts = [];
    this.store.dirtyPrices.clear(); // the page already shows the embedded snapshot
    this.store.dirtyBooks.clear();
    this.store.dirtyTrades = false;
    this.store.dirtySystem = false;
    this.store.onConfig = (frequencyMs) => this.followServer(frequencyMs);
    this.store.onError = (error) => this.toast(`Server: ${error.code}`, error.message);
    this.store.onBatch = (reply) => {
      this.batchReadout.textContent = batchText(reply.batch_ms, reply.interval_ms);
    };
    this.behindBanner = bound(document, "data-bind", "behind");
    this.behindText = field(document, "behind-text");
    this.behindTitle = field(document, "behind-title");
    this.nextBacklogMs = 0;
    this.nextEarlyMs = 0;
    field(document, "engine-label").textContent = "JavaScript";
    this.stateLabel = field(document, "state-label");
    this.loadingText = field(document, "loading-text");
    this.setState("loading");
    this.frame = this.frame.bind(this);
    this.onMessage = this.onMessage.bind(this);
    this.failures = 0;
    this.closing = false;
    this.bindControls();
    this.openChart();
    window.tickscope = {
      engine: "js",
      analytics: () => this.chart.snapshot(),
      metrics: () => {
        // The server's word on the mode in force, read when asked.
        this.measurements.batch = this.store.batch ? String(this.store.batch.batch_ms) : "0";
        this.measurements.delivery = this.conflatedNow() ? "conflated" : "full";
        const { state, received, gaps, conflated } = this.store;
        return this.measurements.report(state, received, gaps, conflated);
      },
      reset: () => this.reset(),
    };
    addEventListener("pagehide", () => this.close());
  }

  start() {
    requestAnimationFrame(this.frame);
    this.connect();
  }

  setState(state) {
    this.store.state = state;
    document.documentElement.dataset.state = state;
    this.stateLabel.textContent = STATE_LABELS[state] ?? state;
    this.loadingText.textContent = LOADING_TEXTS[state] ?? "";
  }

  // -- the socket ----------------------------------------------------------------------------

  // `fresh`: from a new snapshot, even after a failure (never resume).
  connect(fresh = false) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    // Coming back, the server sends only what was missed, not a whole new snapshot.
    const { lastSeq, market } = this.store;
    const resuming = this.failures && !fresh && lastSeq && market;
    let query = resuming ? `?resume_from=${lastSeq}&market=${market}` : "";
    if (fresh) query = FRESH_START_QUERY; // it could not keep up: start on conflated delivery
    const socket = new WebSocket(`${scheme}//${location.host}/ws${query}`);
    socket.onmessage = this.onMessage;
    socket.onopen = () => {
      this.failures = 0;
      // The server starts every connection unbatched.
      if (this.batchMode !== 0) this.send({ batch_ms: this.batchMode });
    };
    socket.onclose = () => {
      this.socket = null;
      if (this.closing) return;
      this.failures++;
      this.setState(this.failures >= OFFLINE_AFTER_FAILURES ? "offline" : "reconnecting");
      this.retry = setTimeout(() => this.connect(), retryDelayMs(this.failures));
    };
    this.socket = socket;
  }

  // Drop this socket with whatever it still holds, and start again from a snapshot.
  reopenFresh() {
    const stale = this.socket;
    this.socket = null;
    clearTimeout(this.retry); // a reconnect was due anyway: this one replaces it
    if (stale) {
      stale.onclose = null; // not a failure: nothing to retry
      stale.onmessage = null;
      stale.close(1000);
    }
    this.connect(true);
  }

  close() {
    this.closing = true;
    if (this.socket) this.socket.close(1000);
  }

  send(payload) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(payload));
  }

  // The hot path: one call per frame (a message, or a batch of them).
  onMessage(event) {
    const started = performance.now();
    this.lastMessageMs = event.timeStamp;
    let message = null;
    try {
      message = JSON.parse(event.data);
    } catch {
      // not JSON: skipped below
    }
    if (Array.isArray(message)) {
      const stamps = [];
      const applied = this.applyBatch(message, stamps);
      this.measurements.receivedBatch(event.timeStamp, applied, stamps, (performance.now() - started) * 1000);
      return;
    }
    if (message === null || typeof message !== "object" || Array.isArray(message) || !this.applied(message)) {
      this.skipped(message);
      return;
    }
    if (message.type === "snapshot") this.resynced();
    // A resumed stream (no snapshot) or a silence ended.
    else if (["stale", "reconnecting", "offline"].includes(this.store.state)) this.setState("live");
    this.measurements.received(event.timeStamp, message.ts, (performance.now() - started) * 1000);
  }

  // Every message of a batch frame into the store; the next animation frame renders them once.
  applyBatch(messages, stamps) {
    let applied = 0;
    for (const message of messages) {
      if (message !== null && typeof message === "object" && !Array.isArray(message) && this.applied(message)) {
        applied++;
        if (message.ts != null) stamps.push(message.ts);
      } else {
        this.skipped(message);
      }
    }
    if (applied && this.store.state === "stale") this.setState("live");
    return applied;
  }

  applied(message) {
    try {
      if (!this.store.apply(message)) return false;
      const fired = this.chartOn ? this.chart.apply(message) : this.alerts.onMessage(message);
      if (fired.length > 0) this.alertsFired(fired);
      return true;
    } catch {
      // A message of a known type with missing or mistyped fields: nothing to show.
      this.store.unknown++;
      return false;
    }
  }

  // A frame this engine does not understand: skipped, counted, and said once.
  skipped(message) {
    if (message === null || typeof message !== "object" || Array.isArray(message)) this.store.unknown++;
    else if (Number.isInteger(message.seq) && message.seq <= this.store.lastSeq) return;
    if (!this.warned) {
      this.warned = true;
      console.warn("tickscope: skipped a server message it does not understand; further ones are counted, not logged");
    }
  }

  resynced() {
    if (this.store.symbols.join("\n") !== this.symbols) {
      location.reload();
      return;
    }
    if (this.measurements.readyMs === null) this.measurements.readyMs = performance.now();
    this.setState("live");
  }

  // -- the frame loop --------------------------------------------------------------------------

  frame() {
    requestAnimationFrame(this.frame);
    const now = performance.now();
    const store = this.store;
    if (store.paused) {
      this.measurements.unpainted.length = 0;
    } else {
      this.measurements.painted(now);
      const started = performance.now();
      const worked = this.render();
      if (worked) this.measurements.render.add(performance.now() - started);
    }
    this.measurements.frame(now);
    if (this.panel.due()) {
      const panelStarted = performance.now();
      this.panel.refresh(store.lastSeq, store.received, store.gaps, store.conflated);
      this.measurements.panel.add((performance.now() - panelStarted) * 1000);
    } else {
      this.measurements.panel.add(0); // its one comparison, as client/main.py
    }
    this.expireToasts(now);
    if (now >= this.nextBacklogMs) {
      this.nextBacklogMs = now + BACKLOG_REPORT_MS;
      this.checkBacklog();
    } else if (now >= this.nextEarlyMs) {
      this.reportEarly(now);
    }
    if (store.state === "live" && now - this.lastMessageMs > STALE_AFTER_MS) this.setState("stale");
  }

  // The elements (of `regions`) now off-screen, as an IntersectionObserver reports them.
  watchRegions(regions) {
    const offScreen = new Set();
    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (entry.isIntersecting) offScreen.delete(entry.target);
          else offScreen.add(entry.target);
        }
      },
      { rootMargin: ON_SCREEN_MARGIN },
    );
    for (const region of regions) observer.observe(region);
    return offScreen;
  }

  render() {
    const store = this.store;
    // Stale views wait in line, oldest first: an on-screen one draws now, an off-screen one
    // when it has a turn.
    const waiting = this.waiting;
    for (const symbol of store.dirtyPrices) {
      const card = this.cards.get(symbol);
      if (card !== undefined) waiting.add(card);
    }
    store.dirtyPrices.clear();
    for (const symbol of store.dirtyBooks) {
      const ladder = this.ladders.get(symbol);
      if (ladder !== undefined) waiting.add(ladder);
    }
    store.dirtyBooks.clear();
    if (store.dirtyTrades) waiting.add(this.tape);
    store.dirtyTrades = false;
    if (store.dirtySystem && store.system) waiting.add(this.systemView);
    store.dirtySystem = false;
    let turns = OFF_SCREEN_VIEWS_PER_FRAME;
    let worked = false;
    for (const view of waiting) {
      if (this.offScreen.has(view.element)) {
        if (turns === 0) continue;
        turns -= 1;
      }
      view.render();
      waiting.delete(view);
      worked = true;
    }
    this.windowHint.show(String(store.window));
    return this.drawChart() || worked;
  }

  // The chart's changes since the last frame, drawn as part of the frame's render (and timed
  // with it), as client/chart.py's draw is.
  drawChart() {
    if (!this.chartOn) return false;
    const drawing = this.chart.takeDrawing();
    if (drawing === null) return false;
    chartDraw(JSON.stringify(drawing));
    if (drawing.reset) this.showAlertLines();
    return true;
  }

  // Report the backlog to auto; say on the page while the client falls behind or is conflated;
  // start afresh when even conflation leaves it hopelessly behind.
  checkBacklog() {
    const measurements = this.measurements;
    const backlog = measurements.takeBacklog();
    if (backlog !== null && this.batchMode === AUTO) this.send({ backlog_ms: Math.max(0, Math.trunc(backlog)) });
    if (measurements.hopeless) this.startAfresh();
    const conflated = this.conflatedNow();
    if (conflated) {
      this.behindTitle.textContent = CONFLATED_TITLE;
      this.behindText.textContent = conflatedText(this.store.conflatedLately);
    } else if (measurements.behind) {
      this.behindTitle.textContent = BEHIND_TITLE;
      this.behindText.textContent = behindAdvice(backlog, this.batchMode);
    }
    const shown = conflated || measurements.behind;
    if (this.behindBanner.hidden === shown) this.behindBanner.hidden = !shown;
  }

  reportEarly(now) {
    this.nextEarlyMs = now + EARLY_REPORT_MS;
    const backlog = this.measurements.takeRecentBacklog();
    if (backlog !== null && backlog > BEHIND_MS && this.batchMode === AUTO)
      this.send({ backlog_ms: Math.trunc(backlog) });
  }

  conflatedNow() {
    return this.store.delivery !== null && this.store.delivery.mode === "conflated";
  }

  // Drop the socket, and the stale backlog queued in it, for a fresh snapshot.
  startAfresh() {
    const reason = `the page was over ${HOPELESS_MS / 1000} s behind for ${HOPELESS_REPORTS} s; it started again from the newest data`;
    console.warn(`tickscope: ${reason}`);
    this.measurements.restarted();
    this.store.expectFreshSnapshot(reason);
    this.reopenFresh();
  }

  toast(title, text, kind = "warn") {
    const toast = document.createElement("div");
    toast.className = `toast toast-${kind}`;
    toast.setAttribute("role", "alert");
    const heading = document.createElement("strong");
    heading.textContent = title;
    const body = document.createElement("span");
    body.textContent = text;
    toast.append(heading, body);
    this.toasts.append(toast);
    this.shownToasts.push([performance.now() + TOAST_MS, toast]);
  }

  expireToasts(now) {
    while (this.shownToasts.length && this.shownToasts[0][0] <= now) this.shownToasts.shift()[1].remove();
  }

  reset() {
    this.store.resetCounts();
    this.measurements.reset(performance.now());
    this.panel.clear();
  }

  // -- controls --------------------------------------------------------------------------------

  bindControls() {
    const slider = bound(document, "data-control", "frequency");
    const readout = field(document, "frequency");
    const windowSelect = bound(document, "data-control", "window");
    const pause = bound(document, "data-control", "pause");
    const engine = bound(document, "data-control", "engine");
    const batchSelect = bound(document, "data-control", "batch");
    this.batchReadout = field(document, "batch");
    // What this page asks for on every (re)connection.
    this.batchMode = batchValue(batchSelect.value);
    const onBatch = () => {
      this.batchMode = batchValue(batchSelect.value);
      this.send({ batch_ms: this.batchMode });
    };
    batchSelect.addEventListener("change", onBatch);
    bound(document, "data-control", "batch-auto").addEventListener("click", () => {
      batchSelect.value = AUTO;
      onBatch();
    });
    this.slider = slider;
    this.readout = readout;
    this.touchedMs = -USER_HOLD_MS;
    this.sentFrequency = null;
    let wanted = null;
    let lastSendMs = -THROTTLE_MS;
    let timer = null;
    const flush = () => {
      timer = null;
      const value = wanted;
      wanted = null;
      // input and change both fire for one gesture: the same value goes out once.
      if (value !== null && value !== this.sentFrequency && value !== this.store.frequencyMs) {
        this.send({ frequency_ms: value });
        this.sentFrequency = value;
        lastSendMs = performance.now();
      }
    };
    const onFrequency = () => {
      const value = Number(slider.value);
      this.touchedMs = performance.now();
      readout.textContent = `${value} ms`;
      slider.setAttribute("aria-valuetext", readout.textContent);
      wanted = value;
      const wait = lastSendMs + THROTTLE_MS - this.touchedMs;
      if (wait <= 0) flush();
      else if (timer === null) timer = setTimeout(flush, wait);
    };
    slider.addEventListener("input", onFrequency);
    slider.addEventListener("change", onFrequency);
    const onWindow = () => this.store.setWindow(Number(windowSelect.value));
    windowSelect.addEventListener("input", onWindow);
    windowSelect.addEventListener("change", onWindow);
    pause.addEventListener("click", () => {
      this.store.paused = !this.store.paused;
      // A toggle keeps its name; "pressed" is the state (see client/controls.py).
      pause.setAttribute("aria-pressed", String(this.store.paused));
    });
    bound(document, "data-control", "reset").addEventListener("click", () => this.reset());
    engine.addEventListener("change", () => {
      // The chart's query and a shared code's #code= go along (client/main.py's switch_engine).
      const url = new URL(location.href);
      url.searchParams.set("engine", engine.value);
      url.searchParams.set("window", String(this.store.window));
      url.searchParams.set("batch", String(this.batchMode));
      location.assign(url.href);
    });
  }

  // -- the chart and alerts panels (client/chart.py and client/alert_panel.py) ------------------

  openChart() {
    const params = new URLSearchParams(location.search);
    const symbols = this.store.symbols;
    const symbol = symbols.includes(params.get("symbol")) ? params.get("symbol") : symbols[0];
    const interval = params.get("interval") in INTERVALS ? params.get("interval") : "1s";
    this.alerts = new Alerts();
    const skipped = this.alerts.loads(stored(ALERTS_KEY));
    this.chart = new Analytics(symbol, interval, indicatorNames(params.get("indicators")), this.alerts);
    this.chartOn = params.get("chart") !== CHART_OFF;
    this.symbolSelect = bound(document, "data-control", "symbol");
    this.intervalSelect = bound(document, "data-control", "interval");
    this.boxes = [...bound(document, "data-control", "indicators").querySelectorAll("input")];
    this.chartNote = field(document, "chart-note");
    this.cardList = bound(document, "data-list", "prices");
    this.symbolSelect.addEventListener("change", () => this.selectChart(this.symbolSelect.value, this.chart.interval));
    this.intervalSelect.addEventListener("change", () =>
      this.selectChart(this.chart.symbol, this.intervalSelect.value),
    );
    for (const box of this.boxes) {
      box.addEventListener("change", () => {
        const checked = this.boxes.filter((each) => each.checked).map((each) => each.value);
        this.chart.setIndicators(indicatorNames(checked.join(",")));
        this.showSelection();
      });
    }
    this.cardList.addEventListener("click", (event) => {
      const button = event.target.closest("[data-select]");
      if (button !== null && button.dataset.select !== this.chart.symbol) {
        this.selectChart(button.dataset.select, this.chart.interval);
      }
    });
    this.bindAlerts();
    this.showSelection(false); // the URL already says what the page shows
    if (this.chartOn) {
      chartOpen((text) => this.addAlert(this.chart.symbol, Number(text)));
      this.loadHistory();
    } else {
      this.chartNote.textContent = CHART_OFF_NOTE;
    }
    if (skipped) this.sayAlert(`${skipped} stored alerts could not be read and were left out.`);
  }

  selectChart(symbol, interval) {
    this.chart = new Analytics(symbol, interval, this.chart.names, this.alerts);
    this.showSelection();
    if (this.chartOn) this.loadHistory();
  }

  showSelection(keepUrl = true) {
    const chart = this.chart;
    this.symbolSelect.value = chart.symbol;
    this.alertSymbol.value = chart.symbol; // a new alert is most likely for the chart's
    this.intervalSelect.value = chart.interval;
    for (const button of this.cardList.querySelectorAll("[data-select]")) {
      button.setAttribute("aria-pressed", String(button.dataset.select === chart.symbol));
    }
    if (keepUrl) keepQuery(chart.symbol, chart.interval, chart.names.join(","));
  }

  loadHistory() {
    const chart = this.chart;
    this.chartNote.textContent = `Loading ${chart.symbol} history…`;
    chartHistory(chart.symbol, chart.interval, String(INTERVALS[chart.interval]), (status, text) => {
      let answer = null;
      try {
        answer = status === 200 ? JSON.parse(text) : null;
      } catch {
        answer = null;
      }
      if (answer === null) {
        this.chartNote.textContent = historyFailure(status, text);
        return;
      }
      if (answer.symbol !== this.chart.symbol || answer.interval !== this.chart.interval) return;
      this.chart.load(answer.candles);
      const shown = answer.candles.length;
      this.chartNote.textContent = shown ? `${shown} bars of history, then live` : "No history yet: live bars";
    });
  }

  bindAlerts() {
    const panel = bound(document, "data-panel", "alerts");
    this.alertSymbol = panel.querySelector('[name="alert-symbol"]');
    this.alertPrice = panel.querySelector('[name="alert-price"]');
    this.alertError = field(panel, "alert-error");
    this.alertList = bound(panel, "data-list", "alerts");
    const notifyButton = bound(panel, "data-control", "notify");
    const notifyState = field(panel, "notify-state");
    const showPermission = (permission) => {
      notifyState.textContent = NOTIFY_TEXTS[permission] ?? "";
      notifyButton.hidden = permission !== "default";
    };
    const add = () => {
      const price = Number(this.alertPrice.value.trim().replaceAll(",", ""));
      if (this.alertPrice.value.trim() === "" || Number.isNaN(price)) {
        this.sayAlert("Enter the alert's price as a number, e.g. 65000.5.");
        return;
      }
      if (this.addAlert(this.alertSymbol.value, price)) this.alertPrice.value = "";
    };
    bound(panel, "data-control", "add-alert").addEventListener("click", add);
    this.alertPrice.addEventListener("keydown", (event) => {
      if (event.key === "Enter") add();
    });
    this.alertList.addEventListener("click", (event) => {
      const button = event.target.closest("[data-remove]");
      if (button === null) return;
      this.alerts.remove(Number(button.dataset.remove));
      this.alertsSaved();
      this.alertPrice.focus(); // the removed button took the focus with it
    });
    notifyButton.addEventListener("click", () => askToNotify(showPermission));
    showPermission(notifyPermission());
    this.alertList.innerHTML = alertsHtml(this.alerts.asJson());
  }

  addAlert(symbol, price) {
    let alert;
    try {
      alert = this.alerts.add(symbol, price, this.store.lastPrices.get(symbol)?.price ?? null);
    } catch (error) {
      this.sayAlert(`${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.`);
      return false;
    }
    this.sayAlert("");
    this.alertsSaved();
    this.toast("Alert set", alertText(alert.asJson()), "info");
    return true;
  }

  alertsFired(fired) {
    for (const alert of fired) {
      const text = `${alertText(alert.asJson())} reached`;
      this.toast(ALERT_TITLE, text, "alert");
      notify(ALERT_TITLE, text);
    }
    this.alertsSaved();
  }

  alertsSaved() {
    if (!keep(ALERTS_KEY, this.alerts.dumps())) {
      this.sayAlert("This browser would not keep the alerts: they last until the page closes.");
    }
    this.alertList.innerHTML = alertsHtml(this.alerts.asJson());
    this.showAlertLines();
  }

  showAlertLines() {
    if (!this.chartOn) return;
    const symbol = this.chart.symbol;
    chartAlerts(JSON.stringify(this.alerts.items.filter((a) => a.symbol === symbol).map((a) => a.price)));
  }

  sayAlert(text) {
    this.alertError.textContent = text;
    this.alertError.hidden = text === "";
  }

  followServer(frequencyMs) {
    this.sentFrequency = null; // the market moved on: any value may be asked for again
    if (frequencyMs == null || performance.now() - this.touchedMs < USER_HOLD_MS || !this.slider) return;
    this.slider.value = String(frequencyMs);
    this.readout.textContent = `${frequencyMs} ms`;
    this.slider.setAttribute("aria-valuetext", this.readout.textContent);
  }
}

function historyFailure(status, text) {
  let reason = text;
  try {
    reason = String(JSON.parse(text).error ?? text);
  } catch {
    // not JSON: the text itself says why
  }
  if (status === 0) return `History could not be fetched (${reason}): live bars only`;
  return `No history (${reason}): live bars only`;
}

new Engine().start();
