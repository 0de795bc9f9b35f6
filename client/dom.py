"""Hydration and the render loop.

`hydrate` finds the nodes the server rendered (by their data-* attributes) and binds one view
effect to each group of them; it creates no node of its own. View effects are scheduled, not
run, when the store changes: the frame loop runs the stale ones once per animation frame (those
whose part of the page is off-screen a few at a time), and each writes only the values that
differ from what the node already shows.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from . import runtime, views
from .protocol import BOOK_DEPTH, TRADES_LIMIT
from .signals import Effect, untracked
from .sparkline import REDRAWN, Sparkline
from .store import Store

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .measure import Measurements

# Worker mode: the main thread's frame interval is followed as it goes (a busy page paints
# less often than 60 Hz), and the worker renders this long before the next frame is due (its
# render and the post to the main thread take 1-2 ms at 1000 msgs/s).
FRAME_MS = 1000.0 / 60.0
SLOWEST_FRAME_MS = 100.0
FRAME_SMOOTHING = 0.2  # weight of the newest interval in the running estimate
RENDER_LEAD_MS = 4.0
TOAST_MS = 6000.0
REPORTED_VIEW_FAILURES = 10  # a view's errors on the console; later ones are only counted
# A view whose part of the page is off-screen is not drawn in every frame: it waits, and each
# frame draws only this many of the waiting ones, oldest first. The page's DOM still catches up
# (for find-in-page, screen readers, scripts), and what scrolls into view draws in its next
# frame. At 57 symbols most cards and every book are off-screen.
OFF_SCREEN_VIEWS_PER_FRAME = 4
ON_SCREEN = "1"  # bridge.js's visibility text: one character per region, in watch order
SEPARATOR = "\u001f"  # bridge.js splits a frame's writes on it

# How bridge.js writes to a registered node (its constants, in the same order).
TEXT = 0
ATTRIBUTE = 1
STYLE = 2
PREPEND_ROWS = 3
REPLACE_HTML = 4
POINTS = 5


class Writes:
    """One frame's DOM writes, sent to the page in a single crossing at the end of the frame.

    The nodes written to are bound by selector and resolved together, also in one crossing
    (`bind`): in a worker each crossing is a round trip to the main thread.
    """

    def __init__(self) -> None:
        self.bridge = runtime.bridge()
        self.local = runtime.local()
        self.posted = 0  # writes posted to the main thread so far (worker mode)
        self.pending: list[str] = []
        self.total = 0  # writes so far: tests check that idle frames write nothing
        self.wanted: list[str] = []  # selector, kind, name of each node not yet bound
        self.unbound: list[Node] = []

    def register(self, selector: str, kind: int, name: str | int = "") -> Shown:
        """The node `selector` finds, to be written as `kind`; usable once `bind` has run."""
        node = Shown(self)
        self.attach(node, selector, kind, name)
        return node

    def attach(self, node: Node, selector: str, kind: int, name: str | int = "") -> None:
        """Have `node` bound to what `selector` finds, to be written as `kind`."""
        self.wanted.extend((selector, str(kind), str(name)))
        self.unbound.append(node)

    def bind(self) -> None:
        """Resolve every registered node in one crossing; each learns its handle and the
        value the server rendered into it."""
        if not self.unbound:
            return
        reply = str(self.bridge.bind(SEPARATOR.join(self.wanted))).split(SEPARATOR)
        first = int(reply[0])
        for index, node in enumerate(self.unbound):
            node.bound(str(first + index), reply[index + 1])
        self.wanted = []
        self.unbound = []

    def add(self, handle: str, value: str) -> None:
        self.pending.append(handle)
        self.pending.append(value.replace(SEPARATOR, " "))
        self.total += 1

    def add_run(self, run: str, count: int) -> None:
        """`count` writes already joined as "handle␟value␟…" (values free of the separator)."""
        self.pending.append(run)
        self.total += count

    def flush(self) -> int:
        """Send the frame's writes. Returns the number of the writes the page will apply last
        (in a worker, where they are posted; 0 on the main thread, where they apply now)."""
        if self.pending:
            batch = SEPARATOR.join(self.pending)
            self.pending = []
            if runtime.IN_WORKER:
                self.posted = int(self.local.post(batch))
            else:
                self.bridge.write(batch)
        return self.posted


class Node:
    """A page node a view writes to, through its handle in bridge.js once bound."""

    def __init__(self, writes: Writes) -> None:
        self.writes = writes
        self.handle = ""

    def bound(self, handle: str, rendered: str) -> None:
        """`bind` found the node, showing `rendered` (what the server rendered into it)."""
        self.handle = handle


class Shown(Node):
    """A node's text, attribute or style property, queued for writing only when it changes."""

    def __init__(self, writes: Writes) -> None:
        Node.__init__(self, writes)
        self.shown: str | None = None  # what the node shows; None until bound or first shown

    def bound(self, handle: str, rendered: str) -> None:
        self.handle = handle
        if self.shown is None:
            self.shown = rendered
        elif self.shown != rendered:  # a view ran before binding and differs from the page
            self.writes.add(handle, self.shown)

    def show(self, value: str) -> None:
        if value != self.shown:
            self.shown = value
            if self.handle:
                self.writes.add(self.handle, value)


