"""Hydration and the render loop.

`hydrate` finds the nodes the server rendered (by their data-* attributes) and binds one view
effect to each group of them; it creates no node of its own. View effects are scheduled, not
run, when the store changes: the frame loop runs the stale ones once per animation frame, and
each writes only the values that differ from what the node already shows.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from . import runtime, views
from .protocol import TRADES_LIMIT
from .signals import Effect, untracked
from .store import LIVE, Store

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .measure import Measurements

PANEL_REFRESH_MS = 250.0  # the performance panel is read by people: 4 updates a second
TOAST_MS = 6000.0


class Text:
    """A node's text, written only when it changes."""

    def __init__(self, element: Any) -> None:
        self.element = element
        self.shown = str(element.textContent)

    def show(self, text: str) -> int:
        if text == self.shown:
            return 0
        self.element.textContent = text
        self.shown = text
        return 1


class Attribute:
    """One attribute of a node, written only when it changes."""

    def __init__(self, element: Any, name: str) -> None:
        self.element = element
        self.name = name
        value = element.getAttribute(name)
        self.shown = "" if value is None else str(value)

    def show(self, value: str) -> int:
        if value == self.shown:
            return 0
        self.element.setAttribute(self.name, value)
        self.shown = value
        return 1


class Width:
    """A node's inline width (the book's depth bars)."""

    def __init__(self, element: Any) -> None:
        self.style = element.style
        self.shown = str(self.style.width)

    def show(self, width: str) -> int:
        if width == self.shown:
            return 0
        self.style.width = width
        self.shown = width
        return 1


def field(root: Any, name: str) -> Any:
    element = root.querySelector('[data-field="' + name + '"]')
    if element is None:
        raise LookupError("the page has no [data-field=" + name + "] node to hydrate")
    return element


class Frames:
    """One requestAnimationFrame callback per frame: run stale views, then measure."""

    def __init__(self, store: Store, measurements: Measurements) -> None:
        self.store = store
        self.measurements = measurements
        self.stale: list[Effect] = []
        self.writes = 0  # DOM writes so far: tests check that idle frames write nothing
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
        if self.store.paused.peek():
            measurements.skip_unpainted()
        else:
            stale, self.stale = self.stale, []
            for effect in stale:
                effect.run()
            measurements.painted(runtime.now_ms())
        now = runtime.now_ms()
        measurements.frame(now)
        for callback in self.after_frame:
            callback(now)

    def view(self, render: Callable[[], int]) -> Effect:
        """A view: `render` reads signals, writes the DOM and returns how many writes it made."""

        def run() -> None:
            self.writes += render()

        return Effect(run, schedule=self.schedule)


def bind_card(frames: Frames, store: Store, card: Any) -> Effect:
    symbol = str(card.dataset.symbol)
    price = Text(field(card, "price"))
    change = Text(field(card, "change"))
    volume = Text(field(card, "volume"))
    points = Attribute(field(card, "sparkline"), "points")
    direction = Attribute(card, "data-direction")
    version = store.price_versions[symbol]

    def render() -> int:
        version.get()
        window = store.window.get()
        history = store.histories.get(symbol, [])
        shown = history[-window:]
        pct = views.change_pct(shown[0], shown[-1]) if len(shown) > 1 else None
        last = store.last_prices.get(symbol)
        return (
            price.show(views.format_price(shown[-1] if shown else None))
            + change.show(views.format_change(pct))
            + direction.show(views.change_direction(pct))
            + volume.show(views.format_volume(last["volume"] if last else None))
            + points.show(views.sparkline_points(shown))
        )

    return frames.view(render)


def bind_book(frames: Frames, store: Store, ladder: Any) -> Effect:
    symbol = str(ladder.dataset.book)
    rows = ladder.querySelectorAll("tr[data-level]")
    cells = [
        (Text(field(row, "price")), Text(field(row, "size")), Width(field(row, "depth")))
        for row in [rows.item(index) for index in range(rows.length)]
    ]
    spread = Text(field(ladder, "spread"))
    version = store.book_versions[symbol]

    def render() -> int:
        version.get()
        book = store.books.get(symbol)
        writes = spread.show(views.book_spread(book))
        for (price, size, depth), (price_text, size_text, width) in zip(
            cells, views.ladder_levels(book)
        ):
            writes += price.show(price_text) + size.show(size_text) + depth.show(width)
        return writes

    return frames.view(render)


