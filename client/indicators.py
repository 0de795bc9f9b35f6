"""Built-in technical indicators, incremental: each `update(bar)` costs O(1) (amortized: the
windowed sums are summed afresh once per window, so rounding cannot build up over a long run).

Each takes closed bars (anything with `o, h, l, c, v`) and returns its value for that bar, or
None while it has too few bars. The definitions are the usual ones, checked against talipp
(tests/unit/test_indicators.py):

    sma N      mean of the last N closes
    ema N      seeded with the SMA of the first N closes, then alpha = 2 / (N + 1)
    vwap       cumulative sum(typical price * volume) / sum(volume); typical = (h + l + c) / 3
    bb N K     the SMA of N closes, and K population standard deviations either side
    rsi N      Wilder's: average gain and loss seeded by the mean of the first N changes, then
               smoothed by (N - 1) / N; 100 when there was no loss

Portable to MicroPython: plain classes, no dataclasses, no deque keyword arguments.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

import math

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    class Bar(Protocol):
        o: float
        h: float
        l: float  # noqa: E741 (the field's name on the wire)
        c: float
        v: float


class Window:
    """The last `size` values, with their sum and sum of squares."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a window needs at least one value, got {}".format(size))
        self.size = size
        self.values = [0.0] * size
        self.count = 0
        self.next = 0
        self.total = 0.0
        self.squares = 0.0

    @property
    def full(self) -> bool:
        return self.count >= self.size

    def add(self, value: float) -> None:
        if self.full:
            old = self.values[self.next]
            self.total -= old
            self.squares -= old * old
        else:
            self.count += 1
        self.values[self.next] = value
        self.total += value
        self.squares += value * value
        self.next = (self.next + 1) % self.size
        if self.next == 0:  # once per window: exact sums again
            self.total = sum(self.values)
            self.squares = sum(v * v for v in self.values)

    def mean(self) -> float:
        return self.total / self.count

    def deviation(self) -> float:
        """Population standard deviation."""
        mean = self.mean()
        return math.sqrt(max(0.0, self.squares / self.count - mean * mean))


class SMA:
    name = "sma"

    def __init__(self, period: int = 20) -> None:
        self.window = Window(period)

    def update(self, bar: Bar) -> float | None:
        self.window.add(bar.c)
        return self.window.mean() if self.window.full else None


class EMA:
    name = "ema"

    def __init__(self, period: int = 20) -> None:
        self.period = period
        self.alpha = 2.0 / (period + 1.0)
        self.seed = Window(period)
        self.value: float | None = None

    def update(self, bar: Bar) -> float | None:
        if self.value is None:
            self.seed.add(bar.c)
            if self.seed.full:
                self.value = self.seed.mean()
            return self.value
        self.value = self.alpha * bar.c + (1.0 - self.alpha) * self.value
        return self.value


class VWAP:
    name = "vwap"

    def __init__(self) -> None:
        self.priced = 0.0
        self.volume = 0.0

    def update(self, bar: Bar) -> float | None:
        self.priced += bar.v * (bar.h + bar.l + bar.c) / 3.0
        self.volume += bar.v
        return self.priced / self.volume if self.volume else None


class Bollinger:
    name = "bb"

    def __init__(self, period: int = 20, width: float = 2.0) -> None:
        self.window = Window(period)
        self.width = width

    def update(self, bar: Bar) -> dict[str, float] | None:
        self.window.add(bar.c)
        if not self.window.full:
            return None
        middle = self.window.mean()
        spread = self.width * self.window.deviation()
        return {"lower": middle - spread, "middle": middle, "upper": middle + spread}


class RSI:
    name = "rsi"

    def __init__(self, period: int = 14) -> None:
        self.period = period
        self.previous: float | None = None
        self.changes = 0
        self.gain = 0.0
        self.loss = 0.0

    def update(self, bar: Bar) -> float | None:
        close = bar.c
        previous, self.previous = self.previous, close
        if previous is None:
            return None
        change = close - previous
        gain = change if change > 0 else 0.0
        loss = -change if change < 0 else 0.0
        self.changes += 1
        if self.changes <= self.period:  # the seed: the mean of the first N changes
            self.gain += gain / self.period
            self.loss += loss / self.period
            if self.changes < self.period:
                return None
        else:
            self.gain = (self.gain * (self.period - 1) + gain) / self.period
            self.loss = (self.loss * (self.period - 1) + loss) / self.period
        if self.loss == 0:
            return 100.0
        return 100.0 - 100.0 / (1.0 + self.gain / self.loss)


BUILT_IN = {"sma": SMA, "ema": EMA, "vwap": VWAP, "bb": Bollinger, "rsi": RSI}
ORDER = ("sma", "ema", "vwap", "bb", "rsi")  # the page's order (MicroPython's dicts keep none)


def indicator(name: str) -> Any:
    """A fresh built-in indicator by its name on the page (`?indicators=sma,ema`)."""
    made = BUILT_IN.get(name)
    if made is None:
        raise ValueError(
            "no indicator {!r}; the built-in ones are {}".format(name, ", ".join(sorted(BUILT_IN)))
        )
    return made()