class Polyline(Node):
    """A sparkline's points. bridge.js keeps the points' text: a frame sends only how many
    points left the line and the points that came, not the whole line (under MicroPython each
    pass over a 2 KB string, to cut, join, compare or send it, costs ~10 µs)."""

    def __init__(self, writes: Writes, selector: str) -> None:
        Node.__init__(self, writes)
        self.line = Sparkline()
        writes.attach(self, selector, POINTS, "points")

    def bound(self, handle: str, rendered: str) -> None:
        # The server rendered the points in the box's coordinates, the line keeps data ones.
        self.handle = handle
        self.writes.add(handle, "%d %s" % (REDRAWN, self.line.text()))

    def update(self, history: list[float], total: int) -> str:
        """Show `history`, the last len(history) of `total` prices; returns the transform that
        maps the points into the box."""
        dropped, added, line_transform = self.line.update(history, total)
        if self.handle and (dropped or added):
            self.writes.add(self.handle, "%d %s" % (dropped, added))
        return line_transform


def text(writes: Writes, selector: str) -> Shown:
    return writes.register(selector, TEXT)


def attribute(writes: Writes, selector: str, name: str) -> Shown:
    return writes.register(selector, ATTRIBUTE, name)


def transform(writes: Writes, selector: str) -> Shown:
    return writes.register(selector, STYLE, "transform")


