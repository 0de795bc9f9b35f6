// The JavaScript half of the Python engines' boundary with the page.
//
// Crossing between JS and Python costs microseconds per call (a call that carries a DOM event
// costs several times one that carries a string), so the Python side crosses as little as it
// can: one call per WebSocket message with plain values, and one call per animation frame
// carrying every DOM write of that frame as a single string.

export * from "./chart.js";
export * from "./editor.js";

const SEPARATOR = "\u001f"; // never in the page's texts: numbers, symbols, ISO-like times

const TEXT = 0; // the node's one text child's data = value
const ATTRIBUTE = 1; // node.setAttribute(name, value)
const STYLE = 2; // node.style[name] = value
const PREPEND_ROWS = 3; // insert HTML rows at the top, keep at most `name` rows
const REPLACE_HTML = 4; // node.innerHTML = value
const POINTS = 5; // "<dropped> <added>": the points text loses its first `dropped` points and
// gains `added` at the end; a `dropped` of REDRAWN replaces it with `added`
const REDRAWN = -1;

const targets = [];

/**
 * Put the engine's API on the window as `window.tickscope`. Python hands over JSON text and
 * JS parses it: MicroPython's bridge loses a JS object that a Python function returns to JS
 * whenever its garbage collector runs during the call (the object arrives as undefined).
 */
export function expose(engine, metricsText, reset, analyticsText) {
  window.tickscope = {
    engine,
    // An engine in a worker has neither text function: its latest posted reports stand in.
    metrics: () => (metricsText == null ? reported : JSON.parse(metricsText())),
    analytics: () => (analyticsText == null ? reportedAnalytics : JSON.parse(analyticsText())),
    reset: () => {
      reset();
    },
  };
}

/**
 * performance.timeOrigin as text: it is epoch milliseconds, above 2^31, and MicroPython's
 * bridge wraps an integer-valued number that large to 32 bits.
 */
export function timeOrigin() {
  return String(performance.timeOrigin);
}

/** Deliver each message as (text, receipt time on the page's timeline). */
export function listen(socket, handler) {
  engineSocket = socket;
  socket.onmessage = (event) => handler(event.data, event.timeStamp);
}

/** Run `callback(time)` in the next animation frame, unless the runtime has crashed. */
export function frame(callback) {
  requestAnimationFrame((time) => {
    if (!halted) callback(time);
  });
}

/** Run `callback()` after `delayMs`, unless the runtime has crashed; returns the timer's id. */
export function later(callback, delayMs) {
  return setTimeout(() => {
    if (!halted) callback();
  }, delayMs);
}

// -- A runtime that crashed --------------------------------------------------------------------
//
// A trap in the runtime's wasm (a memory access out of bounds, say) stops it partway through a
// call: its C stack, its exception handlers and its collector's bookkeeping are left as they
// were, so any later call into it may fail again or do worse. After one, nothing more is handed
// to the engine: its socket is closed (the server sees a normal close) and its frames and
// timers do not run. boot.js tells the person.

const NORMAL_CLOSURE = 1000;
let halted = false;
let engineSocket = null;

/** Stop handing anything to a crashed engine; `reason` is what window.tickscope now says. */
export function halt(reason) {
  halted = true;
  if (engineSocket !== null) {
    engineSocket.onmessage = engineSocket.onopen = engineSocket.onclose = null;
    engineSocket.close(NORMAL_CLOSURE, "the engine crashed");
    engineSocket = null;
  }
  const crashed = () => {
    throw new Error(`tickscope: ${reason}`);
  };
  window.tickscope = {
    engine: window.tickscope?.engine,
    crashed: reason,
    metrics: crashed,
    analytics: crashed,
    reset: crashed,
  };
}

// -- The socket opened before the engine starts ------------------------------------------------
//
// A Python engine's runtime takes a while to start. public/connect.js, a classic script in the
// page's head, opens its WebSocket before the page's body is even parsed and keeps what the
// socket hears on `window.tickscopeEarlySocket`; the engine adopts that socket when it
// connects, so the server's snapshot is already here instead of one round trip away.

