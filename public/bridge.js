// The JavaScript half of the Python engines' boundary with the page.
//
// Crossing between JS and Python costs microseconds per call (a call that carries a DOM event
// costs several times one that carries a string), so the Python side crosses as little as it
// can: one call per WebSocket message with plain values, and one call per animation frame
// carrying every DOM write of that frame as a single string.

const SEPARATOR = "\u001f"; // never in the page's texts: numbers, symbols, ISO-like times

const TEXT = 0; // the node's one text child's data = value
const ATTRIBUTE = 1; // node.setAttribute(name, value)
const STYLE = 2; // node.style[name] = value
const PREPEND_ROWS = 3; // insert HTML rows at the top, keep at most `name` rows
const REPLACE_HTML = 4; // node.innerHTML = value

const targets = [];

/**
 * Put the engine's API on the window as `window.tickscope`. Python hands over JSON text and
 * JS parses it: MicroPython's bridge loses a JS object that a Python function returns to JS
 * whenever its garbage collector runs during the call (the object arrives as undefined).
 */
export function expose(engine, metricsText, reset) {
  window.tickscope = {
    engine,
    metrics: () => JSON.parse(metricsText()),
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
  socket.onmessage = (event) => handler(event.data, event.timeStamp);
}

/** Remember a node and how to write to it; returns the handle the writes refer to. */
export function register(node, kind, name) {
  targets.push({ node, kind, name });
  return targets.length - 1;
}

/** Apply one frame's writes: "handle␟value␟handle␟value…". */
export function write(batch) {
  const parts = batch.split(SEPARATOR);
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const { node, kind, name } = targets[parts[i]];
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
    }
  }
}
