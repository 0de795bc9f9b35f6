"""The page's controls: frequency slider, window select, batching, pause, reset, engine switch.

Each listener is one proxy made at start-up. The slider sends at most one control message per
THROTTLE_MS while dragged (the last position always goes out), and follows the server's config
when someone else changes the shared market.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

from . import runtime, texts
from .chrome import bound
from .protocol import AUTO, BATCH_MS, FREQUENCY_MS
from .signals import Effect
from .store import Store

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

THROTTLE_MS = 100.0
USER_HOLD_MS = 1000.0  # after a user touches the slider, server echoes do not move it back


def control(document: Any, name: str) -> Any:
    return bound(document, "data-control", name)


def batch_value(text: str) -> Any:
    """A batch select's value as the control sends it: "auto" or an int of ms."""
    return AUTO if text == AUTO else int(text)


class Controls:
    def __init__(
        self,
        document: Any,
        store: Store,
        send: Callable[[dict[str, Any]], bool],
        reset: Callable[[], None],
        switch_engine: Callable[[str], None],
    ) -> None:
        self.store = store
        self.send = send
        self.reset = reset
        self.switch_engine = switch_engine
        self.slider = control(document, "frequency")
        self.readout = bound(document, "data-field", "frequency")
        self.window_select = control(document, "window")
        self.pause_button = control(document, "pause")
        self.engine_select = control(document, "engine")
        self.reset_button = control(document, "reset")
        self.batch_select = control(document, "batch")
        self.batch_readout = bound(document, "data-field", "batch")
        self.auto_button = control(document, "batch-auto")
        # What this page asks for on every (re)connection: the server starts each one unbatched.
        self.batch = batch_value(str(self.batch_select.value))
        self._wanted: int | None = None
        self._sent: int | None = None
        self._last_send_ms = -THROTTLE_MS
        self._timer: int | None = None
        self._touched_ms = -USER_HOLD_MS
        self._handles = {
            "frequency": runtime.proxy(self._on_frequency),
            "window": runtime.proxy(self._on_window),
            "pause": runtime.proxy(self._on_pause),
            "reset": runtime.proxy(self._on_reset),
            "engine": runtime.proxy(self._on_engine),
            "flush": runtime.proxy(self._flush_frequency),
            "batch": runtime.proxy(self._on_batch),
            "auto": runtime.proxy(self._on_auto),
        }
        self._listen(self.slider, ("input", "change"), "frequency")
        self._listen(self.window_select, ("input", "change"), "window")
        self._listen(self.pause_button, ("click",), "pause")
        self._listen(self.reset_button, ("click",), "reset")
        self._listen(self.engine_select, ("change",), "engine")
        self._listen(self.batch_select, ("change",), "batch")
        self._listen(self.auto_button, ("click",), "auto")
        self.effects = [
            Effect(self._follow_server),
            Effect(self._show_paused),
            Effect(self._show_batch),
        ]

    def _listen(self, element: Any, events: tuple[str, ...], handle: str) -> None:
        for event in events:
            element.addEventListener(event, self._handles[handle])

    def _on_frequency(self, _event: Any) -> None:
        value = int(self.slider.value)
        self._touched_ms = runtime.now_ms()
        self._show_frequency(value)
        self._wanted = value
        wait = self._last_send_ms + THROTTLE_MS - self._touched_ms
        if wait <= 0:
            self._flush_frequency()
        elif self._timer is None:
            self._timer = runtime.set_timeout(self._handles["flush"], wait)

    def _flush_frequency(self) -> None:
        self._timer = None
        wanted = self._wanted
        self._wanted = None
        # input and change both fire for one gesture: the same value goes out once.
        if wanted is not None and wanted != self._sent and wanted != self.store.frequency_ms.peek():
            self.send({FREQUENCY_MS: wanted})
            self._sent = wanted
            self._last_send_ms = runtime.now_ms()

    def _follow_server(self) -> None:
        frequency = self.store.frequency_ms.get()
        self._sent = None  # the market moved on: any value may be asked for again
        if frequency is None or runtime.now_ms() - self._touched_ms < USER_HOLD_MS:
            return
        self.slider.value = str(frequency)
        self._show_frequency(frequency)

    def _show_frequency(self, value: int) -> None:
        """The readout, and the value a screen reader speaks for the slider, with its unit."""
        text = str(value) + " ms"
        self.readout.textContent = text
        self.slider.setAttribute("aria-valuetext", text)

    def ask_batch(self) -> None:
        """Send the wanted batching (on connecting: nothing to send when it is off)."""
        self.send({BATCH_MS: self.batch})

    def _on_batch(self, _event: Any) -> None:
        self.batch = batch_value(str(self.batch_select.value))
        self.ask_batch()

    def _on_auto(self, _event: Any) -> None:
        self.batch_select.value = AUTO
        self._on_batch(None)

    def _show_batch(self) -> None:
        reply = self.store.batch.get()
        if reply is not None:
            text = texts.batch_text(reply[BATCH_MS], reply["interval_ms"])
            self.batch_readout.textContent = text

    def _on_window(self, _event: Any) -> None:
        self.store.set_window(int(self.window_select.value))

    def _on_pause(self, _event: Any) -> None:
        self.store.paused.set(not self.store.paused.peek())

    def _show_paused(self) -> None:
        paused = self.store.paused.get()
        # A toggle keeps its name; "pressed" is the state (a name that flipped to "Resume" was
        # read as "Resume, pressed").
        self.pause_button.setAttribute("aria-pressed", "true" if paused else "false")

    def _on_reset(self, _event: Any) -> None:
        self.reset()

    def _on_engine(self, _event: Any) -> None:
        self.switch_engine(str(self.engine_select.value))

    def dispose(self) -> None:
        for effect in self.effects:
            effect.dispose()
        for handle in self._handles.values():
            runtime.release(handle)
