"""A sparkline kept up to date in O(new points) per frame, not O(window).

The reference formula maps every point into the 240 x 56 box, so each new price (which moves
the x of every point, and often the min or max) rewrites the whole `points` string: 200 to 1000
formatted numbers per symbol per frame, the largest cost of a Python frame. Here the points stay
in data coordinates (tick index, price) and a `transform` matrix on the polyline maps them into
the box by the same formula, so a frame formats only the points that arrived and writes two
attributes. Geometry equals `views.sparkline_points` (tested).

Both coordinates are kept relative to a base fixed at the last rebuild, so the numbers stay small
and the browser's single-precision geometry stays exact.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from .views import FLAT_RANGE, SPARKLINE_HEIGHT, SPARKLINE_WIDTH

REBASE_AFTER = 100_000  # points: rebuild before x values grow long


class Sparkline:
    def __init__(self, width: float = SPARKLINE_WIDTH, height: float = SPARKLINE_HEIGHT) -> None:
        self.width = width
        self.height = height
        self.points: list[str] = []
        self.first = 0  # tick index of points[0]
        self.base_index = 0
        self.base_value = 0.0

    def _point(self, index: int, value: float) -> str:
        return "%d,%.6g" % (index - self.base_index, value - self.base_value)

    def _rebuild(self, history: list[float], first: int) -> None:
        self.base_index = first
        self.base_value = history[0]
        self.points = [self._point(first + offset, value) for offset, value in enumerate(history)]

    def update(self, history: list[float], total: int) -> tuple[str, str]:
        """(points, transform) for `history`, the last len(history) of `total` prices so far."""
        if not history:
            self.points = []
            return "", ""
        first = total - len(history)
        known_end = self.first + len(self.points)
        if (
            not self.points
            or first < self.first
            or first > known_end
            or total < known_end
            or total - self.base_index > REBASE_AFTER
        ):
            self._rebuild(history, first)
        else:
            del self.points[: first - self.first]
            fresh = total - known_end
            if fresh:
                for offset in range(len(history) - fresh, len(history)):
                    self.points.append(self._point(first + offset, history[offset]))
        self.first = first
        return " ".join(self.points), self._transform(history, first)

    def _transform(self, history: list[float], first: int) -> str:
        # The reference: x = i * width / (n - 1); y = height - (v - low) / span * height.
        count = len(history)
        low = min(history)
        span = max(history) - low
        if abs(span) < FLAT_RANGE:
            span = 1.0
        step = self.width / (count - 1) if count > 1 else 0.0
        scale_y = self.height / span
        shift_x = (self.base_index - first) * step
        shift_y = self.height - (self.base_value - low) * scale_y
        return "matrix(%r 0 0 %r %r %r)" % (step, -scale_y, shift_x, shift_y)