/**
 * The socket to `url` the page opened early, or false if there is none (another URL, already
 * adopted, given up, or another thread). False, not null: Pyodide hands null to Python as
 * `jsnull`, MicroPython as None, and both make false a False. Its past events go to the
 * handlers in the order they happened, right after the current call returns and before any
 * later event (a microtask runs before the next task); later ones go to them directly.
 * `onMessage` gets (text, receipt time), as with `listen()`.
 */
export function adopt(url, onMessage, onOpen, onClose) {
  const early = globalThis.tickscopeEarlySocket;
  if (early == null || early.url !== url) return false;
  delete globalThis.tickscopeEarlySocket;
  const { socket, events } = early;
  socket.onmessage = socket.onopen = socket.onclose = null;
  engineSocket = socket;
  queueMicrotask(() => {
    for (const [kind, first, second] of events) {
      if (halted) return;
      if (kind === "message") onMessage(first, second);
      else if (kind === "open") onOpen(first);
      else onClose(first);
    }
    listen(socket, onMessage);
    socket.onopen = onOpen;
    socket.onclose = onClose;
  });
  return socket;
}

/** What a node shows now, as the engine compares it with what it would write. */
function rendered(node, kind, name) {
  switch (kind) {
    case TEXT:
      return node.textContent;
    case ATTRIBUTE:
      return node.getAttribute(name) ?? "";
    case STYLE:
      return node.style[name];
    default:
      return "";
  }
}

/**
 * Remember the nodes an engine writes to, all in one call: "selector␟kind␟name␟…". Returns
 * the first node's handle (the others follow in order) and each node's current value:
 * "handle␟value␟value…". A selector that finds no node is a page the engine cannot hydrate.
 */
export function bind(requests) {
  const parts = requests.split(SEPARATOR);
  const reply = [String(targets.length)];
  for (let i = 0; i + 2 < parts.length; i += 3) {
    const node = document.querySelector(parts[i]);
    if (node === null) throw new Error(`the page has no ${parts[i]} node to hydrate`);
    const kind = Number(parts[i + 1]);
    const name = kind === PREPEND_ROWS ? Number(parts[i + 2]) : parts[i + 2];
    targets.push({ node, kind, name, text: "" });
    reply.push(rendered(node, kind, name));
  }
  return reply.join(SEPARATOR);
}

// A region this close to the viewport counts as on-screen: it draws before it scrolls in.
const ON_SCREEN_MARGIN = "200px";
let shownText = "";
let shownChanged = false;

/**
 * Follow which regions ("selector␟selector…") are on-screen, for `visibility`. Every region
 * counts as on-screen until the observer's first report.
 */
export function watch(selectors) {
  if (selectors === "") return;
  const nodes = selectors.split(SEPARATOR).map((selector) => document.querySelector(selector));
  const shown = nodes.map(() => "1");
  const index = new Map(nodes.map((node, i) => [node, i]));
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) shown[index.get(entry.target)] = entry.isIntersecting ? "1" : "0";
      shownText = shown.join("");
      shownChanged = true;
    },
    { rootMargin: ON_SCREEN_MARGIN },
  );
  for (const node of nodes) if (node !== null) observer.observe(node);
}

/** "1" or "0" per watched region, on-screen or not; "" when that has not changed since. */
export function visibility() {
  if (!shownChanged) return "";
  shownChanged = false;
  return shownText;
}

/** Apply one frame's writes: "handle␟value␟handle␟value…". */
export function write(batch) {
  const parts = batch.split(SEPARATOR);
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const target = targets[parts[i]];
    const { node, kind, name } = target;
    const value = parts[i + 1];
    switch (kind) {
      case TEXT: {
        // Changing a Text node's data re-lays out that text; textContent would remove the
        // node and insert a new one, which costs style and layout work on every update.
        const child = node.firstChild;
        if (child !== null && child.nodeType === Node.TEXT_NODE && child.nextSibling === null) {
          child.data = value;
        } else {
          node.textContent = value;
        }
        break;
      }
      case ATTRIBUTE:
        node.setAttribute(name, value);
        break;
      case STYLE:
        node.style[name] = value;
        break;
      case PREPEND_ROWS:
        node.insertAdjacentHTML("afterbegin", value);
        while (node.rows.length > name) node.deleteRow(-1);
        break;
      case REPLACE_HTML:
        node.innerHTML = value;
        break;
      case POINTS:
        target.text = movedPoints(target.text, value);
        node.setAttribute(name, target.text);
        break;
    }
  }
}

