"""A Python runtime that crashes (a trap inside its wasm, not a Python exception) stops the
engine and says so, instead of a page that goes on saying "Live" while every call into the
runtime fails again.

The trap is real: Python run in the page's own interpreter (through PyScript's `whenDefined`)
makes the engine's clock read unmapped memory, so the next message or frame that reads the
clock traps inside the runtime's wasm.
"""

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.conftest import RunningServer
from tests.e2e.conftest import (
    IS_LIVE,
    LIVE_TIMEOUT_MS,
    WATCH_SOCKETS,
    PageLog,
    go_live,
    run_in_engine,
)

CRASH_TIMEOUT_MS = 10_000
# Long enough for ~60 frames and ~1400 messages, each of which would trap again if it reached
# the runtime.
QUIET_MS = 1_000
IS_OFFLINE = "() => document.documentElement.dataset.state === 'offline'"
STATUS = """() => ({
  label: document.querySelector('[data-field="state-label"]').textContent,
  text: document.querySelector('[data-field="loading-text"]').textContent,
})"""
# Reads 4 bytes just below 2 GiB (MicroPython) or 4 GiB (Pyodide): far past the heap of either.
TRAPS = {
    "mpy": "import uctypes\ndef trap(*args):\n    return uctypes.bytearray_at(0x7FFFFFF0, 4)[0]\n",
    "py": "import ctypes\ndef trap(*args):\n    return ctypes.string_at(0xFFFFFFF0, 4)\n",
}
RUNTIMES = {"mpy": "MicroPython", "py": "Pyodide"}
BREAK_THE_CLOCK = 'import sys\nsys.modules["client.runtime"].now_ms = trap\n'


@pytest.mark.parametrize("engine", ["mpy", "py"])
def test_a_runtime_that_crashes_stops_the_engine_says_so_and_restarts(
    page: Page, fast_server: RunningServer, page_log: PageLog, engine: str
) -> None:
    page.context.add_init_script(WATCH_SOCKETS)
    go_live(page, f"{fast_server.url}/?engine={engine}")
    assert page_log.errors == []

    run_in_engine(page, engine, TRAPS[engine] + BREAK_THE_CLOCK)
    page.wait_for_function(IS_OFFLINE, timeout=CRASH_TIMEOUT_MS)
    status = page.evaluate(STATUS)
    assert status["label"] == "Engine crashed"
    assert (
        f"The {RUNTIMES[engine]} runtime crashed (memory access out of bounds)" in (status["text"])
    )

    # Nothing reaches the broken runtime any more: no message, frame or timer traps again.
    errors = list(page_log.errors)
    page.wait_for_timeout(QUIET_MS)
    assert page_log.errors == errors
    sockets = page.evaluate("window.__sockets")
    assert sockets
    assert all(socket["closed"] is not None for socket in sockets)
    with pytest.raises(PlaywrightError, match="runtime crashed"):
        page.evaluate("window.tickscope.metrics()")

    page.click("[data-action=restart]")
    page.wait_for_function(IS_LIVE, timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("window.tickscope.metrics()")["state"] == "live"
