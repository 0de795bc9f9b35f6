"""The Python engine's entry: hydrate the server-rendered page, then stream into it.

`start()` is what the page's <script type="py"> runs. It exposes `window.tickscope` with
`metrics()` and `reset()`, the same interface as the JS engine's.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

import json

from . import runtime
from .alert_panel import AlertPanel
from .chart import ChartPanel
from .chrome import Toasts, bind_errors, bind_status, query_param
from .code_panel import CodePanel
from .connection import OFFLINE_AFTER_FAILURES, Connection
from .controls import Controls
from .frames import Frames, WorkerFrames
from .measure import BEHIND_MS, HOPELESS_MS, HOPELESS_REPORTS, Measurements
from .panel import PerformancePanel
from .panels import hydrate
from .protocol import (
    AUTO,
    BACKLOG_MS,
    BATCH_MS,
    CONFLATED_MODE,
    DEFAULT_WINDOW,
    SNAPSHOT,
    WINDOW_SIZES,
    resume_query,
)
from .signals import batch
from .store import LIVE, OFFLINE, RECONNECTING, STALE, STALE_AFTER_MS, Store
from .texts import BEHIND_TITLE, CONFLATED_TITLE, conflated_text, format_stat
from .user_code import UserIndicator

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SNAPSHOT_ELEMENT = "tickscope-snapshot"
BACKLOG_REPORT_MS = 1000.0  # how often the page checks (and, on auto, reports) its backlog
# On auto, a page whose newest messages are already late tells the server this often, not once
# a second: conflation starts before the socket fills with what the page cannot take.
EARLY_REPORT_MS = 250.0
HOPELESS_REASON = "the page was over {:g} s behind for {} s; it started again from the newest data"
REPORT_POST_MS = 250.0  # worker mode: how often the main thread gets a fresh metrics() report
# What applying a message of a known type with missing or mistyped fields raises: it is
# counted as unknown, with nothing to show.
MALFORMED = (KeyError, TypeError, ValueError, IndexError)


def initial_window(window: Any) -> int:
    asked = query_param(window, "window")
    if asked is not None and asked.isdigit() and int(asked) in WINDOW_SIZES:
        return int(asked)
    return DEFAULT_WINDOW


def websocket_url(window: Any) -> str:
    scheme = "wss:" if str(window.location.protocol) == "https:" else "ws:"
    return scheme + "//" + str(window.location.host) + "/ws"


class App:
    def __init__(self) -> None:
        document = runtime.document()
        window = runtime.window()
        self.window = window
        self.engine = runtime.engine_name()
        self.store = Store(initial_window(window))
        # The page's own snapshot first: the store then matches what the server rendered, so
        # hydration starts from identical values and writes nothing until the market moves.
        embedded = document.getElementById(SNAPSHOT_ELEMENT).textContent
        self.store.apply(json.loads(embedded))
        self.symbols = list(self.store.symbols)
        self.store.received = 0
        self.last_message_ms = runtime.now_ms()
        self.warned = False
        self.measurements = Measurements(runtime.now_ms(), runtime.time_origin_ms())
        self.frames = (WorkerFrames if runtime.IN_WORKER else Frames)(self.store, self.measurements)
        self.views = hydrate(self.store, self.frames)
        label = "Python · " + runtime.engine_version()
        self.views.append(bind_status(self.store, document, label))
        self.toasts = Toasts(document)
        self.views.append(bind_errors(self.store, self.toasts))
        self.user = UserIndicator(runtime.stopwatch_us, runtime.traceback_text)
        self.alert_panel = AlertPanel(document, self.toasts, self._last_price, self._alerts_changed)
        self.chart = ChartPanel(
            document, window, self.symbols, self.alert_panel.alerts, self.user,
            self.alert_panel.fired,
        )  # fmt: skip
        self.chart.on_alert_price = self._on_alert_price
        self.frames.drawings.append(self.chart.draw)
        self.code_panel = CodePanel(document, self.user, lambda: self.chart.model)
        self.panel = PerformancePanel(
            self.frames.writes,
            self.measurements,
            lambda: (self.store.received, self.store.gaps, self.store.conflated),
        )
        self.frames.writes.bind()
        self.frames.watch()
        self.frames.after_frame.append(self._after_frame)
        self.connection = Connection(
            websocket_url(window),
            self._on_message,
            self._on_connection,
            lambda: resume_query(self.store.last_seq, self.store.market),
        )
        self.controls = Controls(
            document, self.store, self.connection.send, self.reset, self.switch_engine
        )
        self.behind_banner = document.querySelector('[data-bind="behind"]')
        self.behind_text = document.querySelector('[data-field="behind-text"]')
        self.behind_title = document.querySelector('[data-field="behind-title"]')
        self._next_backlog_ms = 0.0
        self._next_early_ms = 0.0
        self._next_post_ms = 0.0
        self._api = {
            "metrics": runtime.proxy(self.metrics_text),
            "analytics": runtime.proxy(self.analytics_text),
            "reset": runtime.proxy(self.reset),
            "pagehide": runtime.proxy(self._on_pagehide),
        }
        window.addEventListener("pagehide", self._api["pagehide"])
        if runtime.IN_WORKER:
            # The main thread cannot wait for a worker: it keeps the report the worker posts
            # every REPORT_POST_MS (and at once on going live or a reset).
            self._post_report()
            runtime.bridge().expose(self.engine, None, self._api["reset"], None)
        else:
            runtime.bridge().expose(
                self.engine, self._api["metrics"], self._api["reset"], self._api["analytics"]
            )

    def start(self) -> None:
        self.frames.start()
        self.connection.open()

    # -- the hot path: one call per frame (a message, or a batch of them) -------------------------

    def _on_message(self, text: str, received_ms: float, started_us: float) -> None:
        self.last_message_ms = received_ms
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if isinstance(message, list):
            stamps: list[int] = []
            applied = batch(lambda: self._apply_batch(message, stamps))
            handler_us = runtime.since_us(started_us)
            self.measurements.received_batch(received_ms, applied, stamps, handler_us)
            return
        if not isinstance(message, dict) or not self._applied(message):
            self._skipped(message)
            return
        self.chart.apply(message)
        if message.get("type") == SNAPSHOT:
            self._resynced()
        elif self.store.state.peek() in (STALE, RECONNECTING, OFFLINE):
            self.store.state.set(LIVE)  # a resumed stream (no snapshot) or a silence ended
        self.measurements.received(received_ms, message.get("ts"), runtime.since_us(started_us))

    def _apply_batch(self, messages: list[Any], stamps: list[int]) -> int:
        """Every message of a batch frame into the store, in one signals batch so each view
        runs once; collects the applied messages' server `ts`; returns how many applied."""
        applied = 0
        apply = self.store.apply  # bound once: `_applied` inlined, a call less per message
        chart = self.chart.apply
        for message in messages:
            if isinstance(message, dict):
                try:
                    if apply(message):
                        chart(message)
                        applied += 1
                        ts = message.get("ts")
                        if ts is not None:
                            stamps.append(ts)
                        continue
                except MALFORMED:
                    self.store.unknown += 1
            self._skipped(message)
        if applied and self.store.state.peek() == STALE:
            self.store.state.set(LIVE)
        return applied

    def _applied(self, message: Any) -> bool:
        try:
            return self.store.apply(message)
        except MALFORMED:
            self.store.unknown += 1
            return False

    def _skipped(self, message: Any) -> None:
        """A frame this engine does not understand: skipped, counted, and said once."""
        if not isinstance(message, dict):
            self.store.unknown += 1
        elif isinstance(message.get("seq"), int) and message["seq"] <= self.store.last_seq:
            return  # a repeat after a resync: the store counted it as a duplicate
        if not self.warned:
            self.warned = True
            runtime.warn(
                "tickscope: skipped a server message it does not understand; "
                "further ones are counted, not logged"
            )

    def _resynced(self) -> None:
        if self.store.symbols != self.symbols:
            # The server now streams other symbols than this page was rendered for.
            self.window.location.reload()
            return
        if self.measurements.ready_ms is None:
            self.measurements.ready_ms = runtime.now_ms()
            runtime.mark("live")
        self.store.state.set(LIVE)
        self._post_report()

    def _on_connection(self, event: str, failures: int) -> None:
        if event == "open" and self.measurements.ready_ms is None:
            runtime.mark("connected")
        if event == "open" and self.controls.batch != 0:
            self.controls.ask_batch()
        if event == "closed":
            self.store.state.set(OFFLINE if failures >= OFFLINE_AFTER_FAILURES else RECONNECTING)

    def _after_frame(self, now_ms: float) -> None:
        self.code_panel.show()
        if self.panel.due():
            started = runtime.stopwatch_us()
            self.panel.refresh(self.store.last_seq)
            self.frames.writes.flush()  # the panel's writes, sent within its measured cost
            self.measurements.panel.add(runtime.since_us(started))
        else:
            # Its one comparison, not timed: reading the clock would cost more.
            self.measurements.panel.add(0.0)
        if runtime.IN_WORKER and now_ms >= self._next_post_ms:
            self._next_post_ms = now_ms + REPORT_POST_MS
            self._post_report()
        self.toasts.expire(now_ms)
        if now_ms >= self._next_backlog_ms:
            self._next_backlog_ms = now_ms + BACKLOG_REPORT_MS
            self._check_backlog()
        elif now_ms >= self._next_early_ms:
            self._report_early(now_ms)
        if self.store.state.peek() == LIVE and now_ms - self.last_message_ms > STALE_AFTER_MS:
            self.store.state.set(STALE)

    def _post_report(self) -> None:
        """Worker mode: hand the main thread a fresh report (it keeps the latest)."""
        if runtime.IN_WORKER:
            runtime.local().report(json.dumps(self.report()), self.analytics_text())

    def _check_backlog(self) -> None:
        """Report the backlog to auto; say on the page while the client falls behind or is
        conflated; start afresh when even conflation leaves it hopelessly behind."""
        measurements = self.measurements
        backlog = measurements.take_backlog()
        if backlog is not None and self.controls.batch == AUTO:
            self.connection.send({BACKLOG_MS: int(max(0.0, backlog))})
        if measurements.hopeless:
            self._start_afresh()
        conflated = self._conflated()
        if conflated:
            self.behind_title.textContent = CONFLATED_TITLE
            self.behind_text.textContent = conflated_text(self.store.conflated_lately)
        elif measurements.behind:
            self.behind_title.textContent = BEHIND_TITLE
            self.behind_text.textContent = behind_advice(backlog, self.controls.batch)
        shown = conflated or measurements.behind
        if bool(self.behind_banner.hidden) == shown:
            self.behind_banner.hidden = not shown

    def _report_early(self, now_ms: float) -> None:
        self._next_early_ms = now_ms + EARLY_REPORT_MS
        backlog = self.measurements.take_recent_backlog()
        if backlog is not None and backlog > BEHIND_MS and self.controls.batch == AUTO:
            self.connection.send({BACKLOG_MS: int(backlog)})

    def _conflated(self) -> bool:
        notice = self.store.delivery.peek()
        return notice is not None and notice["mode"] == CONFLATED_MODE

    def _start_afresh(self) -> None:
        """Drop the socket, and the stale backlog queued in it, for a fresh snapshot."""
        reason = HOPELESS_REASON.format(HOPELESS_MS / 1000.0, HOPELESS_REPORTS)
        runtime.warn("tickscope: " + reason)
        self.measurements.restarted()
        self.store.expect_fresh_snapshot(reason)
        self.connection.reopen_fresh()

    # -- window.tickscope ------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        reply = self.store.batch.peek()  # the server's word on the mode in force
        self.measurements.batch = str(reply[BATCH_MS]) if reply is not None else "0"
        self.measurements.delivery = "conflated" if self._conflated() else "full"
        store = self.store
        return self.measurements.report(
            self.engine, store.state.peek(), store.received, store.gaps, store.conflated
        )

    def metrics_text(self) -> str:
        """The report as JSON; bridge.js parses it for `window.tickscope.metrics()`."""
        return json.dumps(self.report())

    def analytics_text(self) -> str:
        """The chart's state as JSON, for `window.tickscope.analytics()`."""
        return json.dumps(self.chart.model.snapshot())

    def _last_price(self, symbol: str) -> float | None:
        last = self.store.last_prices.get(symbol)
        return None if last is None else float(last["price"])

    def _alerts_changed(self) -> None:
        self.chart.show_alert_lines()

    def _on_alert_price(self, price: float) -> None:
        self.alert_panel.add(self.chart.model.symbol, price)

    def reset(self) -> None:
        self.store.reset_counts()
        self.measurements.reset(runtime.now_ms())
        self.panel.clear()
        self._post_report()

    def dispose(self) -> None:
        """Close the socket cleanly and release every proxy and view."""
        self.connection.close()
        self.frames.dispose()
        self.controls.dispose()
        for panel in (self.chart, self.alert_panel, self.code_panel):
            panel.dispose()
        for view in self.views:
            view.dispose()
        for name in ("metrics", "analytics", "reset"):
            runtime.release(self._api[name])
        # The pagehide handle stays: dispose may be running inside it, and the page is going.

    def _on_pagehide(self, _event: Any) -> None:
        # Leaving the page (an engine switch, say): the server sees a normal close, not a drop.
        self.dispose()

    def switch_engine(self, engine: str) -> None:
        """Reload with `engine`, keeping the window, batching, chart and shared code."""
        url = self.window.URL.new(self.window.location.href)
        url.searchParams.set("engine", engine)
        url.searchParams.set("window", str(self.store.window.peek()))
        url.searchParams.set("batch", str(self.controls.batch))
        self.window.location.assign(url.href)


def behind_advice(backlog_ms: float | None, batch_mode: object) -> str:
    late = "Even the newest messages arrive " + format_stat(backlog_ms, 0) + " ms late. "
    if batch_mode == 0:
        return late + "Batching lets this page take many messages per call: try auto batching."
    return late + "It is batched already: a longer tick period (slider) lightens the stream."


def start() -> App:
    runtime.mark("client-imported")
    runtime.tune_collector()
    app = App()
    runtime.mark("hydrated")
    app.start()
    return app
