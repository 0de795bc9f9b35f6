"""OHLCV candles from the stream, kept incrementally. Pure: no clock, no I/O, and portable
(the server's history keeps them, and the page's chart will): no dataclasses, plain classes.

A candle is `{"t", "o", "h", "l", "c", "v", "n"}`: `t` the bucket's start in µs on the wire's
`ts` clock, OHLC of the price stream (the series the cards show), `v` the size traded and `n`
the number of trades in the bucket. A trade in a bucket that has no price yet opens the candle
flat at the symbol's last price; a trade before any price is left out of candles (it is still
kept as a trade). A message older than its symbol's open bucket is late and counted, not merged.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from .protocol import PRICE, TRADE

US_PER_S = 1_000_000
INTERVALS: dict[str, int] = {  # name on the API -> length in µs
    "1s": US_PER_S,
    "5s": 5 * US_PER_S,
    "1m": 60 * US_PER_S,
    "5m": 300 * US_PER_S,
}
FIELDS = ("t", "o", "h", "l", "c", "v", "n")


class Candle:
    def __init__(  # noqa: PLR0917 (a candle's seven fields, in their wire order)
        self,
        t: int,
        o: float,
        h: float,
        l: float,  # noqa: E741 (the field's name on the wire)
        c: float,
        v: float = 0.0,
        n: int = 0,
    ) -> None:
        self.t = t
        self.o = o
        self.h = h
        self.l = l
        self.c = c
        self.v = v
        self.n = n

    def copy(self) -> "Candle":
        return Candle(self.t, self.o, self.h, self.l, self.c, self.v, self.n)

    def add_price(self, price: float) -> None:
        self.h = max(self.h, price)
        self.l = min(self.l, price)
        self.c = price

    def add_trade(self, size: float) -> None:
        self.v += size
        self.n += 1

    def as_wire(self) -> dict[str, float | int]:
        return {
            "t": self.t,
            "o": self.o,
            "h": self.h,
            "l": self.l,
            "c": self.c,
            "v": round(self.v, 8),
            "n": self.n,
        }


TYPE_CHECKING = False
if TYPE_CHECKING:
    from .protocol import Message

    Key = tuple[str, str, int]  # symbol, interval name, bucket start


class CandleBook:
    """The open candle of every symbol and interval. `add` returns nothing; `take_changed`
    hands over every candle touched since the last call (open ones included), for the store."""

    def __init__(self, intervals: "dict[str, int] | None" = None) -> None:
        self.intervals = INTERVALS if intervals is None else intervals
        self.open: dict[tuple[str, str], Candle] = {}
        self.last_price: dict[str, float] = {}
        self.late = 0  # (message, interval) pairs older than the open bucket: not merged
        self._last_ts: dict[str, int] = {}
        self._changed: "dict[Key, Candle]" = {}

    def add(self, message: Message) -> None:
        kind = message["type"]
        if kind == PRICE:
            self._add_price(message["symbol"], message["price"], message["ts"])
        elif kind == TRADE:
            self._add_trade(message["symbol"], message["size"], message["ts"])

    def seed(self, symbol: str, interval: str, candle: Candle) -> None:
        """Continue a candle the store already holds (a restart within its bucket)."""
        self.open[(symbol, interval)] = candle
        self.last_price.setdefault(symbol, candle.c)

    def take_changed(self) -> "list[tuple[Key, Candle]]":
        changed = list(self._changed.items())
        self._changed = {}
        return changed

    def _add_price(self, symbol: str, price: float, ts: int) -> None:
        if ts >= self._last_ts.get(symbol, ts):  # a late price is not the last one
            self.last_price[symbol] = price
            self._last_ts[symbol] = ts
        for name, length in self.intervals.items():
            candle = self._candle(symbol, name, ts - ts % length, price)
            if candle is not None:
                candle.add_price(price)

    def _add_trade(self, symbol: str, size: float, ts: int) -> None:
        last = self.last_price.get(symbol)
        if last is None:
            return
        for name, length in self.intervals.items():
            candle = self._candle(symbol, name, ts - ts % length, last)
            if candle is not None:
                candle.add_trade(size)

    def _candle(self, symbol: str, interval: str, t: int, opening: float) -> Candle | None:
        key = (symbol, interval)
        candle = self.open.get(key)
        if candle is None or candle.t < t:
            candle = Candle(t, opening, opening, opening, opening)
            self.open[key] = candle
        elif candle.t > t:
            self.late += 1
            return None
        self._changed[(symbol, interval, t)] = candle
        return candle
