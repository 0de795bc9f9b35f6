"""Indicators the user writes in Python, run on each closed bar. Pure and portable: the clock
and the way to print a traceback come from the caller (client/runtime.py in the page).

The code must define `update(bar)`; `bar.t, bar.o, bar.h, bar.l, bar.c, bar.v` (and `bar.n`,
the trades in it) are the bar's fields, on a copy of the chart's own bar. It returns a number
(one line on the chart), a dict of name -> number (several), or None (nothing for this bar).
State may live in globals or a class. Code runs only when `run` is called (the page calls it
when the user presses Run: code that came by link waits as "pending"), and an error or a bar
that takes longer than the budget stops it with a message, never the stream.
"""

from __future__ import annotations  # shimmed under MicroPython, which ignores annotations

NONE = "none"
PENDING = "pending"
RUNNING = "running"
PAUSED = "paused"
ERROR = "error"
FILENAME = "<indicator>"
BUDGET_US = 5_000.0  # the time one bar may take; past it the indicator is paused
# What replaying the history through it may take in all: a Run must not freeze the page for
# thousands of bars that each stay just under the per-bar budget.
REPLAY_BUDGET_US = 1_000_000.0
VALUE = "value"  # the name of a single returned number's line
MAX_LINES = 8  # names one indicator may return
LINE_MARK = 'File "{}", line '.format(FILENAME)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .candles import Candle


def line_of(trace: str) -> int | None:
    """The last line of the user's code that a traceback names."""
    line = None
    for text in trace.splitlines():
        at = text.find(LINE_MARK)
        if at >= 0:
            digits = ""
            for char in text[at + len(LINE_MARK) :]:
                if not char.isdigit():
                    break
                digits += char
            if digits:
                line = int(digits)
    return line


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value  # noqa: PLR0124


class UserIndicator:
    def __init__(
        self,
        clock_us: Callable[[], float],
        trace: Callable[[BaseException], str],
        budget_us: float = BUDGET_US,
    ) -> None:
        self.clock_us = clock_us
        self.trace = trace
        self.budget_us = budget_us
        self.replay_budget_us = REPLAY_BUDGET_US
        self.code = ""
        self.state = NONE
        self.error: dict[str, Any] | None = None
        self.last: dict[str, float] | None = None
        self._update: Any = None

    def set_code(self, code: str) -> None:
        """New code, shown but not run (`run` runs it)."""
        self.code = code
        self.state = PENDING if code.strip() else NONE
        self.error = None
        self.last = None
        self._update = None

    def run(self, history: list[Candle]) -> list[dict[str, float] | None]:
        """Compile the code, then replay `history` (closed bars, oldest first) through it;
        returns each bar's values (None where it returned none), up to where it stopped."""
        self.error = None
        self.last = None
        namespace: dict[str, Any] = {"__name__": "indicator"}
        try:
            exec(compile(self.code, FILENAME, "exec"), namespace)  # the user's own code, on Run
        except Exception as failed:  # any error of the user's code
            self._fail(failed)
            return []
        update = namespace.get("update")
        if not callable(update):
            self._stop(ERROR, "define update(bar): it is called with each closed bar", None)
            return []
        self._update = update
        self.state = RUNNING
        values: list[dict[str, float] | None] = []
        started = self.clock_us()
        for bar in history:
            values.append(self.update(bar))
            if self.state != RUNNING:
                break
            if self.clock_us() - started > self.replay_budget_us:
                self._stop(
                    PAUSED,
                    "paused: replaying the history took over {:.0f} ms ({} of {} bars); a "
                    "faster update(bar) can replay it all".format(
                        self.replay_budget_us / 1000.0, len(values), len(history)
                    ),
                    None,
                )
                break
        return values

    def update(self, bar: Candle) -> dict[str, float] | None:
        """This bar's values, or None. Never raises: a failure stops the indicator."""
        if self.state != RUNNING:
            return None
        started = self.clock_us()
        try:
            result = self._update(bar.copy())  # the chart's own bar stays as it was
        except Exception as failed:  # any error of the user's code
            self._fail(failed)
            return None
        spent = self.clock_us() - started
        if spent > self.budget_us:
            self._stop(
                PAUSED,
                "paused: one bar took {:.1f} ms; the budget is {:.1f} ms".format(
                    spent / 1000.0, self.budget_us / 1000.0
                ),
                None,
            )
            return None
        values = self._values(result)
        if values is not None:
            self.last = values
        return values

    def _values(self, result: object) -> dict[str, float] | None:
        if result is None:
            return None
        if _is_number(result):
            return {VALUE: float(result)}  # type: ignore[arg-type]
        if isinstance(result, dict) and len(result) <= MAX_LINES:
            values = {}
            for name, value in result.items():
                if not isinstance(name, str) or not _is_number(value):
                    break
                values[name] = float(value)
            else:
                return values
        self._stop(
            ERROR,
            "update must return a number, a dict of up to {} names -> numbers, or None; "
            "got {}".format(MAX_LINES, type(result).__name__),
            None,
        )
        return None

    def _fail(self, failed: BaseException) -> None:
        trace = self.trace(failed)
        line = line_of(trace)
        if line is None:
            line = getattr(failed, "lineno", None)  # a SyntaxError, where the trace names none
        message = "{}: {}".format(type(failed).__name__, failed)
        self._stop(ERROR, message, line, trace)

    def _stop(self, state: str, message: str, line: int | None, trace: str = "") -> None:
        self.state = state
        self.error = {"message": message, "line": line, "trace": trace}
        self._update = None

    def status(self) -> dict[str, Any]:
        """`user` in analytics(): state, error (its message), last values."""
        return {
            "state": self.state,
            "error": None if self.error is None else self.error["message"],
            "last": self.last,
        }
