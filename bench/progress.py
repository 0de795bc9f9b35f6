"""One line per step on stderr, each stamped with the time since the benchmark started."""

import sys
import time
from collections.abc import Callable
from typing import TextIO


def ms(value: object) -> str:
    """A duration in ms for a progress line; whatever the page returned if not a number."""
    return f"{value:.0f} ms" if isinstance(value, int | float) else str(value)


class Progress:
    def __init__(
        self, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.started = clock()

    def elapsed_s(self) -> float:
        return self.clock() - self.started

    def step(self, message: str) -> None:
        print(f"[{self.elapsed_s():6.1f} s] {message}", file=self.stream, flush=True)


class Silent(Progress):
    """For callers (tests) that want no output."""

    def step(self, message: str) -> None:
        pass
