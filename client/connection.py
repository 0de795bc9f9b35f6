"""The WebSocket to the server: one connection at a time, reconnect with backoff and jitter.

A reconnect resumes where the page stopped when the server still holds what it missed;
otherwise the server starts it afresh with a snapshot (and a gap notice when data was lost).
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

import json

from . import runtime
from .backoff import retry_delay_ms
from .protocol import FRESH_START_QUERY

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

OFFLINE_AFTER_FAILURES = 5
NORMAL_CLOSURE = 1000


class Connection:
    def __init__(
        self,
        url: str,
        on_message: Callable[[str, float, float], None],
        on_state: Callable[[str, int], None],
        resume_query: Callable[[], str] = lambda: "",
    ) -> None:
        self.url = url
        self.resume_query = resume_query  # asked on every reconnect: where the page stopped
        self.on_message = on_message
        self.on_state = on_state  # ("open" | "closed", consecutive failures)
        self.failures = 0
        self.socket: Any = None
        self._timer: int | None = None
        self._closing = False
        self._handles = {
            "message": runtime.proxy(self._message),
            "open": runtime.proxy(self._opened),
            "close": runtime.proxy(self._closed),
            "retry": runtime.proxy(self._retry),
        }

    def open(self, fresh: bool = False) -> None:
        """Connect; `fresh`: from a new snapshot, even after a failure (never resume)."""
        self._timer = None
        handles = self._handles
        if not (self.failures or fresh):
            # The page may have opened this very socket while the runtime loaded: adopt it.
            early = runtime.local().adopt(
                self.url, handles["message"], handles["open"], handles["close"]
            )
            if early is not False:
                self.socket = early
                return
        # Coming back, the server sends only what was missed, not a whole new snapshot; a page
        # that could not keep up starts afresh, and on conflated delivery.
        query = self.resume_query() if self.failures else ""
        if fresh:
            query = FRESH_START_QUERY
        socket = runtime.new_websocket(self.url + query)
        runtime.local().listen(socket, handles["message"])
        socket.onopen = handles["open"]
        socket.onclose = handles["close"]
        self.socket = socket

    def send(self, payload: dict[str, Any]) -> bool:
        """Send a control message; False when not connected (nothing is queued for later)."""
        if self.socket is None or self.socket.readyState != 1:
            return False
        self.socket.send(json.dumps(payload))
        return True

    def reopen_fresh(self) -> None:
        """Drop this socket with whatever it still holds, and start again from a snapshot."""
        stale, self.socket = self.socket, None
        if self._timer is not None:  # a reconnect was due anyway: this one replaces it
            runtime.clear_timeout(self._timer)
        if stale is not None:
            stale.onclose = None  # not a failure: nothing to retry
            stale.close(NORMAL_CLOSURE)
        self.open(fresh=True)

    def close(self) -> None:
        self._closing = True
        if self._timer is not None:
            runtime.clear_timeout(self._timer)
        if self.socket is not None:
            self.socket.close(NORMAL_CLOSURE)
        for handle in self._handles.values():
            runtime.release(handle)

    def _message(self, text: str, received_ms: float) -> None:
        # bridge.js hands over plain values, not the event: a third of the cost of a crossing.
        self.on_message(text, received_ms, runtime.stopwatch_us())

    def _opened(self, _event: Any) -> None:
        self.failures = 0
        self.on_state("open", 0)

    def _closed(self, _event: Any) -> None:
        self.socket = None
        if self._closing:
            return
        self.failures += 1
        self.on_state("closed", self.failures)
        self._timer = runtime.set_timeout(self._handles["retry"], retry_delay_ms(self.failures))

    def _retry(self) -> None:
        if not self._closing:
            self.open()
