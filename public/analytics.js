// The JS engine's twin of the Python client's analytics core: candles (client/candles.py),
// the built-in indicators (client/indicators.py), alerts (client/alerts.py) and the chart's
// model (client/analytics.py). Same definitions, same order of arithmetic, so both engines draw
// the same numbers (tests/unit/test_js_analytics.py runs both on one recorded market); the
// comparison of the engines stays fair with the chart on.

const INTERVALS = { "1s": 1000000, "5s": 5000000, "1m": 60000000, "5m": 300000000 };
const DEFAULT_INTERVAL = "1s";
const MAX_BARS = 5000;
const TRIM_EVERY = 500;
const USER_PREFIX = "py.";
const PART = ".";
const HYSTERESIS = 0.001;
const MAX_ALERTS = 100;
const FORMAT = 1;
const ABOVE = "above";
const BELOW = "below";
const INDICATOR_ORDER = ["sma", "ema", "vwap", "bb", "rsi"];

// -- Indicators --------------------------------------------------------------------------------

class Window {
  constructor(size) {
    this.size = size;
    this.values = new Array(size).fill(0);
    this.count = 0;
    this.next = 0;
    this.total = 0;
    this.squares = 0;
  }

  get full() {
    return this.count >= this.size;
  }

  add(value) {
    if (this.full) {
      const old = this.values[this.next];
      this.total -= old;
      this.squares -= old * old;
    } else {
      this.count += 1;
    }
    this.values[this.next] = value;
    this.total += value;
    this.squares += value * value;
    this.next = (this.next + 1) % this.size;
    if (this.next === 0) {
      let total = 0;
      let squares = 0;
      for (const each of this.values) total += each;
      for (const each of this.values) squares += each * each;
      this.total = total;
      this.squares = squares;
    }
  }

  mean() {
    return this.total / this.count;
  }

  deviation() {
    const mean = this.mean();
    return Math.sqrt(Math.max(0, this.squares / this.count - mean * mean));
  }
}

class SMA {
  constructor(period = 20) {
    this.window = new Window(period);
  }

  update(bar) {
    this.window.add(bar.c);
    return this.window.full ? this.window.mean() : null;
  }
}

class EMA {
  constructor(period = 20) {
    this.alpha = 2 / (period + 1);
    this.seed = new Window(period);
    this.value = null;
  }

  update(bar) {
    if (this.value === null) {
      this.seed.add(bar.c);
      if (this.seed.full) this.value = this.seed.mean();
      return this.value;
    }
    this.value = this.alpha * bar.c + (1 - this.alpha) * this.value;
    return this.value;
  }
}

class VWAP {
  constructor() {
    this.priced = 0;
    this.volume = 0;
  }

  update(bar) {
    this.priced += (bar.v * (bar.h + bar.l + bar.c)) / 3;
    this.volume += bar.v;
    return this.volume ? this.priced / this.volume : null;
  }
}

class Bollinger {
  constructor(period = 20, width = 2) {
    this.window = new Window(period);
    this.width = width;
  }

  update(bar) {
    this.window.add(bar.c);
    if (!this.window.full) return null;
    const middle = this.window.mean();
    const spread = this.width * this.window.deviation();
    return { lower: middle - spread, middle, upper: middle + spread };
  }
}

class RSI {
  constructor(period = 14) {
    this.period = period;
    this.previous = null;
    this.changes = 0;
    this.gain = 0;
    this.loss = 0;
  }

  update(bar) {
    const close = bar.c;
    const previous = this.previous;
    this.previous = close;
    if (previous === null) return null;
    const change = close - previous;
    const gain = Math.max(change, 0);
    const loss = change < 0 ? -change : 0;
    this.changes += 1;
    if (this.changes <= this.period) {
      this.gain += gain / this.period;
      this.loss += loss / this.period;
      if (this.changes < this.period) return null;
    } else {
      this.gain = (this.gain * (this.period - 1) + gain) / this.period;
      this.loss = (this.loss * (this.period - 1) + loss) / this.period;
    }
    if (this.loss === 0) return 100;
    return 100 - 100 / (1 + this.gain / this.loss);
  }
}

const BUILT_IN = { sma: SMA, ema: EMA, vwap: VWAP, bb: Bollinger, rsi: RSI };

/** `?indicators=sma,ema` as the built-in names it holds, in the page's order. */
export function indicatorNames(text) {
  const asked = (text ?? "").split(",");
  return INDICATOR_ORDER.filter((name) => asked.includes(name));
}

// -- Alerts ------------------------------------------------------------------------------------

