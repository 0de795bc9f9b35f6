"""What the page measures about itself, by the definitions both engines share. Pure.

- latency: a message's receipt (the event's timestamp) to the animation frame that applies it
  to the page (t_paint read in that frame's callback, as the reference does);
- wire: the server's `ts` to receipt, across the same machine's clock;
- handler: time spent in the engine's message handler;
- render: time the engine spends in one animation frame bringing the page up to date;
- rate: messages received in the last second; FPS: animation frames per second.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from .stats import FPS_SAMPLES, LATENCY_SAMPLES, FrameRate, PerSecond, Samples, summarize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

US_PER_MS = 1000.0


class Measurements:
    def __init__(self, now_ms: float, time_origin_ms: float) -> None:
        self.time_origin_ms = time_origin_ms
        self.latency = Samples(LATENCY_SAMPLES)
        self.wire = Samples(LATENCY_SAMPLES)
        self.handler = Samples(LATENCY_SAMPLES)
        self.render = Samples(FPS_SAMPLES * 60)  # ms of view work per frame: a minute of frames
        self.fps = FrameRate(now_ms)
        self.rate = PerSecond(now_ms)
        self.unpainted: list[float] = []  # receipt times of messages no frame has shown yet
        self.ready_ms: float | None = None

    def received(self, received_ms: float, ts_us: int | None, handler_us: float) -> None:
        self.unpainted.append(received_ms)
        self.rate.count()
        self.handler.add(handler_us)
        if ts_us is not None:
            self.wire.add(self.time_origin_ms + received_ms - ts_us / US_PER_MS)

    def painted(self, paint_ms: float) -> None:
        """The frame applying every unpainted message runs at `paint_ms`."""
        for received_ms in self.unpainted:
            self.latency.add(paint_ms - received_ms)
        self.unpainted = []

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
        self.fps.restart(now_ms)
        self.rate.restart(now_ms)
        self.unpainted = []

    def report(self, engine: str, state: str, received: int, gaps: int) -> dict[str, Any]:
        """The `window.tickscope.metrics()` schema, the same for every engine."""
        latency = self.latency.summary()
        wire = summarize(self.wire.values())
        handler = summarize(self.handler.values())
        render = self.render.summary()
        return {
            "engine": engine,
            "state": state,
            "received": received,
            "gaps": gaps,
            "rate": self.rate.last,
            "latency_ms": latency,
            "wire_ms": {"p50": wire["p50"], "p95": wire["p95"]},
            "handler_us": {"p50": handler["p50"], "p95": handler["p95"]},
            "render_ms": {"p50": render["p50"], "p95": render["p95"]},
            "fps": self.fps.summary(),
            "ready_ms": self.ready_ms,
        }