def bind_trades(frames: Frames, store: Store, body: Any) -> Effect:
    """New trades go in at the top as one HTML insertion; the oldest rows leave at the bottom.
    A snapshot (new epoch) redraws the tape whole."""
    drawn: dict[str, int] = {
        "total": store.trades_total,
        "epoch": store.epoch.peek(),
        "rows": int(body.rows.length),
    }

    def render() -> int:
        store.trades_version.get()
        epoch = store.epoch.get()
        fresh = store.trades_total - drawn["total"]
        drawn["total"] = store.trades_total
        if epoch != drawn["epoch"]:
            drawn["epoch"] = epoch
            body.innerHTML = views.trades_html(store.trades)
            drawn["rows"] = len(store.trades)
            return 1
        if fresh <= 0:
            return 0
        fresh = min(fresh, TRADES_LIMIT, len(store.trades))
        body.insertAdjacentHTML("afterbegin", views.trades_html(store.trades[-fresh:]))
        rows = drawn["rows"] + fresh
        for _ in range(rows - TRADES_LIMIT):
            body.deleteRow(-1)
        drawn["rows"] = min(rows, TRADES_LIMIT)
        return 1 + max(0, rows - TRADES_LIMIT)

    return frames.view(render)


def bind_system(frames: Frames, store: Store, panel: Any) -> Effect:
    cpu = Text(field(panel, "cpu_pct"))
    memory = Text(field(panel, "mem_mb"))
    rate = Text(field(panel, "msg_rate"))

    def render() -> int:
        system = store.system.get()
        if system is None:
            return 0
        return (
            cpu.show(views.format_number(system["cpu_pct"], 1))
            + memory.show(views.format_volume(system["mem_mb"]))
            + rate.show(views.format_volume(system["msg_rate"]))
        )

    return frames.view(render)


def bind_window_hint(frames: Frames, store: Store, document: Any) -> Effect:
    hint = Text(field(document, "window"))
    return frames.view(lambda: hint.show(str(store.window.get())))


STATE_LABELS = {
    "ssr": "Server snapshot",
    "loading": "Connecting…",
    "live": "Live",
    "reconnecting": "Reconnecting…",
    "offline": "Offline",
}


def bind_status(frames: Frames, store: Store, document: Any, engine_label: str) -> Effect:
    """The badge and <html data-state>; written at once, not per frame: a state change is rare
    and must show even while rendering is paused."""
    root = document.documentElement
    label = Text(field(document, "state-label"))
    engine = Text(field(document, "engine-label"))
    loading = Text(field(document, "loading-text"))

    def render() -> None:
        state = store.state.get()
        root.dataset.state = state
        frames.writes += label.show(STATE_LABELS.get(state, state))
        frames.writes += engine.show(engine_label)
        if state == LIVE:
            frames.writes += loading.show("")
        elif state == "offline":
            frames.writes += loading.show("The server cannot be reached; still retrying.")
        elif state == "reconnecting":
            frames.writes += loading.show("Connection lost; reconnecting…")

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
    def __init__(self, document: Any, report: Callable[[], dict[str, Any]]) -> None:
        panel = document.querySelector('[data-panel="performance"]')
        self.texts = [Text(field(panel, name)) for name in PERFORMANCE_FIELDS]
        self.seq = Text(field(document, "seq"))
        self.report = report
        self._next_ms = 0.0

    def refresh(self, now_ms: float, seq: int) -> int:
        if now_ms < self._next_ms:
            return 0
        self._next_ms = now_ms + PANEL_REFRESH_MS
        writes = self.seq.show(str(seq))
        for node, text in zip(self.texts, performance_texts(self.report())):
            writes += node.show(text)
        return writes


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