const isNumber = (value) => typeof value === "number" && Number.isFinite(value);

class Alert {
  constructor(symbol, price, direction) {
    this.symbol = symbol;
    this.price = price;
    this.direction = direction;
    this.fired = 0;
    this.armed = true;
  }

  crossed(price) {
    const band = this.price * HYSTERESIS;
    const above = this.direction === ABOVE;
    const reached = above ? price >= this.price : price <= this.price;
    const back = above ? price < this.price - band : price > this.price + band;
    if (this.armed && reached) {
      this.armed = false;
      this.fired += 1;
      return true;
    }
    if (!this.armed && back) this.armed = true;
    return false;
  }

  asJson() {
    return { symbol: this.symbol, price: this.price, direction: this.direction, fired: this.fired };
  }
}

export class Alerts {
  constructor() {
    this.items = [];
  }

  /** An alert at `price`, above or below `lastPrice`; throws with a sentence on bad input. */
  add(symbol, price, lastPrice) {
    if (!isNumber(price) || price <= 0) throw new Error(`an alert needs a positive price, got ${price}`);
    if (this.items.length >= MAX_ALERTS) throw new Error(`at most ${MAX_ALERTS} alerts`);
    const direction = lastPrice != null && price < lastPrice ? BELOW : ABOVE;
    const alert = new Alert(symbol, price, direction);
    this.items.push(alert);
    return alert;
  }

  remove(index) {
    if (index >= 0 && index < this.items.length) this.items.splice(index, 1);
  }

  check(symbol, price) {
    return this.items.filter((alert) => alert.symbol === symbol && alert.crossed(price));
  }

  /** The alerts a stream message fires: only a price can, and only with alerts set. */
  onMessage(message) {
    if (this.items.length === 0 || message.type !== "price") return [];
    return this.check(message.symbol, message.price);
  }

  asJson() {
    return this.items.map((alert) => alert.asJson());
  }

  dumps() {
    return JSON.stringify({ format: FORMAT, alerts: this.asJson() });
  }

  /** Replace the alerts with those stored in `text`; returns how many were left out. */
  loads(text) {
    this.items = [];
    if (!text) return 0;
    let stored;
    try {
      stored = JSON.parse(text);
    } catch {
      return 1;
    }
    const entries = stored !== null && typeof stored === "object" ? stored.alerts : undefined;
    if (!Array.isArray(entries)) return 1;
    let skipped = 0;
    for (const entry of entries.slice(0, MAX_ALERTS)) {
      const valid =
        entry !== null &&
        typeof entry === "object" &&
        typeof entry.symbol === "string" &&
        isNumber(entry.price) &&
        entry.price > 0 &&
        (entry.direction === ABOVE || entry.direction === BELOW);
      if (!valid) {
        skipped += 1;
        continue;
      }
      const alert = new Alert(entry.symbol, entry.price, entry.direction);
      alert.fired = Number.isInteger(entry.fired) && entry.fired >= 0 ? entry.fired : 0;
      this.items.push(alert);
    }
    return skipped + Math.max(0, entries.length - MAX_ALERTS);
  }
}

// -- The chart's model -------------------------------------------------------------------------

const candleOf = (wire) => ({ t: wire.t, o: wire.o, h: wire.h, l: wire.l, c: wire.c, v: wire.v, n: wire.n });
const barRow = (bar) => [bar.t, bar.o, bar.h, bar.l, bar.c, bar.v];

export class Analytics {
  constructor(symbol, interval = DEFAULT_INTERVAL, indicators = [], alerts = null) {
    if (!(interval in INTERVALS)) throw new Error(`interval must be one of ${Object.keys(INTERVALS).join(", ")}`);
    this.symbol = symbol;
    this.interval = interval;
    this.length = INTERVALS[interval];
    this.bars = [];
    this.open = null;
    this.lastPrice = null;
    this.lastTs = null;
    this.late = 0;
    this.names = [...indicators];
    this.alerts = alerts ?? new Alerts();
    this.lines = {};
    this.freshBars = [];
    this.freshPoints = {};
    this.openChanged = false;
    this.redraw = true;
    this.restartIndicators();
  }

  load(wires) {
    const live = this.bars.length > 0 ? this.bars[0] : this.open;
    const history = wires.filter((wire) => live === null || wire.t < live.t).map(candleOf);
    if (live === null && history.length > 0) {
      this.open = history.pop();
      if (this.lastPrice === null) this.lastPrice = this.open.c;
    }
    this.bars = history.concat(this.bars);
    this.rerun();
  }

