"""The dashboard's panels, one class each, as `public/baseline.js` has them: `Card`, `Ladder`,
`SystemPanel`, `Tape` (and the window size's hint). Each binds the nodes the server rendered
and has one `render`, a view the frame scheduler runs when what it reads has changed; it writes
only values that differ from what the page shows, and creates no node of its own.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from . import texts
from .protocol import TRADES_LIMIT
from .texts import LADDER_ROWS
from .writes import (
    PREPEND_ROWS,
    REPLACE_HTML,
    SEPARATOR,
    Polyline,
    Shown,
    attribute,
    field_of,
    marked,
    text,
    transform,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .frames import Frames
    from .signals import Effect
    from .store import Store

CELLS_PER_ROW = 3  # price, size, depth bar


class Card:
    """One symbol's price, change, direction, volume and sparkline."""

    def __init__(self, frames: Frames, store: Store, symbol: str) -> None:
        writes = frames.writes
        card = ".card" + marked("data-symbol", symbol)
        self.store = store
        self.symbol = symbol
        self.price = text(writes, field_of(card, "price"))
        self.change = text(writes, field_of(card, "change"))
        self.volume = text(writes, field_of(card, "volume"))
        line = field_of(card, "sparkline")
        self.points = Polyline(writes, line)
        self.transform = attribute(writes, line, "transform")
        self.direction = attribute(writes, card, "data-direction")
        self.version = store.price_versions[symbol]
        self.effect = frames.view(self.render, card)

    def render(self) -> None:
        self.version.get()
        store = self.store
        symbol = self.symbol
        shown = store.histories.get(symbol, [])[-store.window.get() :]
        price, change, direction, volume = texts.card_texts(shown, store.last_prices.get(symbol))
        self.price.show(price)
        self.change.show(change)
        self.direction.show(direction)
        self.volume.show(volume)
        self.transform.show(self.points.update(shown, store.price_counts[symbol]))


class Ladder:
    """One symbol's order book: five levels a side, their depth bars, and the spread.

    A full book (every row filled, as the simulator sends) changes nearly every cell, so it is
    written whole with one format operation instead of a compared write per cell (under
    MicroPython each call, slice or format is dear). Anything else goes cell by cell. The
    formats are made once the nodes are bound (the handles are in them), one per price format;
    until then, cell by cell, which only notes the values for binding to compare with the page.
    """

    def __init__(self, frames: Frames, store: Store, symbol: str) -> None:
        writes = frames.writes
        ladder = marked("data-book", symbol)
        self.writes = writes
        self.store = store
        self.symbol = symbol
        self.cells: list[tuple[Shown, Shown, Shown]] = []
        for index in range(LADDER_ROWS):  # asks, best last, then bids, best first
            row = ladder + " tr[data-level]:nth-child(" + str(index + 1) + ")"
            self.cells.append(
                (
                    text(writes, field_of(row, "price")),
                    text(writes, field_of(row, "size")),
                    transform(writes, field_of(row, "depth")),
                )
            )
        self.spread = text(writes, field_of(ladder, "spread"))
        self.version = store.book_versions[symbol]
        self.runs: dict[tuple[int, int], str] = {}
        self.run_writes = CELLS_PER_ROW * LADDER_ROWS + 1
        self.written_whole = False  # the cells' Shown values are stale after a whole write
        self.effect = frames.view(self.render, ladder)

    def render(self) -> None:
        self.version.get()
        book = self.store.books.get(self.symbol)
        ladder = texts.full_ladder(book) if self.spread.handle else None
        if ladder is None:
            self._render_cells(book)
            return
        layout, arguments = ladder
        run = self.runs.get(layout)
        if run is None:
            run = self.runs[layout] = self._run(texts.ladder_fields(layout))
        self.writes.add_run(run.format(*arguments), self.run_writes)
        self.written_whole = True

    def _render_cells(self, book: Any) -> None:
        if self.written_whole:
            self.written_whole = False
            for cell in self.cells:
                for shown in cell:
                    shown.shown = None
            self.spread.shown = None
        self.spread.show(texts.book_spread(book))
        for (price, size, depth), (price_text, size_text, bar) in zip(
            self.cells, texts.ladder_levels(book)
        ):
            price.show(price_text)
            size.show(size_text)
            depth.show(bar)

    def _run(self, fields: list[str]) -> str:
        """The "handle␟value␟…" format of a whole ladder, from texts.ladder_fields."""
        nodes = [shown for cell in self.cells for shown in cell] + [self.spread]
        return SEPARATOR.join(
            [node.handle + SEPARATOR + field for node, field in zip(nodes, fields)]
        )


class SystemPanel:
    """The server's CPU, memory and message rate."""

    def __init__(self, frames: Frames, store: Store) -> None:
        writes = frames.writes
        panel = marked("data-panel", "system")
        self.store = store
        self.cpu = text(writes, field_of(panel, "cpu_pct"))
        self.memory = text(writes, field_of(panel, "mem_mb"))
        self.rate = text(writes, field_of(panel, "msg_rate"))
        self.effect = frames.view(self.render, panel)

    def render(self) -> None:
        system = self.store.system.get()
        if system is not None:
            cpu, memory, rate = texts.system_texts(system)
            self.cpu.show(cpu)
            self.memory.show(memory)
            self.rate.show(rate)


class Tape:
    """The trade tape. New trades go in at the top as one HTML insertion; the oldest rows
    leave at the bottom. A snapshot (new epoch) redraws the tape whole."""

    def __init__(self, frames: Frames, store: Store) -> None:
        writes = frames.writes
        body = marked("data-list", "trades")
        self.writes = writes
        self.store = store
        self.prepend = writes.register(body, PREPEND_ROWS, TRADES_LIMIT)
        self.replace = writes.register(body, REPLACE_HTML)
        self.total = store.trades_total
        self.epoch = store.epoch.peek()
        self.effect = frames.view(self.render, body)

    def render(self) -> None:
        store = self.store
        store.trades_version.get()
        epoch = store.epoch.get()
        fresh = min(store.trades_total - self.total, TRADES_LIMIT, len(store.trades))
        self.total = store.trades_total
        if epoch != self.epoch:
            self.epoch = epoch
            self.writes.add(self.replace.handle, texts.trades_html(store.trades))
        elif fresh > 0:
            self.writes.add(self.prepend.handle, texts.trades_html(store.trades[-fresh:]))


class WindowHint:
    """The window size the sparklines show, in the controls' hint."""

    def __init__(self, frames: Frames, store: Store) -> None:
        self.store = store
        self.hint = text(frames.writes, marked("data-field", "window"))
        self.effect = frames.view(self.render)

    def render(self) -> None:
        self.hint.show(str(self.store.window.get()))


def hydrate(store: Store, frames: Frames) -> list[Effect]:
    """Bind every panel to the server-rendered nodes (the page renders one card and one book
    per symbol of the snapshot it embeds); returns their views (dispose to unbind). The nodes
    are resolved when `frames.writes.bind()` runs, before the first frame."""
    views = [Card(frames, store, symbol).effect for symbol in store.symbols]
    views += [Ladder(frames, store, symbol).effect for symbol in store.symbols]
    views.append(Tape(frames, store).effect)
    views.append(SystemPanel(frames, store).effect)
    views.append(WindowHint(frames, store).effect)
    return views