def quoted(value: str) -> str:
    """`value` as a CSS string, for an attribute selector."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def marked(attribute: str, name: str) -> str:
    """The selector of the node marked `attribute="name"`."""
    return "[" + attribute + "=" + quoted(name) + "]"


def field_of(scope: str, name: str) -> str:
    return scope + " " + marked("data-field", name)


def bound(root: Any, attribute: str, name: str) -> Any:
    """The server-rendered node marked `attribute="name"`; hydration cannot go on without it."""
    selector = marked(attribute, name)
    element = root.querySelector(selector)
    if element is None:
        raise LookupError("the page has no " + selector + " node to hydrate")
    return element


def field(root: Any, name: str) -> Any:
    return bound(root, "data-field", name)


class Frames:
    """One render per animation frame: run stale views, send their writes, measure."""

    def __init__(self, store: Store, measurements: Measurements) -> None:
        self.store = store
        self.measurements = measurements
        self.writes = Writes()
        self.stale: list[Effect] = []
        self.frames = 0
        self.after_frame: list[Callable[[float], None]] = []
        self.view_failures = 0
        self._handle = runtime.proxy(self._on_frame)
        self._running = False
        self._regions: list[str] = []  # selectors of the parts of the page views draw
        self._region_of: dict[Effect, int] = {}
        self._visibility = ""  # until watched: every region counts as on-screen

    def schedule(self, effect: Effect) -> None:
        self.stale.append(effect)

    def start(self) -> None:
        if not self._running:
            self._running = True
            self.writes.bridge.frame(self._handle)

    def stop(self) -> None:
        self._running = False

    def dispose(self) -> None:
        self.stop()
        runtime.release(self._handle)

    def _on_frame(self, _timestamp: float) -> None:
        if not self._running:
            return
        self.writes.bridge.frame(self._handle)
        now = runtime.now_ms()
        visibility = str(self.writes.bridge.visibility())
        if visibility:  # "" when nothing scrolled in or out since the last frame
            self._visibility = visibility
        if self.store.paused.peek():
            self.measurements.skip_unpainted()
        else:
            # The reference's t_paint: read in the frame that applies the messages, as it
            # starts; what the frame then spends is measured as render time.
            self.measurements.painted(now)
            self._render()
        self._frame_done(now)

    def view(self, render: Callable[[], None], region: str | None = None) -> Effect:
        """A view: `render` reads signals and queues its writes; it runs in the next frame.
        `region` selects the part of the page it draws: while that is off-screen (once
        `watch` runs), the view waits its turn instead of drawing in every frame."""
        effect = Effect(render, schedule=self.schedule)
        if region is not None:
            self._region_of[effect] = len(self._regions)
            self._regions.append(region)
        return effect

    def watch(self) -> None:
        """Have the page report which regions are on-screen (after binding: the nodes exist)."""
        self.writes.bridge.watch(SEPARATOR.join(self._regions))

    def _render(self) -> int:
        """Run the stale views (the off-screen ones in turns) and send their writes; returns
        the writes' number."""
        started = runtime.stopwatch_us()
        stale, self.stale = self.stale, []
        visibility = self._visibility
        region_of = self._region_of
        turns = OFF_SCREEN_VIEWS_PER_FRAME
        ran = False
        for effect in stale:
            region = region_of.get(effect)
            if region is not None and visibility and visibility[region] != ON_SCREEN:
                if not turns:
                    self.stale.append(effect)  # still queued: it keeps its place in line
                    continue
                turns -= 1
            ran = True
            try:
                effect.run()
            except Exception as error:  # one view's bug must not stop the others, or the frames
                self._view_failed(error)
        sent = self.writes.flush()
        if ran:
            self.measurements.render.add(runtime.since_us(started) / 1000.0)
        return sent

    def _view_failed(self, error: Exception) -> None:
        # An exception thrown back into the browser's frame callback is not shown anywhere.
        self.view_failures += 1
        if self.view_failures <= REPORTED_VIEW_FAILURES:
            runtime.report(error, "tickscope: a view failed; the page goes on without its update")

    def _frame_done(self, now: float) -> None:
        self.frames += 1
        self.measurements.frame(now)
        for callback in self.after_frame:
            callback(now)
        self.writes.flush()


class WorkerFrames(Frames):
    """Frames for an engine in a worker, where the main thread paints.

    The main thread applies the writes the worker posts at the start of its next animation
    frame, then tells the worker when that frame started and which writes it applied: latency
    and FPS are measured against the frames the page really paints. The worker renders once
    per main-thread frame, just before the next one is due, so its writes make that frame.
    """

    def __init__(self, store: Store, measurements: Measurements) -> None:
        Frames.__init__(self, store, measurements)
        self._render_queued = False
        self._render_handle = runtime.proxy(self._render_due)
        self.interval_ms = FRAME_MS  # the main thread's frame interval, as it goes
        self.last_frame_ms: float | None = None
        # The channel to the main thread opens now: reports go over it before frames start.
        runtime.local().follow(str(runtime.bridge().host()), self._handle)

    def start(self) -> None:
        self._running = True

    def watch(self) -> None:
        """Nothing to watch from a worker: the page is on the main thread, and every view
        draws in every frame."""

    def dispose(self) -> None:
        Frames.dispose(self)
        runtime.release(self._render_handle)

    def _on_frame(self, frame_ms: float, applied: int) -> None:  # type: ignore[override]
        """The main thread started a frame at `frame_ms` (this thread's clock), having
        applied the posted writes up to number `applied`."""
        if not self._running:
            return
        self.measurements.painted_through(applied, frame_ms)
        self._frame_done(frame_ms)
        if self.last_frame_ms is not None:
            interval = min(SLOWEST_FRAME_MS, max(FRAME_MS, frame_ms - self.last_frame_ms))
            self.interval_ms += FRAME_SMOOTHING * (interval - self.interval_ms)
        self.last_frame_ms = frame_ms
        if not self._render_queued:
            self._render_queued = True
            due = frame_ms + self.interval_ms - RENDER_LEAD_MS - runtime.now_ms()
            runtime.set_timeout(self._render_handle, max(0.0, due))

    def _render_due(self) -> None:
        self._render_queued = False
        if not self._running or not self.stale:
            return
        if self.store.paused.peek():
            self.measurements.skip_unpainted()  # the stale views wait for the resume
        else:
            self.measurements.in_flight(self._render())