  /** A stream message; returns the alerts its price fired (any symbol's). */
  apply(message) {
    const kind = message.type;
    const fired = this.alerts.onMessage(message);
    if (message.symbol !== this.symbol) return fired;
    if (kind === "price") this.addPrice(message.price, message.ts);
    else if (kind === "trade") this.addTrade(message.size, message.ts);
    return fired;
  }

  addPrice(price, ts) {
    if (this.lastTs === null || ts >= this.lastTs) {
      this.lastPrice = price;
      this.lastTs = ts;
    }
    const candle = this.candle(ts - (ts % this.length), price);
    if (candle !== null) {
      candle.h = Math.max(candle.h, price);
      candle.l = Math.min(candle.l, price);
      candle.c = price;
    }
  }

  addTrade(size, ts) {
    if (this.lastPrice === null) return;
    const candle = this.candle(ts - (ts % this.length), this.lastPrice);
    if (candle !== null) {
      candle.v += size;
      candle.n += 1;
    }
  }

  candle(t, opening) {
    const open = this.open;
    if (open !== null && open.t > t) {
      this.late += 1;
      return null;
    }
    if (open === null || open.t < t) {
      if (open !== null) this.close(open);
      this.open = { t, o: opening, h: opening, l: opening, c: opening, v: 0, n: 0 };
    }
    this.openChanged = true;
    return this.open;
  }

  setIndicators(names) {
    this.names = [...names];
    this.rerun();
  }

  rerun() {
    this.restartIndicators();
    for (const bar of this.bars) this.indicate(bar, false);
    this.redraw = true;
  }

  restartIndicators() {
    this.indicators = Object.fromEntries(this.names.map((name) => [name, new BUILT_IN[name]()]));
    this.values = Object.fromEntries(this.names.map((name) => [name, null]));
    for (const name of Object.keys(this.lines)) if (!name.startsWith(USER_PREFIX)) delete this.lines[name];
  }

  close(bar) {
    this.bars.push(bar);
    this.freshBars.push(bar);
    this.indicate(bar, true);
    if (this.bars.length > MAX_BARS + TRIM_EVERY) this.trim();
  }

  indicate(bar, fresh) {
    for (const name of this.names) {
      const value = this.indicators[name].update(bar);
      this.values[name] = value;
      if (value !== null && typeof value === "object") {
        for (const [part, number] of Object.entries(value)) this.point(name + PART + part, bar.t, number, fresh);
      } else if (value !== null) {
        this.point(name, bar.t, value, fresh);
      }
    }
  }

  point(name, t, value, fresh) {
    const point = [t, value];
    const line = this.lines[name];
    if (line === undefined) {
      this.lines[name] = [point];
      this.redraw = true;
    } else {
      line.push(point);
    }
    if (!fresh) return;
    const points = this.freshPoints[name];
    if (points === undefined) this.freshPoints[name] = [point];
    else points.push(point);
  }

  trim() {
    this.bars.splice(0, this.bars.length - MAX_BARS);
    const first = this.bars[0].t;
    for (const line of Object.values(this.lines)) {
      let cut = 0;
      while (cut < line.length && line[cut][0] < first) cut += 1;
      line.splice(0, cut);
    }
    this.redraw = true;
  }

  /** What the chart must draw since the last call, or null (client/analytics.py's shape). */
  takeDrawing() {
    let drawing;
    if (this.redraw) {
      const bars = this.open === null ? this.bars : this.bars.concat([this.open]);
      drawing = { reset: true, bars: bars.map(barRow), lines: this.lines };
    } else if (this.freshBars.length > 0 || this.openChanged) {
      const bars = this.open === null ? this.freshBars : this.freshBars.concat([this.open]);
      drawing = { reset: false, bars: bars.map(barRow), lines: this.freshPoints };
    } else {
      return null;
    }
    this.redraw = false;
    this.freshBars = [];
    this.freshPoints = {};
    this.openChanged = false;
    return drawing;
  }

  snapshot() {
    const last = this.open ?? (this.bars.length > 0 ? this.bars[this.bars.length - 1] : null);
    return {
      symbol: this.symbol,
      interval: this.interval,
      bars: this.bars.length + (this.open === null ? 0 : 1),
      last_bar: last === null ? null : { t: last.t, o: last.o, h: last.h, l: last.l, c: last.c, v: last.v },
      indicators: { ...this.values },
      alerts: this.alerts.asJson(),
      user: { state: "none", error: null, last: null },
    };
  }
}

export { BUILT_IN, INTERVALS };
