"""The performance panel's two live charts, hydrated: latency and FPS of the last minute.

The server renders each chart's frame (an SVG with empty lines and placeholder readouts); this
binds those nodes by their data-* attributes and, once a second (when the frame rate closes a
second), adds that second's point to each chart and redraws its lines whole: sixty points a
line, written once a second, cost less than keeping them up to date point by point.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from . import views
from .charts import SecondsChart, second_latency
from .dom import Shown, attribute, marked, text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .dom import Writes
    from .measure import Measurements

LATENCY_SERIES = ("p95", "mean")  # the first is the one the readout names
FPS_SERIES = ("fps",)
LATENCY_DECIMALS = 1
FPS_DECIMALS = 0


class BoundChart:
    """One chart's lines and readouts on the page, and the seconds it shows."""

    def __init__(self, writes: Writes, name: str, series: tuple[str, ...], decimals: int) -> None:
        chart = marked("data-chart", name)
        self.lines: list[Shown] = [
            attribute(writes, chart + " " + marked("data-series", line), "points")
            for line in series
        ]
        self.now = text(writes, chart + " " + marked("data-readout", "now"))
        self.top = text(writes, chart + " " + marked("data-readout", "max"))
        self.seconds = SecondsChart(len(series))
        self.decimals = decimals

    def add(self, values: tuple[float | None, ...]) -> None:
        self.seconds.add(values)
        lines, newest, top = self.seconds.drawn()
        for node, points in zip(self.lines, lines):
            node.show(points)
        self.now.show(views.format_stat(newest, self.decimals))
        self.top.show(views.format_stat(top, self.decimals))

    def clear(self) -> None:
        self.seconds.clear()
        for node in self.lines:
            node.show("")
        self.now.show(views.PLACEHOLDER)
        self.top.show(views.PLACEHOLDER)


class PanelCharts:
    def __init__(self, writes: Writes, measurements: Measurements) -> None:
        self.measurements = measurements
        self.latency = BoundChart(writes, "latency", LATENCY_SERIES, LATENCY_DECIMALS)
        self.fps = BoundChart(writes, "fps", FPS_SERIES, FPS_DECIMALS)
        self._seconds_seen = 0  # seconds the frame rate had closed at the last point
        self._latencies_seen = 0  # latencies measured by then

    def tick(self) -> None:
        """Add a point to each chart when a second has closed since the last one."""
        seconds = self.measurements.fps.history
        if seconds.total == self._seconds_seen:
            return
        self._seconds_seen = seconds.total
        latency = self.measurements.latency
        fresh = latency.newest(latency.total - self._latencies_seen)
        self._latencies_seen = latency.total
        self.latency.add(second_latency(fresh) or (None, None))
        self.fps.add((seconds.newest(1)[0],))

    def clear(self) -> None:
        """The measurements were reset: the charts start again."""
        self._seconds_seen = 0
        self._latencies_seen = 0
        self.latency.clear()
        self.fps.clear()
