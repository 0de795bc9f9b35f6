"""What the page measures about itself, by the definitions both engines share. Pure.

- latency: a message's receipt (the event's timestamp) to the animation frame that applies it
  to the page (t_paint read in that frame's callback, as the reference does);
- wire: the server's `ts` to receipt, across the same machine's clock;
- handler: time spent in the engine's message handler;
- render: time the engine spends in one animation frame bringing the page up to date;
- panel: time the engine spends in one animation frame on the performance panel (its numbers
  and charts), so the panel's own cost can be seen not to move the figures it shows;
- rate: messages received in the last second; FPS: animation frames per second.

A batch frame is one crossing: its messages share one receipt time, and the handler time is
the whole batch's (handler = time per crossing, one message or one batch).

The backlog is the smallest wire latency seen since it was last taken: if even the freshest
message arrived late, the page is behind the stream (not merely unlucky with one message).
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from .charts import LATENCY_EDGES_MS, histogram
from .stats import (
    FPS_SAMPLES,
    LATENCY_SAMPLES,
    FrameRate,
    PerSecond,
    Samples,
    summarize,
    summarize_ordered,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

US_PER_MS = 1000.0
BEHIND_MS = 250.0  # a backlog above this, in consecutive reports, is falling behind
BEHIND_REPORTS = 2
# The last resort: a backlog above this in consecutive reports (a second apart) is one that
# conflation did not clear (it sits in the socket already); the page starts afresh instead.
HOPELESS_MS = 2000.0
HOPELESS_REPORTS = 3
RENDER_SAMPLES = FPS_SAMPLES * 60  # ms of view work per frame: a minute of frames
# µs of panel work per frame, over ten seconds of frames at 60 Hz: it is nearly always 0 or a
# few µs, and MicroPython sorts many equal values slowly, so a minute's would cost the panel a
# good part of a frame.
PANEL_SAMPLES = FPS_SAMPLES * 10


class Measurements:
    def __init__(self, now_ms: float, time_origin_ms: float) -> None:
        self.time_origin_ms = time_origin_ms
        self.latency = Samples(LATENCY_SAMPLES)
        self.wire = Samples(LATENCY_SAMPLES)
        self.handler = Samples(LATENCY_SAMPLES)
        self.render = Samples(RENDER_SAMPLES)
        self.panel = Samples(PANEL_SAMPLES)
        self.fps = FrameRate(now_ms)
        self.rate = PerSecond(now_ms)
        self.unpainted: list[float] = []  # receipt times of messages no frame has shown yet
        self.posted: list[tuple[int, list[float]]] = []  # worker mode: sent, not yet painted
        self.ready_ms: float | None = None
        self.backlog_ms: float | None = None
        self.recent_backlog_ms: float | None = None  # the same, since take_recent_backlog
        self.late_reports = 0
        self.hopeless_reports = 0
        self.batch = "0"  # the batch mode in force: "0", "N" (ms) or "auto"
        self.delivery = "full"  # "full", or "conflated" while the server conflates

    def received(self, received_ms: float, ts_us: int | None, handler_us: float) -> None:
        self.unpainted.append(received_ms)
        self.rate.count()
        self.handler.add(handler_us)
        if ts_us is not None:
            self._wire(self.time_origin_ms + received_ms - ts_us / US_PER_MS)

    def received_batch(
        self, received_ms: float, count: int, stamps_us: list[int], handler_us: float
    ) -> None:
        """One batch frame of `count` messages; `stamps_us`: the server `ts` of those that
        carry one."""
        self.unpainted.extend([received_ms] * count)
        self.rate.count(count)
        self.handler.add(handler_us)
        if not stamps_us:
            return
        arrived = self.time_origin_ms + received_ms
        self.wire.extend([arrived - ts_us / US_PER_MS for ts_us in stamps_us[:-1]])
        self._wire(arrived - stamps_us[-1] / US_PER_MS)

    def _wire(self, wire_ms: float) -> None:
        self.wire.add(wire_ms)
        if self.backlog_ms is None or wire_ms < self.backlog_ms:
            self.backlog_ms = wire_ms
        if self.recent_backlog_ms is None or wire_ms < self.recent_backlog_ms:
            self.recent_backlog_ms = wire_ms

    def take_recent_backlog(self) -> float | None:
        """The backlog since the last call alone (None: nothing arrived)."""
        backlog, self.recent_backlog_ms = self.recent_backlog_ms, None
        return backlog

    def take_backlog(self) -> float | None:
        """The backlog since the last call (None: nothing arrived); counts late reports."""
        backlog, self.backlog_ms = self.backlog_ms, None
        if backlog is not None:
            self.late_reports = self.late_reports + 1 if backlog > BEHIND_MS else 0
            self.hopeless_reports = self.hopeless_reports + 1 if backlog > HOPELESS_MS else 0
        return backlog

    @property
    def behind(self) -> bool:
        return self.late_reports >= BEHIND_REPORTS

    @property
    def hopeless(self) -> bool:
        """Behind by over HOPELESS_MS for HOPELESS_REPORTS reports in a row."""
        return self.hopeless_reports >= HOPELESS_REPORTS

    def restarted(self) -> None:
        """The stream starts afresh: the old backlog says nothing of the new one."""
        self.hopeless_reports = 0
        self.late_reports = 0
        self.backlog_ms = None

    def painted(self, paint_ms: float) -> None:
        """The frame applying every unpainted message runs at `paint_ms`."""
        if self.unpainted:
            self.latency.extend([paint_ms - received_ms for received_ms in self.unpainted])
            self.unpainted = []

    def in_flight(self, writes: int) -> None:
        """Worker mode: the unpainted messages are shown by the writes numbered `writes` (or
        earlier ones), which the main thread applies in a coming frame."""
        if self.unpainted:
            self.posted.append((writes, self.unpainted))
            self.unpainted = []

    def painted_through(self, writes: int, paint_ms: float) -> None:
        """Worker mode: the main thread's frame at `paint_ms` applied the writes up to number
        `writes`, so every message they show is painted."""
        while self.posted and self.posted[0][0] <= writes:
            received = self.posted.pop(0)[1]
            self.latency.extend([paint_ms - received_ms for received_ms in received])

    def skip_unpainted(self) -> None:
        """Paused: these messages were applied but not shown, so they have no latency."""
        self.unpainted = []

    def frame(self, now_ms: float) -> None:
        self.fps.frame(now_ms)
        self.rate.tick(now_ms)

    def reset(self, now_ms: float) -> None:
        self.latency.clear()
        self.wire.clear()
        self.handler.clear()
        self.render.clear()
        self.panel.clear()
        self.fps.restart(now_ms)
        self.rate.restart(now_ms)
        self.unpainted = []
        self.posted = []

    def report(
        self, engine: str, state: str, received: int, gaps: int, conflated: int = 0
    ) -> dict[str, Any]:
        """The `window.tickscope.metrics()` schema, the same for every engine."""
        ordered_latency = self.latency.ordered()
        latency = summarize_ordered(ordered_latency)
        wire = summarize(self.wire.values())
        handler = summarize(self.handler.values())
        render = self.render.summary()
        panel = self.panel.summary()
        return {
            "engine": engine,
            "state": state,
            "received": received,
            "gaps": gaps,
            "conflated": conflated,
            "delivery": self.delivery,
            "rate": self.rate.last,
            "latency_ms": latency,
            "wire_ms": {"p50": wire["p50"], "p95": wire["p95"]},
            "handler_us": {"p50": handler["p50"], "p95": handler["p95"]},
            "render_ms": {"p50": render["p50"], "p95": render["p95"]},
            "fps": self.fps.summary(),
            "ready_ms": self.ready_ms,
            "batch": self.batch,
            "behind": self.behind,
            "panel_us": {"mean": panel["mean"], "p95": panel["p95"]},
            "latency_hist": {
                "edges_ms": list(LATENCY_EDGES_MS),
                "counts": histogram(ordered_latency),
            },
        }