/** `points` after a POINTS write of `change`, "<dropped> <added>". */
function movedPoints(points, change) {
  const cut = change.indexOf(" ");
  const dropped = Number(change.slice(0, cut));
  const added = change.slice(cut + 1);
  if (dropped === REDRAWN) return added;
  let kept = points;
  for (let left = dropped; left > 0 && kept !== ""; left -= 1) {
    const next = kept.indexOf(" ");
    kept = next < 0 ? "" : kept.slice(next + 1);
  }
  if (added === "") return kept;
  return kept === "" ? added : `${kept} ${added}`;
}

// -- Worker mode: Python runs in a worker, the main thread only paints ------------------------
//
// The worker posts each frame's writes as one string; the main thread applies them at the
// start of its next animation frame and then tells the worker that the frame started (on the
// epoch clock, which both threads share) and which writes it applied. The worker renders once
// per such frame and measures latency and FPS against the frames the page really paints.
//
// They talk over a BroadcastChannel of the page's own: PyScript's worker channel carries its
// own messages, and its handlers fail on any other.

const WRITES = "w"; // "w<number>␟<writes>": worker to main thread
const METRICS = "m"; // "m<metrics() JSON>": worker to main thread
const ANALYTICS = "a"; // "a<analytics() JSON>": worker to main thread
const FRAME = "f"; // "f<frame start, epoch ms>␟<last writes applied>": main thread to worker
let channel = null;
let posted = 0;
let reported = null;
let reportedAnalytics = null;

/** On the main thread: paint for a worker; returns the name of the channel to talk on. */
export function host() {
  const name = `tickscope-${crypto.randomUUID()}`;
  const frames = new BroadcastChannel(name);
  let pending = [];
  let applied = 0;
  frames.onmessage = ({ data }) => {
    if (typeof data !== "string") return;
    if (data.startsWith(WRITES)) pending.push(data);
    else if (data.startsWith(METRICS)) reported = JSON.parse(data.slice(METRICS.length));
    else if (data.startsWith(ANALYTICS)) reportedAnalytics = JSON.parse(data.slice(ANALYTICS.length));
  };
  const frame = () => {
    const started = performance.timeOrigin + performance.now();
    requestAnimationFrame(frame);
    for (const message of pending) {
      const cut = message.indexOf(SEPARATOR);
      applied = Number(message.slice(WRITES.length, cut));
      write(message.slice(cut + 1));
    }
    pending = [];
    frames.postMessage(`${FRAME}${started}${SEPARATOR}${applied}`);
  };
  requestAnimationFrame(frame);
  return name;
}

/**
 * In the worker: handler(frameMs, applied) for each main-thread frame, with its start on this
 * worker's clock and the number of the last writes it applied.
 */
export function follow(name, handler) {
  channel = new BroadcastChannel(name);
  channel.onmessage = ({ data }) => {
    if (typeof data !== "string" || !data.startsWith(FRAME)) return;
    const cut = data.indexOf(SEPARATOR);
    const started = Number(data.slice(FRAME.length, cut));
    handler(started - performance.timeOrigin, Number(data.slice(cut + 1)));
  };
}

/** In the worker: send one frame's writes to the main thread; returns their number. */
export function post(batch) {
  posted += 1;
  channel.postMessage(`${WRITES}${posted}${SEPARATOR}${batch}`);
  return posted;
}

/** In the worker: post metrics() and analytics() reports for the main thread to hand out. */
export function report(text, analyticsText) {
  channel.postMessage(METRICS + text);
  channel.postMessage(ANALYTICS + analyticsText);
}
