"""The one module that touches the browser: `js`, PyScript's ffi, timers and clocks.

Every other client module gets the browser from here. Under CPython (unit tests, mypy) there is
no browser: `IN_BROWSER` is False, the clocks come from `time`, and touching the DOM raises a
clear error instead of failing somewhere deep.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

try:
    import js  # type: ignore[import-not-found]
    import pyscript  # type: ignore[import-not-found]
    from pyscript.ffi import create_proxy as _create_proxy  # type: ignore[import-not-found]

    IN_BROWSER = True
except ImportError:
    js = None
    pyscript = None
    _create_proxy = None
    IN_BROWSER = False

# In worker mode `js` is the worker's own global scope (its clock, timers, WebSocket and
# animation frames), while the page's window and document are PyScript's proxies to the main
# thread: each use of them is a synchronous round trip, so the hot path stays off them.
IN_WORKER = pyscript is not None and bool(pyscript.RUNNING_IN_WORKER)


class NotInBrowserError(RuntimeError):
    pass


def _browser() -> Any:
    if js is None:
        raise NotInBrowserError("this needs a browser: the client's DOM code runs under Pyodide")
    return js


def engine_name() -> str:
    """`py` under Pyodide, `mpy` under MicroPython, `py-worker` in a worker: the page's
    data-engine."""
    import sys  # noqa: PLC0415 - only asked once, at start-up

    if sys.implementation.name == "micropython":
        return "mpy"
    return "py-worker" if IN_WORKER else "py"


def engine_version() -> str:
    import sys  # noqa: PLC0415 - only asked once, at start-up

    if sys.implementation.name == "micropython":
        return "MicroPython " + ".".join(str(part) for part in sys.implementation.version[:3])
    try:
        import pyodide  # type: ignore[import-not-found]  # noqa: PLC0415

        return "Pyodide " + str(pyodide.__version__) + (" in a worker" if IN_WORKER else "")
    except ImportError:
        return "CPython " + sys.version.split()[0]


def now_ms() -> float:
    """Milliseconds on the page's performance timeline (the clock of event.timeStamp and of
    requestAnimationFrame's argument)."""
    if js is None:
        return time.perf_counter() * 1000.0
    return float(js.performance.now())


if hasattr(time, "perf_counter"):

    def stopwatch_us() -> float:
        """A monotonic µs reading for timing short spans; no crossing into JS."""
        return time.perf_counter() * 1_000_000.0

    def since_us(start: float) -> float:
        return time.perf_counter() * 1_000_000.0 - start

else:  # MicroPython: no perf_counter, and in the browser its ticks_us counts whole ms

    def stopwatch_us() -> float:
        return now_ms() * 1000.0

    def since_us(start: float) -> float:
        return now_ms() * 1000.0 - start


# MicroPython's browser build collects only between calls from JS (it cannot scan the wasm
# stack), and by default once 16 KB have been allocated since the last collection: under a
# fast stream that is a full mark and sweep after nearly every frame, which cost more than the
# messages' own Python (figures in docs/performance.md). Its heap is not ours to size here:
# public/micropython-runtime.mjs starts MicroPython with a fixed heap, big enough that it
# never grows a second one (docs/engines.md says why).
GC_THRESHOLD_BYTES = 1 << 20


def tune_collector() -> None:
    """Collect less often under MicroPython; nothing to do under CPython or Pyodide."""
    import gc  # noqa: PLC0415 - only asked once, at start-up

    threshold = getattr(gc, "threshold", None)  # MicroPython's; CPython's gc has none
    if threshold is not None:
        threshold(GC_THRESHOLD_BYTES)


def time_origin_ms() -> float:
    """Unix epoch milliseconds at the performance timeline's zero."""
    if js is None:
        return time.time() * 1000.0 - time.perf_counter() * 1000.0
    # As text: an integer-valued number above 2^31 would arrive wrapped under MicroPython.
    return float(str(local().timeOrigin()))


def proxy(fn: Callable[..., Any]) -> Any:
    """A JS-callable handle on `fn`, kept until `release` (made once per long-lived callback)."""
    _browser()
    return _create_proxy(fn)


def release(handle: Any) -> None:
    destroy = getattr(handle, "destroy", None)
    if destroy is not None:
        destroy()


def bridge() -> Any:
    """public/bridge.js on the page's main thread, which PyScript imports for us (see the
    js_modules of its config): the DOM writes and window.tickscope."""
    _browser()
    from pyscript.js_modules import tickscope_bridge  # type: ignore[import-not-found]  # noqa: PLC0415

    return tickscope_bridge


def local() -> Any:
    """bridge.js in this thread: the socket listener and the clock. The same module as
    `bridge()` on the main thread; in worker mode its own copy, loaded into the worker."""
    if not IN_WORKER:
        return bridge()
    from pyscript.js_modules import tickscope_local  # noqa: PLC0415

    return tickscope_local


def document() -> Any:
    return pyscript.document if IN_WORKER else _browser().document


def window() -> Any:
    # Not pyscript.window on the main thread: under MicroPython that is the `js` module
    # itself, whose methods are called with the wrong `this` (addEventListener fails).
    return pyscript.window if IN_WORKER else _browser().window


def set_timeout(handle: Any, delay_ms: float) -> int:
    """Call `handle` after `delay_ms`, unless the runtime has crashed by then (bridge.js)."""
    return int(local().later(handle, delay_ms))


def clear_timeout(timer: int) -> None:
    _browser().clearTimeout(timer)


def new_websocket(url: str) -> Any:
    return _browser().WebSocket.new(url)


def report(error: BaseException, context: str) -> None:
    """An unexpected error on the browser's console (stderr under CPython), with its trace."""
    text = context + "\n" + traceback_text(error)
    if js is None:
        print(text, file=sys.stderr)
    else:
        js.console.error(text)


def traceback_text(error: BaseException) -> str:
    """An error's traceback as text, in every engine (MicroPython has no traceback module)."""
    try:
        import traceback  # noqa: PLC0415 - only on an error

        return "".join(traceback.format_exception(error))
    except ImportError:  # MicroPython
        import io  # noqa: PLC0415

        buffer = io.StringIO()
        sys.print_exception(error, buffer)  # type: ignore[attr-defined]
        return buffer.getvalue()


MARK_PREFIX = "tickscope:"  # the page's start-up marks; public/pyodide-runtime.mjs makes some


def mark(name: str) -> None:
    """A mark on the page's performance timeline (DevTools shows it), named tickscope:`name`."""
    if js is not None:
        js.performance.mark(MARK_PREFIX + name)


def warn(*parts: Any) -> None:
    """A warning on the browser's console (stdout under CPython)."""
    message = " ".join(str(part) for part in parts)
    if js is None:
        print(message)
    else:
        js.console.warn(message)
