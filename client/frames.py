"""The frame scheduler: views are effects scheduled, not run, when the store changes; once per
animation frame the stale ones run (those whose part of the page is off-screen a few at a time)
and their writes cross to the page together.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from . import runtime
from .signals import Effect
from .store import Store
from .writes import SEPARATOR, Writes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .measure import Measurements

# Worker mode: the main thread's frame interval is followed as it goes (a busy page paints
# less often than 60 Hz), and the worker renders a little before the next frame is due, so its
# render and the post to the main thread make that frame.
FRAME_MS = 1000.0 / 60.0
SLOWEST_FRAME_MS = 100.0
FRAME_SMOOTHING = 0.2  # weight of the newest interval in the running estimate
RENDER_LEAD_MS = 4.0
REPORTED_VIEW_FAILURES = 10  # a view's errors on the console; later ones are only counted
# A view whose part of the page is off-screen is not drawn in every frame: it waits, and each
# frame draws only this many of the waiting ones, oldest first. The page's DOM still catches up
# (for find-in-page, screen readers, scripts), and what scrolls into view draws in its next
# frame. With many symbols most cards and every book are off-screen.
OFF_SCREEN_VIEWS_PER_FRAME = 4
ON_SCREEN = "1"  # bridge.js's visibility text: one character per region, in watch order


class Frames:
    """One render per animation frame: run stale views, send their writes, measure."""

    def __init__(self, store: Store, measurements: Measurements) -> None:
        self.store = store
        self.measurements = measurements
        self.writes = Writes()
        self.stale: list[Effect] = []
        self.frames = 0
        self.after_frame: list[Callable[[float], None]] = []
        # Drawn in each frame's render and timed with it, after the views: each returns
        # whether it drew (the chart, which draws through its own library, not `writes`).
        self.drawings: list[Callable[[], bool]] = []
        self.view_failures = 0
        self._handle = runtime.proxy(self._on_frame)
        self._running = False
        self._regions: list[str] = []  # selectors of the parts of the page views draw
        self._region_of: dict[Effect, int] = {}
        self._visibility = ""  # until watched: every region counts as on-screen

    def schedule(self, effect: Effect) -> None:
        self.stale.append(effect)

    def start(self) -> None:
        if not self._running:
            self._running = True
            self.writes.bridge.frame(self._handle)

    def stop(self) -> None:
        self._running = False

    def dispose(self) -> None:
        self.stop()
        runtime.release(self._handle)

    def _on_frame(self, _timestamp: float) -> None:
        if not self._running:
            return
        self.writes.bridge.frame(self._handle)
        now = runtime.now_ms()
        visibility = str(self.writes.bridge.visibility())
        if visibility:  # "" when nothing scrolled in or out since the last frame
            self._visibility = visibility
        if self.store.paused.peek():
            self.measurements.skip_unpainted()
        else:
            # The reference's t_paint: read in the frame that applies the messages, as it
            # starts; what the frame then spends is measured as render time.
            self.measurements.painted(now)
            self._render()
        self._frame_done(now)

    def view(self, render: Callable[[], None], region: str | None = None) -> Effect:
        """A view: `render` reads signals and queues its writes; it runs in the next frame.
        `region` selects the part of the page it draws: while that is off-screen (once
        `watch` runs), the view waits its turn instead of drawing in every frame."""
        effect = Effect(render, schedule=self.schedule)
        if region is not None:
            self._region_of[effect] = len(self._regions)
            self._regions.append(region)
        return effect

    def watch(self) -> None:
        """Have the page report which regions are on-screen (after binding: the nodes exist)."""
        self.writes.bridge.watch(SEPARATOR.join(self._regions))

    def _render(self) -> int:
        """Run the stale views (the off-screen ones in turns) and send their writes; returns
        the writes' number."""
        started = runtime.stopwatch_us()
        stale, self.stale = self.stale, []
        visibility = self._visibility
        region_of = self._region_of
        turns = OFF_SCREEN_VIEWS_PER_FRAME
        ran = False
        for effect in stale:
            region = region_of.get(effect)
            if region is not None and visibility and visibility[region] != ON_SCREEN:
                if not turns:
                    self.stale.append(effect)  # still queued: it keeps its place in line
                    continue
                turns -= 1
            ran = True
            try:
                effect.run()
            except Exception as error:  # one view's bug must not stop the others, or the frames
                self._view_failed(error)
        for draw in self.drawings:
            if draw():
                ran = True
        sent = self.writes.flush()
        if ran:
            self.measurements.render.add(runtime.since_us(started) / 1000.0)
        return sent

    def _view_failed(self, error: Exception) -> None:
        # An exception thrown back into the browser's frame callback is not shown anywhere.
        self.view_failures += 1
        if self.view_failures <= REPORTED_VIEW_FAILURES:
            runtime.report(error, "tickscope: a view failed; the page goes on without its update")

    def _frame_done(self, now: float) -> None:
        self.frames += 1
        self.measurements.frame(now)
        for callback in self.after_frame:
            callback(now)
        self.writes.flush()


class WorkerFrames(Frames):
    """Frames for an engine in a worker, where the main thread paints.

    The main thread applies the writes the worker posts at the start of its next animation
    frame, then tells the worker when that frame started and which writes it applied: latency
    and FPS are measured against the frames the page really paints. The worker renders once
    per main-thread frame, just before the next one is due, so its writes make that frame.
    """

    def __init__(self, store: Store, measurements: Measurements) -> None:
        Frames.__init__(self, store, measurements)
        self._render_queued = False
        self._render_handle = runtime.proxy(self._render_due)
        self.interval_ms = FRAME_MS  # the main thread's frame interval, as it goes
        self.last_frame_ms: float | None = None
        # The channel to the main thread opens now: reports go over it before frames start.
        runtime.local().follow(str(runtime.bridge().host()), self._handle)

    def start(self) -> None:
        self._running = True

    def watch(self) -> None:
        """Nothing to watch from a worker: the page is on the main thread, and every view
        draws in every frame."""

    def dispose(self) -> None:
        Frames.dispose(self)
        runtime.release(self._render_handle)

    def _on_frame(self, frame_ms: float, applied: int) -> None:  # type: ignore[override]
        """The main thread started a frame at `frame_ms` (this thread's clock), having
        applied the posted writes up to number `applied`."""
        if not self._running:
            return
        self.measurements.painted_through(applied, frame_ms)
        self._frame_done(frame_ms)
        if self.last_frame_ms is not None:
            interval = min(SLOWEST_FRAME_MS, max(FRAME_MS, frame_ms - self.last_frame_ms))
            self.interval_ms += FRAME_SMOOTHING * (interval - self.interval_ms)
        self.last_frame_ms = frame_ms
        if not self._render_queued:
            self._render_queued = True
            due = frame_ms + self.interval_ms - RENDER_LEAD_MS - runtime.now_ms()
            runtime.set_timeout(self._render_handle, max(0.0, due))

    def _render_due(self) -> None:
        self._render_queued = False
        if not self._running or not (self.stale or self.drawings):
            return
        if self.store.paused.peek():
            self.measurements.skip_unpainted()  # the stale views wait for the resume
        else:
            self.measurements.in_flight(self._render())
