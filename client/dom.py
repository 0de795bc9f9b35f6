"""Hydration and the render loop.

`hydrate` finds the nodes the server rendered (by their data-* attributes) and binds one view
effect to each group of them; it creates no node of its own. View effects are scheduled, not
run, when the store changes: the frame loop runs the stale ones once per animation frame, and
each writes only the values that differ from what the node already shows.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from . import runtime, views
from .protocol import BOOK_DEPTH, TRADES_LIMIT
from .signals import Effect, untracked
from .sparkline import Sparkline
from .store import Store

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .measure import Measurements

PANEL_REFRESH_MS = 250.0  # the performance panel is read by people: 4 updates a second
TOAST_MS = 6000.0
SEPARATOR = "\u001f"  # bridge.js splits a frame's writes on it

# How bridge.js writes to a registered node (its constants, in the same order).
TEXT = 0
ATTRIBUTE = 1
STYLE = 2
PREPEND_ROWS = 3
REPLACE_HTML = 4


class Writes:
    """One frame's DOM writes, sent to the page in a single crossing at the end of the frame."""

    def __init__(self) -> None:
        self.bridge = runtime.bridge()
        self.pending: list[str] = []
        self.total = 0  # writes so far: tests check that idle frames write nothing

    def register(self, element: Any, kind: int, name: str | int = "") -> str:
        return str(self.bridge.register(element, kind, name))

    def add(self, handle: str, value: str) -> None:
        self.pending.append(handle)
        self.pending.append(value.replace(SEPARATOR, " "))
        self.total += 1

    def add_run(self, run: str, count: int) -> None:
        """`count` writes already joined as "handle␟value␟…" (values free of the separator)."""
        self.pending.append(run)
        self.total += count

    def flush(self) -> None:
        if self.pending:
            self.bridge.write(SEPARATOR.join(self.pending))
            self.pending = []


class Shown:
    """A node's text, attribute or style property, queued for writing only when it changes."""

    def __init__(self, writes: Writes, element: Any, kind: int, name: str, shown: Any) -> None:
        self.writes = writes
        self.handle = writes.register(element, kind, name)
        self.shown: str | None = "" if shown is None else str(shown)  # None: unknown

    def show(self, value: str) -> None:
        if value != self.shown:
            self.shown = value
            self.writes.add(self.handle, value)


def text(writes: Writes, element: Any) -> Shown:
    return Shown(writes, element, TEXT, "", element.textContent)


def attribute(writes: Writes, element: Any, name: str) -> Shown:
    return Shown(writes, element, ATTRIBUTE, name, element.getAttribute(name))


def transform(writes: Writes, element: Any) -> Shown:
    return Shown(writes, element, STYLE, "transform", element.style.transform)


def bound(root: Any, attribute: str, name: str) -> Any:
    """The server-rendered node marked `attribute="name"`; hydration cannot go on without it."""
    selector = "[" + attribute + '="' + name + '"]'
    element = root.querySelector(selector)
    if element is None:
        raise LookupError("the page has no " + selector + " node to hydrate")
    return element


def field(root: Any, name: str) -> Any:
    return bound(root, "data-field", name)


class Frames:
    """One requestAnimationFrame callback per frame: run stale views, send their writes, measure."""

    def __init__(self, store: Store, measurements: Measurements) -> None:
        self.store = store
        self.measurements = measurements
        self.writes = Writes()
        self.stale: list[Effect] = []
        self.frames = 0
        self.after_frame: list[Callable[[float], None]] = []
        self._handle = runtime.proxy(self._on_frame)
        self._running = False

    def schedule(self, effect: Effect) -> None:
        self.stale.append(effect)

    def start(self) -> None:
        if not self._running:
            self._running = True
            runtime.request_frame(self._handle)

    def stop(self) -> None:
        self._running = False

    def dispose(self) -> None:
        self.stop()
        runtime.release(self._handle)

    def _on_frame(self, _timestamp: float) -> None:
        if not self._running:
            return
        runtime.request_frame(self._handle)
        self.frames += 1
        measurements = self.measurements
        now = runtime.now_ms()
        if self.store.paused.peek():
            measurements.skip_unpainted()
        else:
            # The reference's t_paint: read in the frame that applies the messages, as it
            # starts; what the frame then spends is measured as render time.
            measurements.painted(now)
            started = runtime.stopwatch_us()
            stale, self.stale = self.stale, []
            for effect in stale:
                effect.run()
            self.writes.flush()
            if stale:
                measurements.render.add(runtime.since_us(started) / 1000.0)
        measurements.frame(now)
        for callback in self.after_frame:
            callback(now)
        self.writes.flush()

    def view(self, render: Callable[[], None]) -> Effect:
        """A view: `render` reads signals and queues its writes; it runs in the next frame."""
        return Effect(render, schedule=self.schedule)


