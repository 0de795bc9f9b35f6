"""The client's market state, and the one reducer that changes it: `Store.apply(message)`.

Plain Python data plus a few version signals. A message updates the data at once and bumps the
version of what it touched; the views that read those versions are marked stale and redraw on
the next frame. Pure (no js, no I/O) and portable.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from .protocol import (
    BATCH,
    BOOK,
    CONFIG,
    CONFLATED,
    DEFAULT_WINDOW,
    DELIVERY,
    ERROR,
    FREQUENCY_MS,
    GAP,
    MARKET,
    PRICE,
    SNAPSHOT,
    SYSTEM,
    TRADE,
    TRADES_LIMIT,
    WINDOW_SIZES,
    Message,
    gap,
    gap_notice,
)
from .signals import Signal, batch

# Connection states, as the page's <html data-state> shows them.
SSR = "ssr"
LOADING = "loading"
LIVE = "live"
RECONNECTING = "reconnecting"
OFFLINE = "offline"
STALE = "stale"  # connected, but nothing has arrived for STALE_AFTER_MS
STATES = (SSR, LOADING, LIVE, RECONNECTING, OFFLINE, STALE)
STALE_AFTER_MS = 3000.0  # three missed system ticks


# A number here is an int or a float, but not a bool (a price of `true` is not a number) and
# not NaN. Tested without a call, as under MicroPython each costs about a microsecond and a
# book carries 20 numbers: a bool by identity, anything else json gives that is not a number
# by `+ 0` raising TypeError, NaN by being unequal to itself.


def _are_numbers(message: Message, names: tuple[str, ...]) -> bool:
    try:
        for name in names:
            value = message.get(name)
            value + 0  # type: ignore[operator]  # raises TypeError unless a number
            if value is True or value is False or value != value:  # noqa: PLR0124 - NaN
                return False
    except TypeError:
        return False
    return True


def _is_level_list(levels: object) -> bool:
    """A list of [price, size] pairs of numbers."""
    if type(levels) is not list:
        return False
    try:
        for price, size in levels:  # json makes a pair a list; anything else fails here
            price + 0  # raises TypeError unless a number
            size + 0
            if price is True or price is False or size is True or size is False:
                return False
            if price != price or size != size:  # noqa: PLR0124 - NaN
                return False
    except (TypeError, ValueError):  # not a number, or a level that is not a pair
        return False
    return True


# The fields each stream message must carry as numbers (besides what its handler checks).
NUMERIC_FIELDS = {
    PRICE: ("price", "volume", "ts"),
    TRADE: ("price", "size", "ts"),
    BOOK: ("ts",),
    SYSTEM: ("cpu_pct", "mem_mb", "msg_rate", "ts"),
    GAP: ("first", "last"),
    CONFLATED: ("first", "last", "skipped"),
}
_WITH_SYMBOL = (PRICE, TRADE, BOOK)


def well_formed(message: Message) -> bool:
    """Whether a stream message has the fields and types the views will format."""
    kind = message.get("type")
    seq = message.get("seq")
    if seq is not None and type(seq) is not int:  # a bool's type is bool
        return False
    names = NUMERIC_FIELDS.get(kind)  # type: ignore[arg-type]
    if names is not None and not _are_numbers(message, names):
        return False
    if kind in _WITH_SYMBOL and type(message.get("symbol")) is not str:
        return False
    if kind == BOOK:
        return _is_level_list(message.get("bids")) and _is_level_list(message.get("asks"))
    return True


class Store:
    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        self.window = Signal(self._checked_window(window))
        self.state = Signal(LOADING)
        self.paused = Signal(False)
        self.frequency_ms = Signal(None)
        self.symbols: list[str] = []
        self.histories: dict[str, list[float]] = {}
        self.last_prices: dict[str, Message] = {}
        self.price_versions: dict[str, Signal] = {}
        # Prices ever applied per symbol, never reset: the sparkline's tick index.
        self.price_counts: dict[str, int] = {}
        self.books: dict[str, Message] = {}
        self.book_versions: dict[str, Signal] = {}
        # Newest last; `trades_total` counts every trade ever applied, so a view can tell how
        # many are new since it last drew without comparing rows.
        self.trades: list[Message] = []
        self.trades_total = 0
        self.trades_version = Signal(0)
        self.system = Signal(None)
        self.last_error = Signal(None)
        self.batch = Signal(None)  # the server's latest batch reply: mode and interval
        self.delivery = Signal(None)  # the server's latest word on conflated or full delivery
        # Bumped by every snapshot: views redraw from scratch instead of incrementally.
        self.epoch = Signal(0)
        self.last_seq = 0
        self.market = ""  # the run of the market last_seq belongs to
        self.received = 0
        self.gaps = 0
        self.conflated = 0  # skipped on purpose by the server: the newest value is shown
        self.conflated_through = 0  # seqs up to this one may be missing: they were conflated
        self.conflated_lately = 0  # skipped since the server last moved this page to conflated
        self.duplicates = 0
        self.unknown = 0
        self.fresh_start_reason: str | None = None  # why the page asked for a fresh snapshot

    @staticmethod
    def _checked_window(window: int) -> int:
        if window not in WINDOW_SIZES:
            raise ValueError("window must be one of {}, got {}".format(WINDOW_SIZES, window))
        return window

    # -- the reducer -------------------------------------------------------------------------

    def apply(self, message: Message) -> bool:
        """Apply one server message; False when it was skipped (stale seq or unknown type)."""
        self.received += 1
        seq = message.get("seq")
        kind = message.get("type")
        if kind != SNAPSHOT and not well_formed(message):
            self.unknown += 1
            return False
        if kind == SNAPSHOT:
            batch(lambda: self._apply_snapshot(message))
            return True
        if seq is not None and not self._in_sequence(seq):
            return False
        # Most frequent first: a chain of comparisons beats a dict of bound methods here.
        if kind == PRICE:
            self._apply_price(message)
        elif kind == BOOK:
            self._apply_book(message)
        elif kind == TRADE:
            self._apply_trade(message)
        elif kind == SYSTEM:
            self.system.set(message)
        elif kind == CONFIG:
            self.frequency_ms.set(message[FREQUENCY_MS])
            self.market = message.get(MARKET, "")
        elif kind == ERROR:
            self.last_error.set(message)
        elif kind == GAP:
            self._apply_gap(message)
        elif kind in (BATCH, CONFLATED, DELIVERY):
            self._apply_delivery(message)
        else:
            self.unknown += 1
            return False
        return True

    def _apply_delivery(self, message: Message) -> None:
        """How the server delivers to this page: its batch reply, a conflated interval's
        notice, or its switch between conflated and full delivery."""
        kind = message["type"]
        if kind == BATCH:
            self.batch.set(message)
        elif kind == CONFLATED:
            skipped = max(0, message["skipped"])
            self.conflated += skipped
            self.conflated_lately += skipped
            self.conflated_through = max(self.conflated_through, message["last"])
        else:
            before = self.delivery.peek()
            if before is None or before["mode"] != message["mode"]:
                self.conflated_lately = 0  # a new stretch (a rung changed: the same one)
            self.delivery.set(message)

    def _apply_gap(self, message: Message) -> None:
        # Counted like any other gap; the snapshot that follows makes the state whole again.
        self.gaps += max(0, message["last"] - message["first"] + 1)
        self.last_error.set({"type": ERROR, "code": GAP, "message": gap_notice(message)})

    def _in_sequence(self, seq: int) -> bool:
        if seq <= self.last_seq:
            self.duplicates += 1
            return False
        if self.last_seq and seq > self.last_seq + 1:
            # What a conflated interval stood for was counted by its notice, not lost.
            missing = seq - max(self.last_seq, self.conflated_through) - 1
            if missing > 0:
                self.gaps += missing
        self.last_seq = seq
        return True

    def expect_fresh_snapshot(self, reason: str) -> None:
        """The page dropped its stream on purpose; the next snapshot's skipped seqs are a gap
        with this reason."""
        self.fresh_start_reason = reason

    def _apply_price(self, message: Message) -> None:
        symbol = message["symbol"]
        history = self.histories.get(symbol)
        if history is None:
            return  # a symbol the page was not built for; the snapshot decides the set
        history.append(message["price"])
        excess = len(history) - self.window.peek()
        if excess > 0:
            del history[:excess]
        self.last_prices[symbol] = message
        self.price_counts[symbol] += 1
        self.price_versions[symbol].increment()

    def _apply_trade(self, message: Message) -> None:
        self.trades.append(message)
        if len(self.trades) > TRADES_LIMIT:
            del self.trades[: len(self.trades) - TRADES_LIMIT]
        self.trades_total += 1
        self.trades_version.increment()

    def _apply_book(self, message: Message) -> None:
        symbol = message["symbol"]
        if symbol in self.book_versions:
            self.books[symbol] = message
            self.book_versions[symbol].increment()

    def _apply_snapshot(self, snapshot: Message) -> None:
        reason, self.fresh_start_reason = self.fresh_start_reason, None
        if reason is not None and self.last_seq and snapshot["seq"] > self.last_seq:
            self._apply_gap(gap(self.last_seq + 1, snapshot["seq"], reason))
        self.delivery.set(None)  # a new connection starts with full delivery
        config = snapshot["config"]
        self.market = config.get(MARKET, "")
        self.symbols = list(config["symbols"])
        window = self.window.peek()
        self.histories = {s: list(snapshot["prices"].get(s, []))[-window:] for s in self.symbols}
        self.last_prices = {s: m for s, m in snapshot["last"].items() if s in self.histories}
        self.books = {s: m for s, m in snapshot["books"].items() if s in self.histories}
        for symbol in self.symbols:
            if symbol not in self.price_versions:
                self.price_versions[symbol] = Signal(0)
                self.book_versions[symbol] = Signal(0)
                self.price_counts[symbol] = 0
            self.price_counts[symbol] += len(self.histories[symbol])
            self.price_versions[symbol].increment()
            self.book_versions[symbol].increment()
        self.trades = list(snapshot["trades"])[-TRADES_LIMIT:]
        self.trades_total += len(self.trades)
        self.trades_version.increment()
        self.system.set(snapshot["system"])
        self.frequency_ms.set(config[FREQUENCY_MS])
        self.last_seq = snapshot["seq"]
        self.epoch.increment()

    # -- user settings -------------------------------------------------------------------------

    def set_window(self, window: int) -> None:
        """Resize every rolling history; shrinking drops the oldest points at once."""
        window = self._checked_window(window)

        def resize() -> None:
            self.window.set(window)
            for symbol, history in self.histories.items():
                if len(history) > window:
                    del history[: len(history) - window]
                self.price_versions[symbol].increment()

        batch(resize)

    def reset_counts(self) -> None:
        """Clear what the measurement windows count; the market data stays."""
        self.received = 0
        self.gaps = 0
        self.conflated = 0
        self.duplicates = 0
        self.unknown = 0
