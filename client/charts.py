"""The performance panel's live charts, and the latency distribution metrics() reports. Pure.

The panel (client/panel.py) plots one point per second over the last minute: the
receipt-to-paint latency of that second (p95 and mean) and its frame rate. Each chart's
vertical scale runs from 0 to the window's largest value, which the chart's readout names
beside the newest value.

The distribution is a histogram in fixed bins (the same edges in every engine, so two engines'
histograms can be drawn on one chart), counted from the sorted latency window the report
already holds, by one binary search per edge. Portable to MicroPython.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from .stats import FPS_SAMPLES, percentile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

SECONDS_SHOWN = FPS_SAMPLES  # one point per second: the last minute
# The charts' SVG viewBox, stretched to the panel's width. Whole-number coordinates: under
# MicroPython "%d" formats a point in less than half the time "%.1f" does.
SLOT_WIDTH = 10  # between two seconds' points
CHART_WIDTH = SLOT_WIDTH * (SECONDS_SHOWN - 1)
CHART_HEIGHT = 100
SMALLEST_TOP = 1.0  # a chart of zeros still has a scale
# Bins of receipt-to-paint latency, ms: 1 ms wide across two 60 Hz frames, then wider. Bin i
# holds edges[i] <= latency < edges[i + 1]; the first bin also holds anything below it (none
# is expected) and the last anything above (the last edge closes the chart's axis only).
LATENCY_EDGES_MS = (
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
    21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
    40, 50, 60, 80, 100, 150, 200, 300, 500, 1000, 2000, 5000,
)  # fmt: skip


def count_below(ordered: list[float], limit: float) -> int:
    """How many values of the sorted `ordered` are below `limit` (a binary search: MicroPython
    has no bisect module)."""
    low = 0
    high = len(ordered)
    while low < high:
        middle = (low + high) // 2
        if ordered[middle] < limit:
            low = middle + 1
        else:
            high = middle
    return low


def histogram(ordered: list[float], edges: tuple[int, ...] = LATENCY_EDGES_MS) -> list[int]:
    """The count of sorted `ordered` in each bin between `edges` (len(edges) - 1 bins)."""
    counts = []
    start = 0
    for edge in edges[1:-1]:
        end = count_below(ordered, edge)
        counts.append(end - start)
        start = end
    counts.append(len(ordered) - start)
    return counts


NO_FIGURES: dict[str, float | None] = {"mean": None, "p50": None, "p95": None}
# The most values of one second that the panel sorts for a figure. At 10,000 msgs/s a second
# holds thousands, and MicroPython's sort takes quadratic time on the nearly ordered wire
# latencies of a growing backlog: the panel then cost milliseconds a frame. An even spread of
# this many gives the second's p50 and p95 to within a percentile or so.
SECOND_SAMPLES_SORTED = 200


def thinned(values: list[float], most: int = SECOND_SAMPLES_SORTED) -> list[float]:
    """At most `most` of `values`, evenly spread over them (every k-th), in their order."""
    if len(values) <= most:
        return values
    step = (len(values) + most - 1) // most
    return values[::step]


def figures_of(values: list[float], with_mean: bool) -> dict[str, float | None]:
    """p50 and p95 of `values` (thinned to SECOND_SAMPLES_SORTED) by the reference's rule, and
    their mean if `with_mean` (under MicroPython a sum of floats is not free: only latency's is
    shown)."""
    if not values:
        return NO_FIGURES
    ordered = sorted(thinned(values))
    return {
        "mean": sum(ordered) / len(ordered) if with_mean else None,
        "p50": percentile(ordered, 0.50),
        "p95": percentile(ordered, 0.95),
    }


def chart_top(values: Sequence[float | None]) -> float | None:
    """The top of a chart's scale: the largest value shown (None when it shows none)."""
    shown = [value for value in values if value is not None]
    if not shown:
        return None
    shown.append(SMALLEST_TOP)
    return max(shown)


# "x," of each slot, left to right: the same in every redraw, so only the y values are formatted.
_SLOT_PREFIXES = ["%d," % (slot * SLOT_WIDTH) for slot in range(SECONDS_SHOWN)]


def line_points(values: Sequence[float | None], top: float) -> str:
    """SVG polyline points of the newest SECONDS_SHOWN values, the newest at the right edge, one
    slot per value, y rounded to whole units; a value of None (a second without one) leaves its
    slot out."""
    values = values[-SECONDS_SHOWN:]
    offset = SECONDS_SHOWN - len(values)
    scale = CHART_HEIGHT / top
    points = []
    for index, value in enumerate(values):
        if value is not None:
            # Rounded to the nearest unit: y is never negative, and %d truncates.
            points.append(
                _SLOT_PREFIXES[offset + index]
                + "%d" % (CHART_HEIGHT + 0.5 - min(value, top) * scale)
            )
    return " ".join(points)


class SecondsChart:
    """Named series of one value per second, the last SECONDS_SHOWN of each, on one scale."""

    def __init__(self, count: int) -> None:
        self.series: list[list[float | None]] = [[] for _ in range(count)]

    def add(self, values: tuple[float | None, ...]) -> None:
        """One second's value of each series (None: that series had none)."""
        for series, value in zip(self.series, values):
            series.append(value)
            if len(series) > SECONDS_SHOWN:
                series.pop(0)

    def clear(self) -> None:
        for series in self.series:
            del series[:]

    def drawn(self) -> tuple[list[str], float | None, float | None]:
        """(points of each series, the first series' newest value, the scale's top)."""
        every = self.series
        top = chart_top([value for values in every for value in values])
        if top is None:
            return ["" for _ in every], None, None
        first = every[0]
        return [line_points(values, top) for values in every], first[-1] if first else None, top