def bind_card(frames: Frames, store: Store, card: Any) -> Effect:
    symbol = str(card.dataset.symbol)
    writes = frames.writes
    price = text(writes, field(card, "price"))
    change = text(writes, field(card, "change"))
    volume = text(writes, field(card, "volume"))
    line = field(card, "sparkline")
    points = attribute(writes, line, "points")
    line_transform = attribute(writes, line, "transform")
    direction = attribute(writes, card, "data-direction")
    sparkline = Sparkline()
    version = store.price_versions[symbol]

    def render() -> None:
        version.get()
        window = store.window.get()
        history = store.histories.get(symbol, [])
        shown = history[-window:]
        price_text, change_text, direction_text, volume_text = views.card_texts(
            shown, store.last_prices.get(symbol)
        )
        price.show(price_text)
        change.show(change_text)
        direction.show(direction_text)
        volume.show(volume_text)
        new_points, new_transform = sparkline.update(shown, store.price_counts[symbol])
        points.show(new_points)
        line_transform.show(new_transform)

    return frames.view(render)


def bind_book(frames: Frames, store: Store, ladder: Any) -> Effect:
    symbol = str(ladder.dataset.book)
    writes = frames.writes
    rows = ladder.querySelectorAll("tr[data-level]")
    cells = []
    for index in range(rows.length):
        row = rows.item(index)
        cells.append(
            (
                text(writes, field(row, "price")),
                text(writes, field(row, "size")),
                transform(writes, field(row, "depth")),
            )
        )
    spread = text(writes, field(ladder, "spread"))
    version = store.book_versions[symbol]
    # A full book (every row filled, as the simulator sends) changes nearly every cell, so it
    # is written whole with one format operation instead of 31 compared writes: under
    # MicroPython that took a frame's 8 books from ~1.9 to ~0.9 ms. Anything else goes cell by cell.
    template = _ladder_run(cells, spread)
    count = 3 * len(cells) + 1
    whole = {"written": False}  # the cells' Shown values are stale after a whole write

    def render_cells(book: Any) -> None:
        if whole["written"]:
            whole["written"] = False
            for cell in cells:
                for shown in cell:
                    shown.shown = None
            spread.shown = None
        spread.show(views.book_spread(book))
        for (price, size, depth), (price_text, size_text, bar) in zip(
            cells, views.ladder_levels(book)
        ):
            price.show(price_text)
            size.show(size_text)
            depth.show(bar)

    def render() -> None:
        version.get()
        book = store.books.get(symbol)
        values = views.full_ladder_values(book) if len(cells) == 2 * BOOK_DEPTH else None
        if values is None:
            render_cells(book)
        else:
            writes.add_run(template % tuple(values), count)
            whole["written"] = True

    return frames.view(render)


def _ladder_run(cells: list[tuple[Shown, Shown, Shown]], spread: Shown) -> str:
    """The "handle␟value␟…" format of a whole ladder, for views.full_ladder_values."""
    parts: list[str] = []
    for price, size, depth in cells:
        for shown, row_format in zip((price, size, depth), views.LADDER_ROW_FORMATS):
            parts.extend((shown.handle, row_format))
    parts.extend((spread.handle, "%s"))
    return SEPARATOR.join(parts)


def bind_trades(frames: Frames, store: Store, body: Any) -> Effect:
    """New trades go in at the top as one HTML insertion; the oldest rows leave at the bottom.
    A snapshot (new epoch) redraws the tape whole."""
    writes = frames.writes
    prepend = writes.register(body, PREPEND_ROWS, TRADES_LIMIT)
    replace = writes.register(body, REPLACE_HTML)
    drawn = {"total": store.trades_total, "epoch": store.epoch.peek()}

    def render() -> None:
        store.trades_version.get()
        epoch = store.epoch.get()
        fresh = min(store.trades_total - drawn["total"], TRADES_LIMIT, len(store.trades))
        drawn["total"] = store.trades_total
        if epoch != drawn["epoch"]:
            drawn["epoch"] = epoch
            writes.add(replace, views.trades_html(store.trades))
        elif fresh > 0:
            writes.add(prepend, views.trades_html(store.trades[-fresh:]))

    return frames.view(render)


def bind_system(frames: Frames, store: Store, panel: Any) -> Effect:
    writes = frames.writes
    cpu = text(writes, field(panel, "cpu_pct"))
    memory = text(writes, field(panel, "mem_mb"))
    rate = text(writes, field(panel, "msg_rate"))

    def render() -> None:
        system = store.system.get()
        if system is not None:
            cpu_text, memory_text, rate_text = views.system_texts(system)
            cpu.show(cpu_text)
            memory.show(memory_text)
            rate.show(rate_text)

    return frames.view(render)


