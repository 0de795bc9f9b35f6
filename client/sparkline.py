"""A sparkline kept up to date in O(new points) per frame, not O(window).

The reference formula maps every point into the 240 x 56 box, so each new price (which moves
the x of every point, and often the min or max) rewrites the whole `points` string: 200 to 1000
formatted numbers per symbol per frame, the largest cost of a Python frame. Here the points stay
in data coordinates (tick index, price) and a `transform` matrix on the polyline maps them into
the box by the same formula, so a frame formats only the points that arrived. The page is told
only what changed too (`update` returns the count of points that left and the text of those that
came), so no frame handles the whole line's text. Geometry equals `texts.sparkline_points`
(tested).

Both coordinates are kept relative to a base fixed at the last rebuild, so the numbers stay small
and the browser's single-precision geometry stays exact.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from .texts import FLAT_RANGE, SPARKLINE_HEIGHT, SPARKLINE_WIDTH

REBASE_AFTER = 100_000  # points: rebuild before x values grow long
REDRAWN = -1  # `update`'s count of points dropped when the line was redrawn whole


class Sparkline:
    def __init__(self, width: float = SPARKLINE_WIDTH, height: float = SPARKLINE_HEIGHT) -> None:
        self.width = width
        self.height = height
        self.points: list[str] = []
        # Kept alongside the points, so a frame touches only the points that came and went:
        # under MicroPython joining or scanning a whole window is a large part of a frame.
        self.low = 0.0  # the lowest price the points show
        self.high = 0.0  # the highest
        # The sliding window's minimum and maximum, kept as monotonic queues (ascending lows,
        # descending highs) with the tick of each: the window's extreme is the first, and one
        # that leaves is dropped from the front. A random walk's extreme leaves the window
        # often, and a rescan of the window on each of those is slow under MicroPython.
        self._lows: list[float] = []
        self._low_ticks: list[int] = []
        self._highs: list[float] = []
        self._high_ticks: list[int] = []
        self.first = 0  # tick index of points[0]
        self.base_index = 0
        self.base_value = 0.0

    def _point(self, index: int, value: float) -> str:
        return "%d,%.6g" % (index - self.base_index, value - self.base_value)

    def _rebuild(self, history: list[float], first: int) -> None:
        self.base_index = first
        self.base_value = history[0]
        self.points = [self._point(first + offset, value) for offset, value in enumerate(history)]
        self._lows = []
        self._low_ticks = []
        self._highs = []
        self._high_ticks = []
        self._extend_extremes(history, first)

    def _extend_extremes(self, new_values: list[float], start: int) -> None:
        lows = self._lows
        low_ticks = self._low_ticks
        highs = self._highs
        high_ticks = self._high_ticks
        tick = start
        for value in new_values:
            while lows and lows[-1] >= value:
                lows.pop()
                low_ticks.pop()
            lows.append(value)
            low_ticks.append(tick)
            while highs and highs[-1] <= value:
                highs.pop()
                high_ticks.pop()
            highs.append(value)
            high_ticks.append(tick)
            tick += 1
        self.low = lows[0]
        self.high = highs[0]

    def _forget_before(self, first: int) -> None:
        """Drop the extremes whose tick left the window (those before `first`)."""
        lows = self._lows
        low_ticks = self._low_ticks
        while low_ticks and low_ticks[0] < first:
            low_ticks.pop(0)
            lows.pop(0)
        highs = self._highs
        high_ticks = self._high_ticks
        while high_ticks and high_ticks[0] < first:
            high_ticks.pop(0)
            highs.pop(0)
        if lows:
            self.low = lows[0]
            self.high = highs[0]

    def _append(self, history: list[float], fresh: int, start: int) -> str:
        """Add the last `fresh` prices of `history`, from tick `start`; returns their points."""
        new_values = history[len(history) - fresh :]
        new_points = [self._point(start + offset, value) for offset, value in enumerate(new_values)]
        self._extend_extremes(new_values, start)
        self.points.extend(new_points)
        return " ".join(new_points)

    def text(self) -> str:
        """The whole line's points."""
        return " ".join(self.points)

    def update(self, history: list[float], total: int) -> tuple[int, str, str]:
        """(dropped, added, transform) for `history`, the last len(history) of `total` prices
        so far: the line's oldest `dropped` points left and the points `added` came at its
        end, or, with `dropped` REDRAWN, `added` is the whole line."""
        count = len(history)
        if not count:
            redrawn = bool(self.points)
            self.points = []
            return (REDRAWN if redrawn else 0), "", ""
        first = total - count
        points = self.points
        known_end = self.first + len(points)
        if (
            not points
            or first < self.first
            or first > known_end
            or total < known_end
            or total - self.base_index > REBASE_AFTER
        ):
            self._rebuild(history, first)
            dropped = REDRAWN
            added = self.text()
        else:
            dropped = first - self.first
            if dropped:
                del points[:dropped]
                self._forget_before(first)
            fresh = total - known_end
            if fresh == 1:  # the usual frame, inline: a call is dear under MicroPython
                value = history[-1]
                added = self._point(known_end, value)
                points.append(added)
                self._extend_extremes([value], known_end)
            elif fresh:
                added = self._append(history, fresh, known_end)
            else:
                added = ""
        self.first = first
        return dropped, added, self._transform(count, first)

    def _transform(self, count: int, first: int) -> str:
        # The reference: x = i * width / (n - 1); y = height - (v - low) / span * height.
        low = self.low
        span = self.high - low
        if abs(span) < FLAT_RANGE:
            span = 1.0
        step = self.width / (count - 1) if count > 1 else 0.0
        scale_y = self.height / span
        shift_x = (self.base_index - first) * step
        shift_y = self.height - (self.base_value - low) * scale_y
        # Nine significant digits keep every point within 0.001 of the box's units (x counts
        # at most REBASE_AFTER ticks); under MicroPython "%r" costs twice as much.
        return "matrix(%.9g 0 0 %.9g %.9g %.9g)" % (step, -scale_y, shift_x, shift_y)
