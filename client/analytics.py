"""The chart's model: one symbol at one interval, its bars (history, then live), the built-in
indicators and the user's indicator run on each closed bar, and the alerts. Pure and portable;
the page draws what `take_drawing()` hands it, and `snapshot()` is `window.tickscope.analytics()`
(issue 21's interface).

A drawing is JSON-able: `{"reset": bool, "bars": [[t, o, h, l, c, v], ...], "lines": {name:
[[t, value], ...]}}`, times in µs on the wire's clock. A reset replaces the whole chart (history
loaded, an indicator added, the user's code run); otherwise it holds only what changed since the
last one (bars closed since, the open bar, their indicator points), in time order.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from .alerts import Alert, Alerts
from .candles import INTERVALS, Candle, CandleBook
from .indicators import ORDER, indicator
from .protocol import PRICE, TRADE
from .user_code import NONE, RUNNING

DEFAULT_INTERVAL = "1s"
# ?chart=off: the page computes and draws no chart (the benchmark's baseline); alerts still fire.
CHART_OFF = "off"
MAX_BARS = 5000  # the bars the model keeps; older ones scroll out
TRIM_EVERY = 500  # bars past MAX_BARS before the chart is trimmed (and redrawn whole)
USER_PREFIX = "py."  # the user's lines, apart from the built-in ones
PART = "."  # between an indicator's name and one of its several lines: "bb.upper"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .protocol import Message
    from .user_code import UserIndicator


def indicator_names(text: str | None) -> tuple[str, ...]:
    """`?indicators=sma,ema` as the built-in names it holds, in the page's order; unknown
    names are left out."""
    asked = (text or "").split(",")
    return tuple(name for name in ORDER if name in asked)


class Analytics:
    def __init__(
        self,
        symbol: str,
        interval: str = DEFAULT_INTERVAL,
        indicators: tuple[str, ...] = (),
        alerts: Alerts | None = None,
        user: UserIndicator | None = None,
    ) -> None:
        if interval not in INTERVALS:
            raise ValueError(
                "interval must be one of {}, got {!r}".format(", ".join(INTERVALS), interval)
            )
        self.symbol = symbol
        self.interval = interval
        self.book = CandleBook({interval: INTERVALS[interval]})
        self.bars: list[Candle] = []
        self.open: Candle | None = None
        self.names = list(indicators)
        self.indicators: dict[str, Any] = {}
        self.values: dict[str, Any] = {}
        self.lines: dict[str, list[list[Any]]] = {}
        self.alerts = Alerts() if alerts is None else alerts  # every symbol's, kept across charts
        self.user = user
        self.fresh_bars: list[Candle] = []
        self.fresh_points: dict[str, list[list[Any]]] = {}
        self.open_changed = False
        self.redraw = True
        self._restart_indicators()  # refuses an unknown name, saying the known ones

    # -- data in ---------------------------------------------------------------------------------

    def load(self, candles: list[dict[str, Any]]) -> None:
        """History from /api/candles (oldest first), before the live bars already here: those
        win where the two overlap. With no live bar yet, the newest candle is the open one."""
        live = self.bars[0] if self.bars else self.open
        history = [_candle(wire) for wire in candles if live is None or wire["t"] < live.t]
        if live is None and history:
            self.open = history.pop()
            self.book.seed(self.symbol, self.interval, self.open)
        self.bars = history + self.bars
        self.rerun()

    def apply(self, message: Message) -> list[Alert]:
        """A stream message; returns the alerts its price fired (any symbol's)."""
        fired = self.alerts.on_message(message)
        if message.get("type") not in (PRICE, TRADE) or message.get("symbol") != self.symbol:
            return fired
        self.book.add(message)
        for _, candle in self.book.take_changed():
            if self.open is not None and candle.t > self.open.t:
                self._close(self.open)
            self.open = candle
            self.open_changed = True
        return fired

    # -- indicators ------------------------------------------------------------------------------

    def set_indicators(self, names: tuple[str, ...]) -> None:
        for name in names:
            indicator(name)
        self.names = list(names)
        self.rerun(False)  # the user's lines do not depend on the built-in ones

    def rerun(self, user: bool = True) -> None:
        """Every built-in indicator afresh over the bars kept, and the user's too while it runs
        (unless `user` is False); the chart is redrawn."""
        self._restart_indicators()
        for bar in self.bars:
            self._indicate(bar, False)
        if user and self.user is not None and self.user.state == RUNNING:
            self.run_user()
        self.redraw = True

    def run_user(self) -> None:
        """Run the user's code over the bars kept (its Run button); the chart is redrawn."""
        if self.user is None:
            return
        self.stop_user()
        values = self.user.run(self.bars)
        for bar, point in zip(self.bars, values):
            self._add_user_points(bar, point, False)

    def stop_user(self) -> None:
        """The user's code set aside (new code in the editor): its lines leave the chart."""
        for name in [name for name in self.lines if name.startswith(USER_PREFIX)]:
            del self.lines[name]
        self.redraw = True

    def _restart_indicators(self) -> None:
        self.indicators = {name: indicator(name) for name in self.names}
        self.values = dict.fromkeys(self.names)
        self.lines = {
            name: points for name, points in self.lines.items() if name.startswith(USER_PREFIX)
        }

    def _close(self, bar: Candle) -> None:
        self.bars.append(bar)
        self.fresh_bars.append(bar)
        self._indicate(bar, True)
        if self.user is not None:
            self._add_user_points(bar, self.user.update(bar), True)
        if len(self.bars) > MAX_BARS + TRIM_EVERY:
            self._trim()

    def _indicate(self, bar: Candle, fresh: bool) -> None:
        for name in self.names:
            value = self.indicators[name].update(bar)
            self.values[name] = value
            if isinstance(value, dict):
                for part, number in value.items():
                    self._point(name + PART + part, bar.t, number, fresh)
            elif value is not None:
                self._point(name, bar.t, value, fresh)

    def _add_user_points(self, bar: Candle, values: dict[str, float] | None, fresh: bool) -> None:
        if values is not None:
            for name, number in values.items():
                self._point(USER_PREFIX + name, bar.t, number, fresh)

    def _point(self, name: str, t: int, value: float, fresh: bool) -> None:
        point = [t, value]
        line = self.lines.get(name)
        if line is None:
            self.lines[name] = [point]
            self.redraw = True  # a new line: the page must make its series
        else:
            line.append(point)
        if fresh:
            points = self.fresh_points.get(name)
            if points is None:
                self.fresh_points[name] = [point]
            else:
                points.append(point)

    def _trim(self) -> None:
        del self.bars[: len(self.bars) - MAX_BARS]
        first = self.bars[0].t
        for line in self.lines.values():
            cut = 0
            while cut < len(line) and line[cut][0] < first:
                cut += 1
            del line[:cut]
        self.redraw = True

    # -- data out --------------------------------------------------------------------------------

    def take_drawing(self) -> dict[str, Any] | None:
        """What the chart must draw since the last call, or None when nothing changed."""
        if self.redraw:
            bars = self.bars + ([self.open] if self.open is not None else [])
            drawing = {"reset": True, "bars": [_bar_row(bar) for bar in bars], "lines": self.lines}
        elif self.fresh_bars or self.open_changed:
            bars = self.fresh_bars
            if self.open is not None:
                bars = bars + [self.open]  # noqa: RUF005 (MicroPython has no [*x] displays)
            drawing = {
                "reset": False,
                "bars": [_bar_row(bar) for bar in bars],
                "lines": self.fresh_points,
            }
        else:
            return None
        self.redraw = False
        self.fresh_bars = []
        self.fresh_points = {}
        self.open_changed = False
        return drawing

    def snapshot(self) -> dict[str, Any]:
        last = self.open or (self.bars[-1] if self.bars else None)
        user = (
            {"state": NONE, "error": None, "last": None}
            if self.user is None
            else self.user.status()
        )
        return {
            "symbol": self.symbol,
            "interval": self.interval,
            "bars": len(self.bars) + (1 if self.open is not None else 0),
            "last_bar": None if last is None else _bar_json(last),
            "indicators": dict(self.values),
            "alerts": self.alerts.as_json(),
            "user": user,
        }


def _candle(wire: dict[str, Any]) -> Candle:
    return Candle(wire["t"], wire["o"], wire["h"], wire["l"], wire["c"], wire["v"], wire["n"])


def _bar_row(bar: Candle) -> list[Any]:
    return [bar.t, bar.o, bar.h, bar.l, bar.c, bar.v]


def _bar_json(bar: Candle) -> dict[str, Any]:
    return {"t": bar.t, "o": bar.o, "h": bar.h, "l": bar.l, "c": bar.c, "v": bar.v}
