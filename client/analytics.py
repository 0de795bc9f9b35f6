"""The chart's model: one symbol at one interval, its bars (history, then live), the built-in
indicators run on each closed bar, and the alerts. Pure and portable; the page draws what it
holds, and `snapshot()` is `window.tickscope.analytics()` (issue 21's interface).
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from .alerts import Alert, Alerts
from .candles import INTERVALS, Candle, CandleBook
from .indicators import indicator
from .protocol import PRICE, TRADE

DEFAULT_INTERVAL = "1s"
MAX_BARS = 5000  # what the chart keeps; older bars scroll out
NONE = "none"  # the user's indicator: none written yet

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .protocol import Message


class Analytics:
    def __init__(
        self, symbol: str, interval: str = DEFAULT_INTERVAL, indicators: tuple[str, ...] = ()
    ) -> None:
        if interval not in INTERVALS:
            raise ValueError(
                "interval must be one of {}, got {!r}".format(", ".join(INTERVALS), interval)
            )
        self.symbol = symbol
        self.interval = interval
        self.length = INTERVALS[interval]
        self.book = CandleBook({interval: self.length})
        self.bars: list[Candle] = []
        self.open: Candle | None = None
        self.names = list(indicators)
        self.indicators = {name: indicator(name) for name in indicators}
        self.values: dict[str, Any] = dict.fromkeys(indicators)
        self.alerts = Alerts()
        self.user: dict[str, Any] = {"state": NONE, "error": None, "last": None}

    def load(self, candles: list[dict[str, Any]]) -> None:
        """History from /api/candles (oldest first): every candle but the newest is closed."""
        for wire in candles[:-1]:
            self._close(_candle(wire))
        if candles:
            newest = _candle(candles[-1])
            self.book.seed(self.symbol, self.interval, newest)
            self.open = newest

    def apply(self, message: Message) -> list[Alert]:
        """A stream message; returns the alerts its price fired."""
        kind = message.get("type")
        if message.get("symbol") != self.symbol or kind not in (PRICE, TRADE):
            return []
        self.book.add(message)
        for _, candle in self.book.take_changed():
            if self.open is not None and candle.t > self.open.t:
                self._close(self.open)
            self.open = candle
        if kind == PRICE:
            return self.alerts.check(self.symbol, message["price"])
        return []

    def _close(self, bar: Candle) -> None:
        self.bars.append(bar)
        if len(self.bars) > MAX_BARS:
            del self.bars[: len(self.bars) - MAX_BARS]
        for name in self.names:
            self.values[name] = self.indicators[name].update(bar)

    def snapshot(self) -> dict[str, Any]:
        last = self.open or (self.bars[-1] if self.bars else None)
        return {
            "symbol": self.symbol,
            "interval": self.interval,
            "bars": len(self.bars) + (1 if self.open is not None else 0),
            "last_bar": None if last is None else _bar_json(last),
            "indicators": dict(self.values),
            "alerts": self.alerts.as_json(),
            "user": dict(self.user),
        }


def _candle(wire: dict[str, Any]) -> Candle:
    return Candle(wire["t"], wire["o"], wire["h"], wire["l"], wire["c"], wire["v"], wire["n"])


def _bar_json(bar: Candle) -> dict[str, Any]:
    return {"t": bar.t, "o": bar.o, "h": bar.h, "l": bar.l, "c": bar.c, "v": bar.v}