def bind_card(frames: Frames, store: Store, symbol: str) -> Effect:
    writes = frames.writes
    card = ".card" + marked("data-symbol", symbol)
    price = text(writes, field_of(card, "price"))
    change = text(writes, field_of(card, "change"))
    volume = text(writes, field_of(card, "volume"))
    line = field_of(card, "sparkline")
    points = Polyline(writes, line)
    line_transform = attribute(writes, line, "transform")
    direction = attribute(writes, card, "data-direction")
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
        line_transform.show(points.update(shown, store.price_counts[symbol]))

    return frames.view(render, card)


def bind_book(frames: Frames, store: Store, symbol: str) -> Effect:
    writes = frames.writes
    ladder = marked("data-book", symbol)
    cells = []
    for index in range(2 * BOOK_DEPTH):  # asks, best last, then bids, best first
        row = ladder + " tr[data-level]:nth-child(" + str(index + 1) + ")"
        cells.append(
            (
                text(writes, field_of(row, "price")),
                text(writes, field_of(row, "size")),
                transform(writes, field_of(row, "depth")),
            )
        )
    spread = text(writes, field_of(ladder, "spread"))
    version = store.book_versions[symbol]
    # A full book (every row filled, as the simulator sends) changes nearly every cell, so it
    # is written whole with one format operation instead of 31 compared writes: under
    # MicroPython that took a frame's 8 books from ~1.9 to ~0.9 ms. Anything else goes cell by
    # cell. The formats are made once the nodes are bound (the handles are in them), one per
    # price format; until then, cell by cell, which only notes the values for binding to
    # compare with the page.
    runs: dict[tuple[int, int], str] = {}
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
        ladder = views.full_ladder(book) if spread.handle else None
        if ladder is None:
            render_cells(book)
            return
        layout, arguments = ladder
        run = runs.get(layout)
        if run is None:
            run = runs[layout] = _ladder_run(cells, spread, views.ladder_fields(layout))
        writes.add_run(run.format(*arguments), count)
        whole["written"] = True

    return frames.view(render, ladder)


def _ladder_run(cells: list[tuple[Shown, Shown, Shown]], spread: Shown, fields: list[str]) -> str:
    """The "handle␟value␟…" format of a whole ladder, from views.ladder_fields."""
    nodes = [shown for cell in cells for shown in cell] + [spread]
    return SEPARATOR.join([node.handle + SEPARATOR + field for node, field in zip(nodes, fields)])


def bind_trades(frames: Frames, store: Store) -> Effect:
    """New trades go in at the top as one HTML insertion; the oldest rows leave at the bottom.
    A snapshot (new epoch) redraws the tape whole."""
    writes = frames.writes
    body = marked("data-list", "trades")
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
            writes.add(replace.handle, views.trades_html(store.trades))
        elif fresh > 0:
            writes.add(prepend.handle, views.trades_html(store.trades[-fresh:]))

    return frames.view(render, body)


def bind_system(frames: Frames, store: Store) -> Effect:
    writes = frames.writes
    panel = marked("data-panel", "system")
    cpu = text(writes, field_of(panel, "cpu_pct"))
    memory = text(writes, field_of(panel, "mem_mb"))
    rate = text(writes, field_of(panel, "msg_rate"))

    def render() -> None:
        system = store.system.get()
        if system is not None:
            cpu_text, memory_text, rate_text = views.system_texts(system)
            cpu.show(cpu_text)
            memory.show(memory_text)
            rate.show(rate_text)

    return frames.view(render, panel)


def bind_window_hint(frames: Frames, store: Store) -> Effect:
    hint = text(frames.writes, marked("data-field", "window"))
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


def hydrate(store: Store, frames: Frames) -> list[Effect]:
    """Bind every view to the server-rendered nodes (the page renders one card and one book
    per symbol of the snapshot it embeds); returns the effects (dispose to unbind). The nodes
    are resolved when `frames.writes.bind()` runs, before the first frame."""
    effects = [bind_card(frames, store, symbol) for symbol in store.symbols]
    effects += [bind_book(frames, store, symbol) for symbol in store.symbols]
    effects.append(bind_trades(frames, store))
    effects.append(bind_system(frames, store))
    effects.append(bind_window_hint(frames, store))
    return effects
