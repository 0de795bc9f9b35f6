"""The performance panel, hydrated: its figures and its two live charts (latency and FPS of the
last minute).

The panel is redrawn once a second, when the frame rate closes a second, from that second's
measurements alone: sorting the whole windows that metrics() summarizes (5000 samples each)
took MicroPython ~3 ms apiece, four times a second, and the panel must not cost the page the
frames it reports. So its latency, wire and handler figures are those of the last second, the
same second whose point the charts gain; FPS mean and min span the last minute.

The server renders each chart's frame (an SVG with empty lines and placeholder readouts); this
binds those nodes by their data-* attributes and redraws the lines whole: sixty points a line,
written once a second, cost less than keeping them up to date point by point.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from . import texts
from .charts import SecondsChart, figures_of
from .writes import Shown, attribute, field_of, marked, text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .measure import Measurements
    from .stats import Samples
    from .writes import Writes

LATENCY_SERIES = ("p95", "mean")  # the first is the one the readout names
FPS_SERIES = ("fps",)
LATENCY_DECIMALS = 1
FPS_DECIMALS = 0
PERFORMANCE_FIELDS = (
    "rate",
    "received",
    "gaps",
    "conflated",
    "latency-mean",
    "latency-p50",
    "latency-p95",
    "wire-p50",
    "wire-p95",
    "handler-p50",
    "handler-p95",
    "fps-last",
    "fps-mean",
    "fps-min",
    "ready",
)


def performance_texts(report: dict[str, Any]) -> list[str]:
    """The panel's texts, in PERFORMANCE_FIELDS order, from a metrics-shaped report."""
    latency = report["latency_ms"]
    wire = report["wire_ms"]
    handler = report["handler_us"]
    fps = report["fps"]
    return [
        texts.format_stat(report["rate"], 0),
        texts.format_volume(report["received"]),
        texts.format_volume(report["gaps"]),
        texts.format_volume(report["conflated"]),
        texts.format_stat(latency["mean"], 2),
        texts.format_stat(latency["p50"], 2),
        texts.format_stat(latency["p95"], 2),
        texts.format_stat(wire["p50"], 2),
        texts.format_stat(wire["p95"], 2),
        texts.format_stat(handler["p50"], 0),
        texts.format_stat(handler["p95"], 0),
        texts.format_stat(fps["last"], 1),
        texts.format_stat(fps["mean"], 1),
        texts.format_stat(fps["min"], 1),
        texts.format_stat(report["ready_ms"], 0),
    ]


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
        self.now.show(texts.format_stat(newest, self.decimals))
        self.top.show(texts.format_stat(top, self.decimals))

    def clear(self) -> None:
        self.seconds.clear()
        for node in self.lines:
            node.show("")
        self.now.show(texts.PLACEHOLDER)
        self.top.show(texts.PLACEHOLDER)


class Fresh:
    """The values a measurement window gained since the last look."""

    def __init__(self, samples: Samples) -> None:
        self.samples = samples
        self.seen = 0

    def take(self) -> list[float]:
        samples = self.samples
        fresh = samples.newest(samples.total - self.seen)
        self.seen = samples.total
        return fresh


class PerformancePanel:
    def __init__(
        self,
        writes: Writes,
        measurements: Measurements,
        counts: Callable[[], tuple[int, int, int]],
    ) -> None:
        """`counts` gives the messages received, lost (gaps) and conflated, as metrics()
        reports them."""
        panel = marked("data-panel", "performance")
        self.texts = [text(writes, field_of(panel, name)) for name in PERFORMANCE_FIELDS]
        self.seq = text(writes, marked("data-field", "seq"))
        self.latency_chart = BoundChart(writes, "latency", LATENCY_SERIES, LATENCY_DECIMALS)
        self.fps_chart = BoundChart(writes, "fps", FPS_SERIES, FPS_DECIMALS)
        self.measurements = measurements
        self.counts = counts
        self._seconds_seen = 0  # seconds the frame rate had closed at the last refresh
        self._latency = Fresh(measurements.latency)
        self._wire = Fresh(measurements.wire)
        self._handler = Fresh(measurements.handler)

    def due(self) -> bool:
        """Whether a second has closed since the last refresh (the panel's only work in the
        other frames: one comparison)."""
        return self.measurements.fps.history.total != self._seconds_seen

    def refresh(self, seq: int) -> None:
        """Redraw the panel from the second that closed."""
        measurements = self.measurements
        self._seconds_seen = measurements.fps.history.total
        latency = figures_of(self._latency.take(), True)
        received, gaps, conflated = self.counts()
        fps = measurements.fps.summary()
        report = {
            "rate": measurements.rate.last,
            "received": received,
            "gaps": gaps,
            "conflated": conflated,
            "latency_ms": latency,
            "wire_ms": figures_of(self._wire.take(), False),
            "handler_us": figures_of(self._handler.take(), False),
            "fps": fps,
            "ready_ms": measurements.ready_ms,
        }
        self.seq.show(str(seq))
        for node, value in zip(self.texts, performance_texts(report)):
            node.show(value)
        self.latency_chart.add((latency["p95"], latency["mean"]))
        self.fps_chart.add((fps["last"],))

    def clear(self) -> None:
        """The measurements were reset: the charts start again."""
        self._seconds_seen = 0
        for fresh in (self._latency, self._wire, self._handler):
            fresh.seen = 0
        self.latency_chart.clear()
        self.fps_chart.clear()