def bind_window_hint(frames: Frames, store: Store, document: Any) -> Effect:
    hint = text(frames.writes, field(document, "window"))
    return frames.view(lambda: hint.show(str(store.window.get())))


STATE_LABELS = {
    "ssr": "Server snapshot",
    "loading": "Connecting…",
    "live": "Live",
    "reconnecting": "Reconnecting…",
    "offline": "Offline",
    "stale": "Stale",
}
LOADING_TEXTS = {
    "loading": "Python is running; connecting to the market…",
    "reconnecting": "Connection lost; reconnecting…",
    "offline": "The server cannot be reached; still retrying.",
    "stale": "Connected, but the server has sent nothing for a few seconds.",
}


def bind_status(store: Store, document: Any, engine_label: str) -> Effect:
    """The badge and <html data-state>, written at once rather than in a frame: state changes
    are rare and must show even while rendering is paused."""
    root = document.documentElement
    label = field(document, "state-label")
    loading = field(document, "loading-text")
    field(document, "engine-label").textContent = engine_label

    def render() -> None:
        state = store.state.get()
        root.dataset.state = state
        label.textContent = STATE_LABELS.get(state, state)
        loading.textContent = LOADING_TEXTS.get(state, "")

    return Effect(render)


PERFORMANCE_FIELDS = (
    "rate",
    "received",
    "gaps",
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
)


def performance_texts(report: dict[str, Any]) -> list[str]:
    """The performance panel's texts, in PERFORMANCE_FIELDS order, from a metrics report."""
    latency = report["latency_ms"]
    wire = report["wire_ms"]
    handler = report["handler_us"]
    fps = report["fps"]
    return [
        views.format_stat(report["rate"], 0),
        views.format_volume(report["received"]),
        views.format_volume(report["gaps"]),
        views.format_stat(latency["mean"], 2),
        views.format_stat(latency["p50"], 2),
        views.format_stat(latency["p95"], 2),
        views.format_stat(wire["p50"], 2),
        views.format_stat(wire["p95"], 2),
        views.format_stat(handler["p50"], 0),
        views.format_stat(handler["p95"], 0),
        views.format_stat(fps["last"], 1),
        views.format_stat(fps["mean"], 1),
        views.format_stat(fps["min"], 1),
        views.format_stat(report["ready_ms"], 0),
    ]


class PerformancePanel:
    def __init__(self, writes: Writes, document: Any, report: Callable[[], dict[str, Any]]) -> None:
        panel = document.querySelector('[data-panel="performance"]')
        self.texts = [text(writes, field(panel, name)) for name in PERFORMANCE_FIELDS]
        self.seq = text(writes, field(document, "seq"))
        self.report = report
        self._next_ms = 0.0

    def refresh(self, now_ms: float, seq: int) -> None:
        if now_ms < self._next_ms:
            return
        self._next_ms = now_ms + PANEL_REFRESH_MS
        self.seq.show(str(seq))
        for node, value in zip(self.texts, performance_texts(self.report())):
            node.show(value)


class Toasts:
    """Server errors as readable toasts that leave by themselves."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self.container = document.querySelector('[data-list="toasts"]')
        self.shown: list[tuple[float, Any]] = []

    def show(self, title: str, text: str, now_ms: float) -> None:
        toast = self.document.createElement("div")
        toast.className = "toast toast-warn"
        toast.setAttribute("role", "alert")
        heading = self.document.createElement("strong")
        heading.textContent = title
        body = self.document.createElement("span")
        body.textContent = text
        toast.appendChild(heading)
        toast.appendChild(body)
        self.container.appendChild(toast)
        self.shown.append((now_ms + TOAST_MS, toast))

    def expire(self, now_ms: float) -> None:
        while self.shown and self.shown[0][0] <= now_ms:
            self.shown.pop(0)[1].remove()


def bind_errors(store: Store, toasts: Toasts) -> Effect:
    def render() -> None:
        error = store.last_error.get()
        if error is not None:
            untracked(
                lambda: toasts.show("Server: " + error["code"], error["message"], runtime.now_ms())
            )

    return Effect(render)


def hydrate(document: Any, store: Store, frames: Frames) -> list[Effect]:
    """Bind every view to the server-rendered nodes; returns the effects (dispose to unbind)."""
    effects = []
    cards = document.querySelectorAll(".card[data-symbol]")
    for index in range(cards.length):
        effects.append(bind_card(frames, store, cards.item(index)))
    ladders = document.querySelectorAll("[data-book]")
    for index in range(ladders.length):
        effects.append(bind_book(frames, store, ladders.item(index)))
    effects.append(bind_trades(frames, store, document.querySelector('[data-list="trades"]')))
    effects.append(bind_system(frames, store, document.querySelector('[data-panel="system"]')))
    effects.append(bind_window_hint(frames, store, document))
    return effects
